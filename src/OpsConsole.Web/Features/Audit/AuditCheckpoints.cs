using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Audit;

/// <summary>
/// The chain's head at a moment: the id and MAC of its newest entry, and how far the unkeyed
/// prefix of an upgraded database reaches (0 when every entry is keyed).
/// </summary>
public sealed record AuditCheckpoint(DateTime At, long Id, string Mac, long LegacyThrough)
{
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    private string AtText => At.ToUniversalTime().ToString(TimeFormat, CultureInfo.InvariantCulture);

    // Prefixed so a signed line can never be taken for an entry's MAC input, which starts with a 64-digit hash.
    private string SignedText => $"audit-checkpoint\n{AtText}\n{Id}\n{Mac}\n{LegacyThrough}";

    internal string ToLine(AuditChainKey key) =>
        JsonSerializer.Serialize(new Line(AtText, Id, Mac, LegacyThrough, key.Sign(SignedText)));

    /// <summary>Null when the line is not a checkpoint signed with this key.</summary>
    internal static AuditCheckpoint? Parse(string text, AuditChainKey key)
    {
        try
        {
            var line = JsonSerializer.Deserialize<Line>(text);
            if (line is null || !DateTime.TryParseExact(line.At, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at))
            {
                return null;
            }
            var checkpoint = new AuditCheckpoint(at, line.Id, line.Mac, line.LegacyThrough);
            return checkpoint.AtText == line.At && key.Sign(checkpoint.SignedText) == line.Sig ? checkpoint : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record Line(
        [property: System.Text.Json.Serialization.JsonPropertyName("at")] string At,
        [property: System.Text.Json.Serialization.JsonPropertyName("id")] long Id,
        [property: System.Text.Json.Serialization.JsonPropertyName("mac")] string Mac,
        [property: System.Text.Json.Serialization.JsonPropertyName("legacyThrough")] long LegacyThrough,
        [property: System.Text.Json.Serialization.JsonPropertyName("sig")] string Sig);
}

/// <summary>What the checkpoint file beside the key says, read whole. One signed JSON line per checkpoint, appended only.</summary>
internal sealed class AuditCheckpointFile
{
    private readonly Dictionary<long, AuditCheckpoint> _byId = [];

    private AuditCheckpointFile()
    {
    }

    public AuditCheckpoint? Latest { get; private set; }

    /// <summary>Set when a line is unreadable, not signed with the key, or contradicts another line.</summary>
    public string? Problem { get; private set; }

    /// <summary>The file has lines and none of them is signed with this key: the key is not the one the chain was written with.</summary>
    public bool WrittenWithAnotherKey { get; private set; }

    public long LegacyThrough => Latest?.LegacyThrough ?? 0;

    public AuditCheckpoint? At(long id) => _byId.GetValueOrDefault(id);

    public static AuditCheckpointFile Read(AuditChainKey key)
    {
        var file = new AuditCheckpointFile();
        string text;
        try
        {
            using var stream = new FileStream(key.CheckpointFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            text = reader.ReadToEnd();
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return file;
        }
        // Text after the last newline is a line still being written (or cut off by a crash), not a checkpoint.
        var lines = text.Split('\n')[..^1];
        var readable = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
            {
                continue;
            }
            if (AuditCheckpoint.Parse(lines[i], key) is not { } checkpoint)
            {
                file.Problem ??= $"line {i + 1} of {key.CheckpointFile} is not a checkpoint signed with the chain key (it was edited, or written without the key)";
                continue;
            }
            readable++;
            if (file._byId.TryGetValue(checkpoint.Id, out var same) && same.Mac != checkpoint.Mac)
            {
                file.Problem ??= $"two checkpoints in {key.CheckpointFile} record different entries as entry {checkpoint.Id}";
            }
            if (file.Latest is { } latest && latest.LegacyThrough != checkpoint.LegacyThrough)
            {
                file.Problem ??= $"line {i + 1} of {key.CheckpointFile} moves the boundary of the unkeyed entries";
            }
            file._byId[checkpoint.Id] = checkpoint;
            // Instances sharing the folder may append out of order; the highest id is the furthest the chain is known to have reached.
            if (file.Latest is null || checkpoint.Id >= file.Latest.Id)
            {
                file.Latest = checkpoint;
            }
        }
        file.WrittenWithAnotherKey = readable == 0 && lines.Any(l => !string.IsNullOrWhiteSpace(l));
        return file;
    }

    public static void Append(AuditChainKey key, AuditCheckpoint checkpoint)
    {
        using var stream = new FileStream(key.CheckpointFile, AuditChainKey.OwnerOnly(FileMode.Append));
        // One write per line, so a line is never interleaved with another instance's.
        stream.Write(Encoding.UTF8.GetBytes(checkpoint.ToLine(key) + "\n"));
        stream.Flush(flushToDisk: true);
    }
}

/// <summary>
/// Anchors the chain's head outside the database: at every start and every five minutes it appends
/// the newest entry's id and MAC to the checkpoint file beside the key, and logs it. Verification
/// then sees entries removed from the end, which the chain alone cannot show.
/// </summary>
public sealed class AuditCheckpoints(IDbContextFactory<AppDbContext> dbFactory, AuditChainKey key, TimeProvider time, ILogger<AuditCheckpoints> log)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>
    /// Appends the head unless it is already the latest checkpoint. Writes nothing when the chain no
    /// longer holds the latest checkpointed entry: a new checkpoint would anchor the cut chain.
    /// </summary>
    /// <returns>The checkpoint written, or null.</returns>
    public async Task<AuditCheckpoint?> CheckpointAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var file = AuditCheckpointFile.Read(key);
            if (file.Problem is not null)
            {
                log.LogError("Audit checkpoint not written: {Problem}", file.Problem);
                return null;
            }
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var head = await db.AuditEntries.AsNoTracking().OrderByDescending(e => e.Id).Select(e => new { e.Id, e.Hash }).FirstOrDefaultAsync(ct);
            var headId = head?.Id ?? 0;
            var headMac = head?.Hash ?? AuditHash.Genesis;

            long legacyThrough;
            if (file.Latest is { } last)
            {
                var recorded = last.Id == 0 ? AuditHash.Genesis : await db.AuditEntries.Where(e => e.Id == last.Id).Select(e => e.Hash).FirstOrDefaultAsync(ct);
                if (last.Id > headId || recorded != last.Mac)
                {
                    log.LogError(
                        "Audit checkpoint not written: the checkpoint of {CheckpointAt:O} recorded entry {CheckpointId}, which the chain (head {AuditEntryId}) no longer holds; entries were removed. Run GET /api/v1/audit/verify",
                        last.At, last.Id, headId);
                    return null;
                }
                if (last.Id == headId)
                {
                    log.LogDebug("Audit checkpoint unchanged at entry {AuditEntryId}", headId);
                    return null;
                }
                legacyThrough = last.LegacyThrough;
            }
            else
            {
                legacyThrough = await UnkeyedPrefixAsync(db, ct);
                if (headId > 0)
                {
                    log.LogWarning("Audit chain had no checkpoint in {CheckpointFile}; anchoring it as it is now, at entry {AuditEntryId}", key.CheckpointFile, headId);
                }
                if (legacyThrough > 0)
                {
                    log.LogWarning("Audit entries 1–{LegacyThrough} were written before the chain was keyed (plain SHA-256); this first checkpoint anchors them", legacyThrough);
                }
            }

            var checkpoint = new AuditCheckpoint(time.GetUtcNow().UtcDateTime, headId, headMac, legacyThrough);
            AuditCheckpointFile.Append(key, checkpoint);
            log.LogInformation(
                "Audit checkpoint: entry {AuditEntryId} with MAC {AuditEntryMac} at {CheckpointAt:O}, unkeyed through {LegacyThrough}",
                checkpoint.Id, checkpoint.Mac, checkpoint.At, checkpoint.LegacyThrough);
            return checkpoint;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The last id of the longest prefix that links and hashes as the unkeyed chain of a database
    /// written before keying. Asked only when there is no checkpoint yet; the first checkpoint then
    /// fixes it, so no later edit can turn keyed entries into unkeyed ones.
    /// </summary>
    private static async Task<long> UnkeyedPrefixAsync(AppDbContext db, CancellationToken ct)
    {
        var prev = AuditHash.Genesis;
        long last = 0;
        await foreach (var e in db.AuditEntries.AsNoTracking().OrderBy(e => e.Id).AsAsyncEnumerable().WithCancellation(ct))
        {
            if (e.Id != last + 1 || e.PrevHash != prev || AuditHash.ComputeUnkeyed(e.PrevHash, e) != e.Hash)
            {
                break;
            }
            prev = e.Hash;
            last = e.Id;
        }
        return last;
    }
}

/// <summary>The recurring checkpoint: a thin job over <see cref="AuditCheckpoints.CheckpointAsync"/>.</summary>
public sealed class AuditCheckpointJob(AuditCheckpoints checkpoints)
{
    public const string Id = "audit-checkpoint";

    public Task RunAsync(CancellationToken ct) => checkpoints.CheckpointAsync(ct);
}
