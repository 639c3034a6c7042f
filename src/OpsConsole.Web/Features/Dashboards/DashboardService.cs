using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Web.Features.Dashboards;

/// <summary>A path's line on the overview: its figures for the last 24 hours, the worst SLO state, and what is open.</summary>
public sealed record PathHealth(string Slug, PathMetrics Metrics, IReadOnlyList<SloCheck> Checks, int OpenIncidents, int OpenReviewItems)
{
    public SloState Worst => Checks.Count == 0 ? SloState.NoData : Checks.Max(c => c.State);
}

/// <summary>Where dashboard windows end and how often an open dashboard refreshes.</summary>
public static class DashboardWindow
{
    /// <summary>Most intervals a linked window is cut into.</summary>
    public const int MaxWindowPoints = 60;

    private static readonly int[] StepMinutes = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];

    /// <summary>
    /// An exact window from a link (an incident's, say) fitted to the data: the smallest interval
    /// that keeps it within <see cref="MaxWindowPoints"/> points and is no finer than the buckets
    /// that hold it (minutes only while they are kept, then hours, then days); its start and end
    /// move out to interval boundaries so every figure counts whole buckets.
    /// </summary>
    public static (DateTime From, DateTime To, int Points) Fit(DateTime from, DateTime to, DateTime now, RollupOptions options)
    {
        // An hour's margin: compaction runs hourly and cuts at the hour.
        var minimum = from < now.AddDays(-options.HourBucketsDays).AddDays(1) ? 1440 : from < now.AddHours(-options.MinuteBucketsHours + 1) ? 60 : 1;
        var span = to - from;
        var step = StepMinutes.FirstOrDefault(m => m >= minimum && span.TotalMinutes / m <= MaxWindowPoints, 1440);
        var start = RollupKey.Floor(from, step);
        var points = Math.Max(1, (int)Math.Ceiling((to - start).TotalMinutes / step));
        return (start, start.AddMinutes(points * step), points);
    }

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
    QueueState Queue, int OpenIncidents)
{
    /// <summary>Kills, rollout changes, releases and incidents in the window, for the time axis.</summary>
    public IReadOnlyList<ChartMark> Marks { get; init; } = [];
}

/// <summary>Dashboard figures read from rollups only (never from raw events).</summary>
public sealed class DashboardService(IDbContextFactory<AppDbContext> dbFactory, MetricsQueries metrics)
{
    /// <summary>Breakdowns list the largest keys by volume; a long tail of tenants is not a dashboard.</summary>
    public const int MaxBreakdownRows = 20;

    public Task<PathMetrics> MetricsAsync(int pathId, DateTime from, DateTime to, string? modelVersion, CancellationToken ct) =>
        metrics.MetricsAsync(pathId, from, to, modelVersion, ct);

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
            queue.GetValueOrDefault(query.PathId, new QueueState(0, null)), incidents.GetValueOrDefault(query.PathId))
        {
            Marks = await ChartMarks.ReadAsync(db, query.PathId, query.From, query.To, ct),
        };
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

    public static IReadOnlyList<SloCheck> Evaluate(PathMetrics m, Paths.PathSlo slo) => MetricsQueries.Evaluate(m, slo);

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

    public static PathMetrics Compute(IReadOnlyCollection<PathRollup> rows) => MetricsQueries.Compute(rows);
}
