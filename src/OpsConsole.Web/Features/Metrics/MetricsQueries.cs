using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Metrics;

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

/// <summary>A window's figures and its merged latency sketch (drift checks compare two of them).</summary>
public sealed record DashboardWindowData(PathMetrics Metrics, LatencySketch Latency);

/// <summary>
/// A path's figures read from its rollups: the read side of Metrics, which the dashboards, drift
/// checks and rollout gates all ask (never raw events).
/// </summary>
public sealed class MetricsQueries(IDbContextFactory<AppDbContext> dbFactory)
{
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

    public static PathMetrics Compute(IReadOnlyCollection<PathRollup> rows) => Compute(rows, new LatencySketch());

    /// <summary>The figures of <paramref name="rows"/>; <paramref name="latency"/> receives their merged latency sketch.</summary>
    internal static PathMetrics Compute(IReadOnlyCollection<PathRollup> rows, LatencySketch latency)
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
