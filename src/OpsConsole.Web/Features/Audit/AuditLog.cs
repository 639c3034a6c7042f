using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Audit;

public sealed record AuditActor(string? UserId, string Name)
{
    public static readonly AuditActor System = new(null, "system");

    public static AuditActor From(ClaimsPrincipal user) =>
        new(user.FindFirstValue(ClaimTypes.NameIdentifier), user.Identity?.Name ?? "anonymous");
}

/// <summary>
/// Opens the write in which a change and its audit entries commit together. Writers are serialised
/// (in process by a gate, across processes by SQLite's write lock or PostgreSQL's advisory lock)
/// so every entry links to the true head and the chain never forks. Each entry's MAC is keyed with
/// the chain key, which the database does not hold.
/// </summary>
public sealed class AuditLog(TimeProvider time, AuditChainKey key)
{
    internal static readonly JsonSerializerOptions SnapshotJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The advisory lock that serialises audited writes across instances on PostgreSQL ("OCAUDIT1").</summary>
    internal const long ChainLockKey = 0x4F43415544495431;

    public async Task<AuditedWrite> BeginAsync(AppDbContext db, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var tx = await db.Database.BeginTransactionAsync(ct);
            if (db.Database.IsNpgsql())
            {
                // Several instances write one chain: the lock serialises them until this transaction ends,
                // so each reads the true head (SQLite gets the same from its single write lock).
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({ChainLockKey})", ct);
            }
            return new AuditedWrite(db, tx, time, key, _gate);
        }
        catch
        {
            _gate.Release();
            throw;
        }
    }
}

public sealed class AuditedWrite : IAsyncDisposable
{
    private readonly IDbContextTransaction _tx;
    private readonly TimeProvider _time;
    private readonly AuditChainKey _key;
    private readonly SemaphoreSlim _gate;
    private readonly List<AuditEntry> _pending = [];
    private bool _done;

    internal AuditedWrite(AppDbContext db, IDbContextTransaction tx, TimeProvider time, AuditChainKey key, SemaphoreSlim gate)
    {
        Db = db;
        _tx = tx;
        _time = time;
        _key = key;
        _gate = gate;
    }

    public AppDbContext Db { get; }

    public void Record(AuditActor actor, string action, string targetType, string targetId, string? pathSlug, object? before, object? after)
    {
        _pending.Add(new AuditEntry
        {
            ActorId = actor.UserId,
            ActorName = actor.Name,
            Action = action,
            TargetType = targetType,
            TargetId = targetId,
            PathSlug = pathSlug,
            BeforeJson = before is null ? null : JsonSerializer.Serialize(before, AuditLog.SnapshotJson),
            AfterJson = after is null ? null : JsonSerializer.Serialize(after, AuditLog.SnapshotJson),
        });
    }

    public async Task CommitAsync(CancellationToken ct)
    {
        if (_pending.Count > 0)
        {
            var head = await Db.AuditEntries.AsNoTracking()
                .OrderByDescending(e => e.Id)
                .Select(e => new { e.Id, e.Hash })
                .FirstOrDefaultAsync(ct);
            var id = head?.Id ?? 0;
            var prev = head?.Hash ?? AuditHash.Genesis;
            var now = _time.GetUtcNow().UtcDateTime;
            // PostgreSQL keeps microseconds: the MAC must cover the time exactly as it is read back.
            now = now.AddTicks(-(now.Ticks % 10));
            foreach (var entry in _pending)
            {
                entry.Id = ++id;
                entry.At = now;
                entry.PrevHash = prev;
                entry.Hash = AuditHash.Compute(_key.Bytes, prev, entry);
                prev = entry.Hash;
                Db.AuditEntries.Add(entry);
            }
        }
        await Db.SaveChangesAsync(ct);
        await _tx.CommitAsync(ct);
        _done = true;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_done)
            {
                await _tx.RollbackAsync();
            }
            await _tx.DisposeAsync();
        }
        finally
        {
            _gate.Release();
        }
    }
}
