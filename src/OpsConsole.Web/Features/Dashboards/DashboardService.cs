using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Review;

namespace OpsConsole.Web.Features.Dashboards;

/// <summary>A path's figures for a window, as DESIGN.md "Metrics" defines them; null where the denominator is zero.</summary>
public sealed record PathMetrics(
    long Volume, long Routed, double? EscalationRate,
    long Decided, double? Quality, double? CorrectionRate, double? RejectionRate, double? QaSampleQuality,
    double? LatencyP50, double? LatencyP95, double? LatencyP99,
    double CostTotal, double? CostPerRequest, double? CostPerCompletedTask,
    double? ErrorRate, double? TimeoutRate, double? FallbackRate,
    IReadOnlyList<long> ConfidenceHistogram);

public enum SloState
{
    NoData,
    Ok,
    AtRisk,
    Breached,
}

/// <summary>One figure held against its SLO.</summary>
public sealed record SloCheck(string Name, double? Value, double? Limit, SloState State);

/// <summary>A path's line on the overview: its figures for the last 24 hours, the worst SLO state, and what is open.</summary>
public sealed record PathHealth(string Slug, PathMetrics Metrics, IReadOnlyList<SloCheck> Checks, int OpenIncidents, int OpenReviewItems)
{
    public SloState Worst => Checks.Count == 0 ? SloState.NoData : Checks.Max(c => c.State);
}

/// <summary>A window's figures and its merged latency sketch (drift checks compare two of them).</summary>
public sealed record DashboardWindowData(PathMetrics Metrics, LatencySketch Latency);

/// <summary>Where dashboard windows end and how often an open dashboard refreshes.</summary>
public static class DashboardWindow
{
    /// <summary>An open dashboard reloads at most this often while data arrives.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Where a window of <paramref name="span"/> ending now ends: the next whole minute for views
    /// under a day, else the next whole hour. Windows and their intervals then start on bucket
    /// boundaries of the data they read (minute buckets for the last 3 h, hour buckets for 70 days,
    /// day buckets before), so every figure counts exactly the events inside the window.
    /// </summary>
    public static DateTime End(DateTime now, TimeSpan span)
    {
        var minutes = span >= TimeSpan.FromDays(1) ? 60 : 1;
        return RollupKey.Floor(now, minutes).AddMinutes(minutes);
    }
}

/// <summary>What figures are broken down by.</summary>
public enum Breakdown
{
    None,
    ModelVersion,
    Attribute,
}

/// <summary>
/// One dashboard view: the window [<see cref="From"/>, <see cref="To"/>) cut into <see cref="Points"/>
/// intervals, optionally narrowed to one model version and/or one value of the path's breakdown attribute.
/// </summary>
public sealed record DashboardQuery(int PathId, DateTime From, DateTime To, int Points)
{
    public string? ModelVersion { get; init; }
    public string? Segment { get; init; }
    public Breakdown Breakdown { get; init; }
    public TimeSpan Span => To - From;
}

public sealed record SeriesPoint(DateTime Start, PathMetrics Metrics);

public sealed record BreakdownRow(string Key, PathMetrics Metrics);

/// <summary>Open review work of a path: how many items wait and since when the oldest.</summary>
public sealed record QueueState(int Open, DateTime? OldestCreatedAt);

/// <summary>Everything one path dashboard shows, current and previous period side by side.</summary>
public sealed record DashboardData(
    PathMetrics Current, PathMetrics Previous,
    IReadOnlyList<SeriesPoint> Series, IReadOnlyList<SeriesPoint> PreviousSeries,
    IReadOnlyList<BreakdownRow> Breakdown, IReadOnlyList<string> ModelVersions, IReadOnlyList<string> Segments,
    QueueState Queue, int OpenIncidents);

/// <summary>Dashboard figures read from rollups only (never from raw events).</summary>
public sealed class DashboardService(IDbContextFactory<AppDbContext> dbFactory)
{
    /// <summary>Breakdowns list the largest keys by volume; a long tail of tenants is not a dashboard.</summary>
    public const int MaxBreakdownRows = 20;

    public async Task<PathMetrics> MetricsAsync(int pathId, DateTime from, DateTime to, string? modelVersion, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = WholePath(db, pathId, from, to);
        if (modelVersion is not null)
        {
            q = q.Where(r => r.ModelVersion == modelVersion);
        }
        return Compute(await q.ToListAsync(ct));
    }

    /// <summary>The whole path's figures and latency sketch for [from, to), from rollups.</summary>
    public async Task<DashboardWindowData> WindowAsync(int pathId, DateTime from, DateTime to, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var latency = new LatencySketch();
        return new DashboardWindowData(Compute(await WholePath(db, pathId, from, to).ToListAsync(ct), latency), latency);
    }

    /// <summary>The path's rollup rows of [from, to) without the per-attribute rows.</summary>
    private static IQueryable<PathRollup> WholePath(AppDbContext db, int pathId, DateTime from, DateTime to) =>
        db.PathRollups.AsNoTracking().Where(r => r.PathId == pathId && r.Segment == "" && r.BucketStart >= from && r.BucketStart < to);

    /// <summary>
    /// The whole dashboard in one read of the rollups of this and the previous period (plus the
    /// open queue and incidents): every figure, both series, the breakdown and the filter choices.
    /// </summary>
    public async Task<DashboardData> LoadAsync(DashboardQuery query, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var previousFrom = query.From - query.Span;
        var window = db.PathRollups.AsNoTracking().Where(r => r.PathId == query.PathId && r.BucketStart >= previousFrom && r.BucketStart < query.To);
        var wantSegments = query.Segment is not null || query.Breakdown == Breakdown.Attribute;
        var rows = await (wantSegments ? window : window.Where(r => r.Segment == "")).ToListAsync(ct);

        var scoped = rows.Where(r => (query.ModelVersion is null || r.ModelVersion == query.ModelVersion) && r.Segment == (query.Segment ?? "")).ToList();
        var current = scoped.Where(r => r.BucketStart >= query.From).ToList();
        var previous = scoped.Where(r => r.BucketStart < query.From).ToList();
        var breakdown = query.Breakdown switch
        {
            Breakdown.ModelVersion => Group(current, r => r.ModelVersion),
            Breakdown.Attribute => Group(rows.Where(r => r.BucketStart >= query.From && r.Segment != ""
                && (query.ModelVersion is null || r.ModelVersion == query.ModelVersion)), r => r.Segment),
            _ => [],
        };
        var queue = await QueueAsync(db, [query.PathId], ct);
        var incidents = await OpenIncidentsAsync(db, [query.PathId], ct);
        return new DashboardData(
            Compute(current), Compute(previous),
            Series(current, query.From, query.To, query.Points), Series(previous, previousFrom, query.From, query.Points),
            breakdown,
            rows.Where(r => r.Segment == "").Select(r => r.ModelVersion).Distinct().Order(StringComparer.Ordinal).ToList(),
            await window.Where(r => r.Segment != "").Select(r => r.Segment).Distinct().OrderBy(s => s).Take(200).ToListAsync(ct),
            queue.GetValueOrDefault(query.PathId, new QueueState(0, null)), incidents.GetValueOrDefault(query.PathId));
    }

    /// <summary>The window cut into equal intervals, each with its figures (a bucket counts in the interval it starts in).</summary>
    public static IReadOnlyList<SeriesPoint> Series(IReadOnlyList<PathRollup> rows, DateTime from, DateTime to, int points)
    {
        var step = (to - from) / points;
        var buckets = new List<PathRollup>[points];
        for (var i = 0; i < points; i++)
        {
            buckets[i] = [];
        }
        foreach (var r in rows)
        {
            var i = (int)((r.BucketStart - from) / step);
            if (i >= 0 && i < points)
            {
                buckets[i].Add(r);
            }
        }
        return buckets.Select((b, i) => new SeriesPoint(from + step * i, Compute(b))).ToList();
    }

    private static IReadOnlyList<BreakdownRow> Group(IEnumerable<PathRollup> rows, Func<PathRollup, string> key) =>
        rows.GroupBy(key).Select(g => new BreakdownRow(g.Key, Compute(g.ToList())))
            .OrderByDescending(b => b.Metrics.Volume).ThenBy(b => b.Key, StringComparer.Ordinal).Take(MaxBreakdownRows).ToList();

    private static async Task<Dictionary<int, QueueState>> QueueAsync(AppDbContext db, IReadOnlyCollection<int> pathIds, CancellationToken ct) =>
        (await db.ReviewItems.AsNoTracking()
            .Where(r => pathIds.Contains(r.PathId) && (r.Status == ReviewStatuses.Pending || r.Status == ReviewStatuses.Claimed))
            .GroupBy(r => r.PathId).Select(g => new { g.Key, Open = g.Count(), Oldest = g.Min(r => r.CreatedAt) }).ToListAsync(ct))
        .ToDictionary(x => x.Key, x => new QueueState(x.Open, x.Oldest));

    private static async Task<Dictionary<int, int>> OpenIncidentsAsync(AppDbContext db, IReadOnlyCollection<int> pathIds, CancellationToken ct) =>
        (await db.Incidents.AsNoTracking().Where(i => pathIds.Contains(i.PathId) && i.Status != Incidents.IncidentStatuses.Resolved)
            .GroupBy(i => i.PathId).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct))
        .ToDictionary(x => x.Key, x => x.Count);

    /// <summary>
    /// Holds the figures against the path's SLOs: breached past the limit, at risk within 10 % of it
    /// (5 % for quality, which moves less), no data without a value or a limit.
    /// </summary>
    public static IReadOnlyList<SloCheck> Evaluate(PathMetrics m, Paths.PathSlo slo)
    {
        static SloCheck Check(string name, double? value, double? limit, bool higherIsBetter)
        {
            if (value is not { } v || limit is not { } l)
            {
                return new SloCheck(name, value, limit, SloState.NoData);
            }
            var breached = higherIsBetter ? v < l : v > l;
            var atRisk = higherIsBetter ? v < l * 1.05 : v > l * 0.9;
            return new SloCheck(name, v, l, breached ? SloState.Breached : atRisk ? SloState.AtRisk : SloState.Ok);
        }
        return
        [
            Check("quality", m.Quality, slo.QualityTarget, higherIsBetter: true),
            Check("p95", m.LatencyP95, slo.P95LatencyMs, higherIsBetter: false),
            Check("cost", m.CostPerRequest, slo.CostPerRequestUsd, higherIsBetter: false),
            Check("errors", m.ErrorRate, slo.MaxErrorRate, higherIsBetter: false),
        ];
    }

    /// <summary>
    /// The oldest open review item against the path's review SLA: breached past it, at risk past 80 % of it.
    /// </summary>
    public static SloCheck EvaluateQueue(QueueState queue, int reviewSlaMinutes, DateTime now)
    {
        if (queue.OldestCreatedAt is not { } oldest)
        {
            return new SloCheck("queue", 0, reviewSlaMinutes, SloState.Ok);
        }
        var age = (now - oldest).TotalMinutes;
        var state = age > reviewSlaMinutes ? SloState.Breached : age > reviewSlaMinutes * 0.8 ? SloState.AtRisk : SloState.Ok;
        return new SloCheck("queue", age, reviewSlaMinutes, state);
    }

    /// <summary>The overview: every given path's last 24 hours and open work, worst first.</summary>
    public async Task<IReadOnlyList<PathHealth>> OverviewAsync(IReadOnlyCollection<string> slugs, DateTime now, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var paths = await db.Paths.AsNoTracking().Where(p => slugs.Contains(p.Slug))
            .Select(p => new { p.Id, p.Slug, p.Slo, p.ReviewSlaMinutes, p.KillSwitchOn }).ToListAsync(ct);
        var ids = paths.Select(p => p.Id).ToList();
        var from = now.AddHours(-24);
        var rows = await db.PathRollups.AsNoTracking().Where(r => r.Segment == "" && r.BucketStart >= from && r.BucketStart <= now)
            .Where(r => ids.Contains(r.PathId)).ToListAsync(ct);
        var queues = await QueueAsync(db, ids, ct);
        var incidents = await OpenIncidentsAsync(db, ids, ct);
        return paths.Select(p =>
        {
            var metrics = Compute(rows.Where(r => r.PathId == p.Id).ToList());
            var queue = queues.GetValueOrDefault(p.Id, new QueueState(0, null));
            // An empty queue says nothing about a path's health; a late one does.
            var checks = Evaluate(metrics, p.Slo).Concat(queue.Open > 0 ? [EvaluateQueue(queue, p.ReviewSlaMinutes, now)] : []).ToList();
            return (Health: new PathHealth(p.Slug, metrics, checks, incidents.GetValueOrDefault(p.Id), queue.Open), p.KillSwitchOn);
        })
        // Worst first: a breached SLO, then open incidents, then a killed path, then the rest by name.
        .OrderByDescending(x => x.Health.Worst).ThenByDescending(x => x.Health.OpenIncidents).ThenByDescending(x => x.KillSwitchOn)
        .ThenBy(x => x.Health.Slug, StringComparer.Ordinal).Select(x => x.Health).ToList();
    }

    public static PathMetrics Compute(IReadOnlyCollection<PathRollup> rows) => Compute(rows, new LatencySketch());

    /// <summary>The figures of <paramref name="rows"/>; <paramref name="latency"/> receives their merged latency sketch.</summary>
    private static PathMetrics Compute(IReadOnlyCollection<PathRollup> rows, LatencySketch latency)
    {
        static double? Ratio(double part, double whole) => whole > 0 ? part / whole : null;
        var confidence = new ConfidenceHistogram();
        foreach (var r in rows)
        {
            latency.MergeBytes(r.Latency);
            confidence.MergeBytes(r.Confidence);
        }
        // Saturating, not LINQ's checked Sum: an overflowing count (a hand-edited row) must not fail the page.
        long Sum(Func<PathRollup, long> f) => rows.Aggregate(0L, (total, r) => RollupDelta.SaturatingAdd(total, f(r)));
        var events = Sum(r => r.Events);
        var routed = Sum(r => r.RoutedLowConfidence + r.RoutedError + r.RoutedQaSample);
        var decided = Sum(r => r.Approved + r.Corrected + r.Rejected);
        var cost = rows.Sum(r => r.CostUsd);
        return new PathMetrics(
            events, routed, Ratio(routed, events),
            decided, Ratio(Sum(r => r.Approved), decided), Ratio(Sum(r => r.Corrected), decided), Ratio(Sum(r => r.Rejected), decided),
            Ratio(Sum(r => r.QaApproved), Sum(r => r.QaDecided)),
            latency.Quantile(0.50), latency.Quantile(0.95), latency.Quantile(0.99),
            cost, Ratio(cost, events),
            // A completed task is an event that ended ok: errors, timeouts and fallbacks did not complete the AI's task.
            Ratio(cost, Sum(r => r.Ok)),
            Ratio(Sum(r => r.Errors), events), Ratio(Sum(r => r.Timeouts), events), Ratio(Sum(r => r.Fallbacks), events),
            confidence.Counts);
    }
}
