using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;

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

/// <summary>A path's line on the overview: its figures for the last 24 hours and the worst SLO state.</summary>
public sealed record PathHealth(string Slug, PathMetrics Metrics, IReadOnlyList<SloCheck> Checks)
{
    public SloState Worst => Checks.Count == 0 ? SloState.NoData : Checks.Max(c => c.State);
}

/// <summary>Dashboard figures read from rollups only (never from raw events).</summary>
public sealed class DashboardService(IDbContextFactory<AppDbContext> dbFactory)
{
    public async Task<PathMetrics> MetricsAsync(int pathId, DateTime from, DateTime to, string? modelVersion, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.PathRollups.AsNoTracking().Where(r => r.PathId == pathId && r.Segment == "" && r.BucketStart >= from && r.BucketStart < to);
        if (modelVersion is not null)
        {
            q = q.Where(r => r.ModelVersion == modelVersion);
        }
        var rows = await q.ToListAsync(ct);
        return Compute(rows);
    }

    /// <summary>The window cut into <paramref name="points"/> equal intervals, each with its figures (for charts).</summary>
    public async Task<IReadOnlyList<(DateTime Start, PathMetrics Metrics)>> SeriesAsync(
        int pathId, DateTime from, DateTime to, string? modelVersion, int points, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.PathRollups.AsNoTracking().Where(r => r.PathId == pathId && r.Segment == "" && r.BucketStart >= from && r.BucketStart < to);
        if (modelVersion is not null)
        {
            q = q.Where(r => r.ModelVersion == modelVersion);
        }
        var rows = await q.ToListAsync(ct);
        var step = (to - from) / points;
        return Enumerable.Range(0, points).Select(i =>
        {
            var start = from + step * i;
            var end = start + step;
            return (start, Compute(rows.Where(r => r.BucketStart >= start && r.BucketStart < end).ToList()));
        }).ToList();
    }

    public async Task<IReadOnlyList<string>> ModelVersionsAsync(int pathId, DateTime from, DateTime to, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.PathRollups.AsNoTracking().Where(r => r.PathId == pathId && r.BucketStart >= from && r.BucketStart < to)
            .Select(r => r.ModelVersion).Distinct().OrderBy(m => m).ToListAsync(ct);
    }

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

    /// <summary>The overview: every given path's last 24 hours, worst first.</summary>
    public async Task<IReadOnlyList<PathHealth>> OverviewAsync(IReadOnlyCollection<string> slugs, DateTime now, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var paths = await db.Paths.AsNoTracking().Where(p => slugs.Contains(p.Slug)).Select(p => new { p.Id, p.Slug, p.Slo }).ToListAsync(ct);
        var from = now.AddHours(-24);
        var rows = await db.PathRollups.AsNoTracking().Where(r => r.Segment == "" && r.BucketStart >= from && r.BucketStart <= now)
            .Where(r => paths.Select(p => p.Id).Contains(r.PathId)).ToListAsync(ct);
        return paths.Select(p =>
        {
            var metrics = Compute(rows.Where(r => r.PathId == p.Id).ToList());
            return new PathHealth(p.Slug, metrics, Evaluate(metrics, p.Slo));
        }).OrderByDescending(h => h.Worst).ThenBy(h => h.Slug, StringComparer.Ordinal).ToList();
    }

    public static PathMetrics Compute(IReadOnlyCollection<PathRollup> rows)
    {
        static double? Ratio(double part, double whole) => whole > 0 ? part / whole : null;
        var latency = new LatencySketch();
        var confidence = new ConfidenceHistogram();
        foreach (var r in rows)
        {
            latency.Merge(LatencySketch.FromBytes(r.Latency));
            confidence.Merge(RollupDelta.Histogram(r.Confidence));
        }
        long Sum(Func<PathRollup, long> f) => rows.Sum(f);
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
