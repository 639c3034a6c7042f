using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Review;

namespace OpsConsole.Web.Features.Dashboards;

/// <summary>Running sums of one measure (latency, cost) over an arm's events, for means and their variance.</summary>
public readonly record struct Moments(long Count, double Sum, double SumOfSquares)
{
    public double? Mean => Count > 0 ? Sum / Count : null;
}

/// <summary>
/// One release's figures over a window, read from its events (and the reviews of those events): what
/// the dashboard's "by release" table and the guarded canary's arms show. Quality is approved over
/// decided reviews; the QA-sampled part is kept apart because the QA sample is drawn at the same rate
/// whatever the release (a hash of path and event id), so it is the unbiased comparison of arms.
/// </summary>
public sealed record ReleaseFigure(
    string? ReleaseId, long Events, long Errors, long Units, double? LatencyP95, Moments Latency, Moments Cost,
    long Decided, long Approved, long QaDecided, long QaApproved)
{
    public static ReleaseFigure Empty(string? releaseId) => new(releaseId, 0, 0, 0, null, default, default, 0, 0, 0, 0);

    public double? ErrorRate => Events > 0 ? (double)Errors / Events : null;
    public double? Quality => Decided > 0 ? (double)Approved / Decided : null;
    public double? QaQuality => QaDecided > 0 ? (double)QaApproved / QaDecided : null;
}

/// <summary>Per-release figures straight from the events table (the rollups do not keep the release).</summary>
public sealed class ReleaseFiguresQuery(IDbContextFactory<AppDbContext> dbFactory)
{
    /// <summary>
    /// The figures of <paramref name="releaseIds"/> (every release seen, and events without one under
    /// a null id, when null) for events that occurred in [<paramref name="from"/>, <paramref name="to"/>).
    /// </summary>
    public async Task<IReadOnlyList<ReleaseFigure>> ByReleaseAsync(int pathId, DateTime from, DateTime to, IReadOnlyCollection<string>? releaseIds, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Shadow outputs reached no user: they are judged in pairs, never counted for their release's arm.
        var events = db.InferenceEvents.AsNoTracking().Where(e => e.PathId == pathId && e.OccurredAt >= from && e.OccurredAt < to && e.ShadowOf == null);
        if (releaseIds is not null)
        {
            var ids = releaseIds.ToList();
            events = events.Where(e => e.ReleaseId != null && ids.Contains(e.ReleaseId));
        }
        var sums = await events.GroupBy(e => e.ReleaseId).Select(g => new
        {
            g.Key,
            Events = g.LongCount(),
            Errors = g.LongCount(e => e.Outcome == Outcomes.Error),
            LatencyCount = g.LongCount(e => e.LatencyMs != null),
            LatencySum = g.Sum(e => e.LatencyMs ?? 0),
            LatencySquares = g.Sum(e => (e.LatencyMs ?? 0) * (e.LatencyMs ?? 0)),
            CostCount = g.LongCount(e => e.CostUsd != null),
            CostSum = g.Sum(e => e.CostUsd ?? 0),
            CostSquares = g.Sum(e => (e.CostUsd ?? 0) * (e.CostUsd ?? 0)),
        }).ToListAsync(ct);
        var units = await events.Where(e => e.Unit != null).GroupBy(e => e.ReleaseId)
            .Select(g => new { g.Key, Units = g.Select(e => e.Unit).Distinct().LongCount() }).ToListAsync(ct);
        var reviews = await db.ReviewItems.AsNoTracking()
            .Where(r => r.PathId == pathId && (r.Status == ReviewStatuses.Approved || r.Status == ReviewStatuses.Corrected || r.Status == ReviewStatuses.Rejected))
            .Join(events, r => r.EventRowId, e => e.Id, (r, e) => new { e.ReleaseId, r.Status, r.Reason })
            .GroupBy(x => x.ReleaseId).Select(g => new
            {
                g.Key,
                Decided = g.LongCount(),
                Approved = g.LongCount(x => x.Status == ReviewStatuses.Approved),
                QaDecided = g.LongCount(x => x.Reason == ReviewReasons.QaSample),
                QaApproved = g.LongCount(x => x.Reason == ReviewReasons.QaSample && x.Status == ReviewStatuses.Approved),
            }).ToListAsync(ct);
        var list = new List<ReleaseFigure>();
        foreach (var s in sums)
        {
            var u = units.FirstOrDefault(x => x.Key == s.Key);
            var r = reviews.FirstOrDefault(x => x.Key == s.Key);
            list.Add(new ReleaseFigure(s.Key, s.Events, s.Errors, u?.Units ?? 0,
                await P95Async(events.Where(e => e.ReleaseId == s.Key), s.LatencyCount, ct),
                new Moments(s.LatencyCount, s.LatencySum, s.LatencySquares), new Moments(s.CostCount, s.CostSum, s.CostSquares),
                r?.Decided ?? 0, r?.Approved ?? 0, r?.QaDecided ?? 0, r?.QaApproved ?? 0));
        }
        return list;
    }

    /// <summary>The nearest-rank 95th percentile of latency (one indexed row read after the count is known).</summary>
    private static async Task<double?> P95Async(IQueryable<InferenceEvent> arm, long count, CancellationToken ct)
    {
        if (count == 0)
        {
            return null;
        }
        var rank = (int)Math.Ceiling(0.95 * count) - 1;
        return await arm.Where(e => e.LatencyMs != null).OrderBy(e => e.LatencyMs).Select(e => e.LatencyMs).Skip(rank).FirstOrDefaultAsync(ct);
    }
}
