using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Audit;

public sealed record AuditFilter(string? PathSlug = null, string? Actor = null, string? Action = null, DateTime? From = null, DateTime? To = null);

/// <summary>An entry of the chain as the audit page lists it.</summary>
public sealed record AuditRow(long Id, DateTime At, string ActorName, string Action, string TargetType, string TargetId, string? PathSlug,
    string? BeforeJson, string? AfterJson, string PrevHash, string Hash);

public sealed record AuditSlice(IReadOnlyList<AuditRow> Items, long? NextBefore);

/// <summary>
/// <c>ok</c>, or <c>broken</c> with the first entry that fails (when one can be named) and why.
/// <see cref="Reason"/> is one of entry_changed, entry_missing, link_broken, tail_dropped,
/// checkpoint_invalid, checkpoint_missing.
/// </summary>
public sealed record AuditVerifyResult(string Status, long Checked, long? BrokenEntryId = null, string? Problem = null)
{
    public string? Reason { get; init; }

    /// <summary>The newest checkpoint the chain was checked against.</summary>
    public long? CheckpointId { get; init; }

    public DateTime? CheckpointAt { get; init; }

    /// <summary>Entries up to this id predate the keyed chain and carry plain SHA-256 hashes (0: none).</summary>
    public long? LegacyThrough { get; init; }
}

public sealed class AuditService(IDbContextFactory<AppDbContext> dbFactory, AuditChainKey key)
{
    /// <summary>
    /// Newest first, keyset-paged on the entry id. <paramref name="onlyPaths"/> limits the
    /// result to those paths' entries (for owners); null means every entry (admins).
    /// </summary>
    public async Task<AuditSlice> SearchAsync(AuditFilter filter, IReadOnlyCollection<string>? onlyPaths, long? before, int pageSize, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.AuditEntries.AsNoTracking();
        if (onlyPaths is not null)
        {
            q = q.Where(e => e.PathSlug != null && onlyPaths.Contains(e.PathSlug));
        }
        if (!string.IsNullOrWhiteSpace(filter.PathSlug))
        {
            q = q.Where(e => e.PathSlug == filter.PathSlug);
        }
        if (!string.IsNullOrWhiteSpace(filter.Actor))
        {
            var actor = filter.Actor.Trim();
            q = q.Where(e => e.ActorName.Contains(actor));
        }
        if (!string.IsNullOrWhiteSpace(filter.Action))
        {
            var action = filter.Action.Trim();
            q = q.Where(e => e.Action.StartsWith(action));
        }
        if (filter.From is { } from)
        {
            q = q.Where(e => e.At >= from);
        }
        if (filter.To is { } to)
        {
            q = q.Where(e => e.At < to);
        }
        if (before is { } b)
        {
            q = q.Where(e => e.Id < b);
        }
        var items = await q.OrderByDescending(e => e.Id).Take(pageSize + 1)
            .Select(e => new AuditRow(e.Id, e.At, e.ActorName, e.Action, e.TargetType, e.TargetId, e.PathSlug, e.BeforeJson, e.AfterJson, e.PrevHash, e.Hash))
            .ToListAsync(ct);
        long? next = null;
        if (items.Count > pageSize)
        {
            items.RemoveAt(pageSize);
            next = items[^1].Id;
        }
        return new AuditSlice(items, next);
    }

    public async Task<IReadOnlyList<string>> ActionsAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.AuditEntries.Select(e => e.Action).Distinct().OrderBy(a => a).ToListAsync(ct);
    }

    /// <summary>
    /// Walks the whole chain in order with the chain key and checks it against the checkpoint file:
    /// reports the first entry that does not link or MAC, or a tail the checkpoints saw that is gone.
    /// </summary>
    public async Task<AuditVerifyResult> VerifyAsync(CancellationToken ct)
    {
        var checkpoints = AuditCheckpointFile.Read(key);
        if (checkpoints.Problem is not null)
        {
            return new("broken", 0, null, checkpoints.Problem) { Reason = "checkpoint_invalid" };
        }
        if (checkpoints.Latest is not { } latest)
        {
            // Every start writes one, so an empty or missing file was removed.
            return new("broken", 0, null, $"{key.CheckpointFile} holds no checkpoint, so entries removed from the end cannot be ruled out") { Reason = "checkpoint_missing" };
        }
        var legacy = checkpoints.LegacyThrough;
        AuditVerifyResult Result(string status, long count, long? id = null, string? reason = null, string? problem = null) =>
            new(status, count, id, problem) { Reason = reason, CheckpointId = latest.Id, CheckpointAt = latest.At, LegacyThrough = legacy };

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var expectedPrev = AuditHash.Genesis;
        long expectedId = 1, count = 0;
        await foreach (var e in db.AuditEntries.AsNoTracking().OrderBy(e => e.Id).AsAsyncEnumerable().WithCancellation(ct))
        {
            if (e.Id != expectedId)
            {
                return Result("broken", count, e.Id, "entry_missing", $"entry {expectedId} is missing: the chain jumps from {expectedId - 1} to {e.Id}");
            }
            if (e.PrevHash != expectedPrev)
            {
                return Result("broken", count, e.Id, "link_broken", "previous hash does not match the entry before it (an earlier entry was changed or removed)");
            }
            if (e.Id <= legacy)
            {
                if (AuditHash.ComputeUnkeyed(e.PrevHash, e) != e.Hash)
                {
                    return Result("broken", count, e.Id, "entry_changed", "content does not match its hash (the entry was changed)");
                }
            }
            else if (AuditHash.Compute(key.Bytes, e.PrevHash, e) != e.Hash)
            {
                return Result("broken", count, e.Id, "entry_changed", "content does not match its MAC (the entry was changed, or the chain was recomputed without the chain key)");
            }
            if (checkpoints.At(e.Id) is { } anchor && anchor.Mac != e.Hash)
            {
                // Unkeyed entries can be rehashed by anyone; the checkpoint is what pins them.
                return e.Id <= legacy
                    ? Result("broken", count, e.Id, "entry_changed", $"entry {e.Id} is not the one the checkpoint of {anchor.At:u} recorded: an entry up to it, from before the chain was keyed, was changed and the hashes recomputed")
                    : Result("broken", count, e.Id, "tail_dropped", $"entry {e.Id} is not the one the checkpoint of {anchor.At:u} recorded: entries up to it are missing and the chain was written anew from the cut");
            }
            expectedPrev = e.Hash;
            expectedId++;
            count++;
        }
        var head = expectedId - 1;
        if (latest.Id > head)
        {
            return Result("broken", count, head + 1, "tail_dropped",
                $"entries {head + 1}–{latest.Id} are missing: the checkpoint of {latest.At:u} recorded entry {latest.Id}, and the chain now ends at {head}");
        }
        return Result("ok", count);
    }
}
