using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Metrics;

namespace OpsConsole.Tests.Features.Dashboards;

/// <summary>Each metric of DESIGN.md on a fixture small enough to compute by hand.</summary>
public class DashboardMetricsTests
{
    private static PathRollup Row(Action<RollupDelta> fill, params double[] latencies)
    {
        var d = new RollupDelta();
        fill(d);
        foreach (var l in latencies)
        {
            d.Latency.Add(l);
        }
        return new PathRollup
        {
            Events = d.Events,
            Ok = d.Ok,
            Errors = d.Errors,
            Timeouts = d.Timeouts,
            Fallbacks = d.Fallbacks,
            CostUsd = d.CostUsd,
            RoutedLowConfidence = d.RoutedLowConfidence,
            RoutedError = d.RoutedError,
            RoutedQaSample = d.RoutedQaSample,
            Approved = d.Approved,
            Corrected = d.Corrected,
            Rejected = d.Rejected,
            QaApproved = d.QaApproved,
            QaDecided = d.QaDecided,
            Latency = d.Latency.ToBytes(),
            Confidence = RollupDelta.HistogramBytes(d.Confidence),
        };
    }

    [Fact]
    public void Compute_HandFixture_EveryDefinition()
    {
        // Two buckets. Bucket 1: 10 events (7 ok, 1 error, 1 timeout, 1 fallback), $0.50, 3 routed (2 low, 1 qa),
        // decisions 2 approved + 1 corrected (the qa item approved). Bucket 2: 10 ok events, $1.50, 2 routed
        // (1 error, 1 qa), decisions 1 rejected (the qa item) + 1 approved.
        var rows = new[]
        {
            Row(d => { d.Events = 10; d.Ok = 7; d.Errors = 1; d.Timeouts = 1; d.Fallbacks = 1; d.CostUsd = 0.5; d.RoutedLowConfidence = 2; d.RoutedQaSample = 1;
                       d.Approved = 2; d.Corrected = 1; d.QaDecided = 1; d.QaApproved = 1; }, 100, 200, 300, 400, 500),
            Row(d => { d.Events = 10; d.Ok = 10; d.CostUsd = 1.5; d.RoutedError = 1; d.RoutedQaSample = 1; d.Rejected = 1; d.Approved = 1; d.QaDecided = 1; },
                600, 700, 800, 900, 1000),
        };

        var m = DashboardService.Compute(rows);

        Assert.Equal(20, m.Volume);
        Assert.Equal(5, m.Routed);
        Assert.Equal(5 / 20.0, m.EscalationRate);              // review items / events
        Assert.Equal(5, m.Decided);
        Assert.Equal(3 / 5.0, m.Quality);                       // approved / decided
        Assert.Equal(1 / 5.0, m.CorrectionRate);
        Assert.Equal(1 / 5.0, m.RejectionRate);
        Assert.Equal(1 / 2.0, m.QaSampleQuality);               // approved / decided, qa_sample items only
        Assert.Equal(2.0, m.CostTotal, 9);
        Assert.Equal(2.0 / 20, m.CostPerRequest!.Value, 9);
        Assert.Equal(2.0 / 17, m.CostPerCompletedTask!.Value, 9); // 17 events ended ok
        Assert.Equal(1 / 20.0, m.ErrorRate);
        Assert.Equal(1 / 20.0, m.TimeoutRate);
        Assert.Equal(1 / 20.0, m.FallbackRate);
        // Latencies 100..1000: rank ⌊0.5·9⌋ = 4 → 500; ⌊0.95·9⌋ = 8 → 900 (within the sketch's 1 %).
        Assert.InRange(m.LatencyP50!.Value, 495, 505);
        Assert.InRange(m.LatencyP95!.Value, 891, 909);
    }

    [Fact]
    public void Compute_NoData_RatesAreEmptyNotZero()
    {
        var m = DashboardService.Compute([]);
        Assert.Equal(0, m.Volume);
        Assert.Null(m.Quality);
        Assert.Null(m.EscalationRate);
        Assert.Null(m.LatencyP95);
        Assert.Null(m.CostPerCompletedTask);
    }

    [Theory]
    [InlineData(0.90, 0.85, SloState.Ok)]
    [InlineData(0.88, 0.85, SloState.AtRisk)]
    [InlineData(0.80, 0.85, SloState.Breached)]
    public void Evaluate_Quality_AgainstTarget(double quality, double target, SloState expected)
    {
        var m = DashboardService.Compute([Row(d => { d.Events = 100; d.Ok = 100; d.Approved = (long)(quality * 100); d.Rejected = 100 - (long)(quality * 100); })]);
        var check = DashboardService.Evaluate(m, new OpsConsole.Web.Features.Paths.PathSlo { QualityTarget = target }).Single(c => c.Name == "quality");
        Assert.Equal(expected, check.State);
    }

    [Fact]
    public void Evaluate_LatencyOverLimitBreached_NoLimitNoData()
    {
        // Three latencies: p95 is rank ⌊0.95·2⌋ = 1, the middle one, 5,000 ms.
        var m = DashboardService.Compute([Row(d => { d.Events = 3; d.Ok = 3; }, 1000, 5000, 6000)]);
        var checks = DashboardService.Evaluate(m, new OpsConsole.Web.Features.Paths.PathSlo { P95LatencyMs = 4000 });
        Assert.Equal(SloState.Breached, checks.Single(c => c.Name == "p95").State);
        Assert.Equal(SloState.NoData, checks.Single(c => c.Name == "cost").State);
        Assert.Equal(SloState.Breached, new PathHealth("p", m, checks, 0, 0).Worst);
    }
}
