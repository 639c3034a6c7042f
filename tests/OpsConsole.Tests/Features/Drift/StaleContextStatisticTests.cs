using OpsConsole.Web.Features.Drift;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Tests.Features.Drift;

/// <summary>The drift check's "stale context rate" against the owners' limit.</summary>
public class StaleContextStatisticTests
{
    private static readonly DashboardWindowData NoMetrics = new(MetricsQueries.Compute([]), new LatencySketch());

    private static DriftStatistic Stat(double? limit, FreshnessSummary? freshness) =>
        DriftCheckService.Evaluate(NoMetrics, NoMetrics, new OperatingPath { Slo = new PathSlo { MaxStaleContextRate = limit } }, freshness)
            .Single(s => s.Name == "stale context rate");

    private static FreshnessSummary Judged(int judged, int stale) =>
        new(judged, 0, judged, stale, [new SourceFreshness("Ticket", "Zendesk", 5, judged, stale, TimeSpan.FromMinutes(9))], []);

    [Theory]
    [InlineData(200, 20, DriftVerdicts.Ok)]     // 10 %, limit 20 %: under 80 % of it
    [InlineData(200, 34, DriftVerdicts.Warn)]   // 17 %: over 16 %
    [InlineData(200, 40, DriftVerdicts.Warn)]   // exactly the limit: not over it
    [InlineData(200, 41, DriftVerdicts.Alert)]  // 20.5 %
    public void Evaluate_StaleRateAgainstTheLimit_Verdict(int judged, int stale, string verdict)
    {
        var s = Stat(0.20, Judged(judged, stale));

        Assert.Equal(verdict, s.Verdict);
        Assert.Equal((double)stale / judged, s.Value);
        Assert.Equal(0.20, s.Threshold);
    }

    [Fact]
    public void Evaluate_AlertDetail_NamesTheStalestSource()
    {
        var s = Stat(0.05, Judged(100, 50));

        Assert.Equal(DriftVerdicts.Alert, s.Verdict);
        Assert.Contains("Ticket", s.Detail);
        Assert.Contains("50.0", s.Detail);
    }

    [Fact]
    public void Evaluate_TooFewJudgedEvents_InsufficientDataNotAnAlarm()
    {
        Assert.Equal(DriftVerdicts.InsufficientData, Stat(0.05, Judged(99, 99)).Verdict);
    }

    [Fact]
    public void Evaluate_NoLimitSet_InsufficientDataEvenWhenAllStale()
    {
        var s = Stat(null, Judged(500, 500));

        Assert.Equal(DriftVerdicts.InsufficientData, s.Verdict);
        Assert.Contains("no stale-context SLO", s.Detail);
    }
}
