using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Audit;

public sealed record AuditFilter(string? PathSlug = null, string? Actor = null, string? Action = null, DateTime? From = null, DateTime? To = null);

public sealed record AuditSlice(IReadOnlyList<AuditEntry> Items, long? NextBefore);

public sealed record AuditVerifyResult(string Status, long Checked, long? BrokenEntryId = null, string? Problem = null);

public sealed class AuditService(IDbContextFactory<AppDbContext> dbFactory)
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
        var items = await q.OrderByDescending(e => e.Id).Take(pageSize + 1).ToListAsync(ct);
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

    /// <summary>Walks the whole chain in order and reports the first entry that does not link or hash.</summary>
    public async Task<AuditVerifyResult> VerifyAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var expectedPrev = AuditHash.Genesis;
        long expectedId = 1, count = 0;
        await foreach (var e in db.AuditEntries.AsNoTracking().OrderBy(e => e.Id).AsAsyncEnumerable().WithCancellation(ct))
        {
            if (e.Id != expectedId)
            {
                return new("broken", count, e.Id, $"entry {expectedId} is missing: the chain jumps from {expectedId - 1} to {e.Id}");
            }
            if (e.PrevHash != expectedPrev)
            {
                return new("broken", count, e.Id, "previous hash does not match the entry before it (an earlier entry was changed or removed)");
            }
            if (AuditHash.Compute(e.PrevHash, e) != e.Hash)
            {
                return new("broken", count, e.Id, "content does not match its hash (the entry was changed)");
            }
            expectedPrev = e.Hash;
            expectedId++;
            count++;
        }
        return new("ok", count);
    }
}
