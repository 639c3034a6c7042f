using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Features.Metrics;

/// <summary>
/// A path's context freshness over a window, read from the stored events' sources rather than from
/// rollups: the figures depend on the registry (a source's SLO, which names are known), which owners
/// edit after the fact, so counting them at ingestion would freeze yesterday's registry into them.
/// The read is bounded by <see cref="MaxEvents"/> (the latest of the window), on the
/// (PathId, OccurredAt) index; shadow outputs are left out, as nobody was served them.
/// </summary>
public sealed class FreshnessQueries(IDbContextFactory<AppDbContext> dbFactory)
{
    /// <summary>At most this many events (the latest of the window) are read per question.</summary>
    public const int MaxEvents = 20_000;

    public async Task<FreshnessSummary> WindowAsync(int pathId, DateTime from, DateTime to, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var registry = await db.Paths.AsNoTracking().Where(p => p.Id == pathId).Select(p => p.ContextSources).FirstOrDefaultAsync(ct);
        if (registry is null)
        {
            return FreshnessSummary.Empty;
        }
        var rows = await db.InferenceEvents.AsNoTracking()
            .Where(e => e.PathId == pathId && e.OccurredAt >= from && e.OccurredAt < to && e.ShadowOf == null)
            .OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id)
            .Select(e => new { e.OccurredAt, e.SourcesJson })
            .Take(MaxEvents)
            .ToListAsync(ct);
        return ContextFreshness.Summarize(rows.Select(r => (r.OccurredAt, r.SourcesJson)), registry);
    }
}
