using OpsConsole.Web.Components.Shared;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Metrics;

namespace OpsConsole.Web.Features.Dashboards;

/// <summary>
/// One status card: a figure, its state against the path's SLO (null where the figure has no SLO),
/// the change against the previous period, and how it is computed.
/// </summary>
public sealed record CardModel(string Key, string Title, string Value, SloState? State, string Compare, string How);

/// <summary>The status cards of a path dashboard, as plain data (the page and the tests share it).</summary>
public static class DashboardCards
{
    public static IReadOnlyList<CardModel> Build(DashboardData data, OperatingPathView path, DateTime now)
    {
        var m = data.Current;
        var before = data.Previous;
        var checks = DashboardService.Evaluate(m, path.Slo).ToDictionary(c => c.Name);
        var queue = DashboardService.EvaluateQueue(data.Queue, path.ReviewSlaMinutes, now);
        string Limit(string name, Func<double, string> format) => checks[name].Limit is { } l ? $" SLO {format(l)}." : " No SLO set.";
        return
        [
            new("quality", "Quality", Pct(m.Quality), checks["quality"].State, Delta(m.Quality, before.Quality, v => $"{v * 100:+0.0;-0.0;0.0} pt"),
                $"Approved ÷ decided reviews in the range ({m.Decided:N0} decided). QA-sample quality {Pct(m.QaSampleQuality)}.{Limit("quality", Percent.Show)}"),
            new("p95", "p95 latency", Ms(m.LatencyP95), checks["p95"].State, Delta(m.LatencyP95, before.LatencyP95, v => $"{v:+0;-0;0} ms"),
                $"95th percentile of latencyMs from mergeable sketches (within 1 %). p50 {Ms(m.LatencyP50)}, p99 {Ms(m.LatencyP99)}.{Limit("p95", l => $"{l:0} ms")}"),
            new("cost", "Cost per request", Usd(m.CostPerRequest), checks["cost"].State, Delta(m.CostPerRequest, before.CostPerRequest, v => $"{v:+$0.0000;-$0.0000;$0.0000}"),
                $"Sum of costUsd ÷ events. Total {Figures.UsdTotal(m.CostTotal)}; per completed task (events that ended ok) {Usd(m.CostPerCompletedTask)}.{Limit("cost", l => $"${l:0.0000}")}"),
            new("errors", "Error rate", Pct(m.ErrorRate), checks["errors"].State, Delta(m.ErrorRate, before.ErrorRate, v => $"{v * 100:+0.0;-0.0;0.0} pt"),
                $"Events with outcome error ÷ events. Timeouts {Pct(m.TimeoutRate)}, fallbacks {Pct(m.FallbackRate)}.{Limit("errors", Percent.Show)}"),
            new("escalation", "Escalation rate", Pct(m.EscalationRate), null, Delta(m.EscalationRate, before.EscalationRate, v => $"{v * 100:+0.0;-0.0;0.0} pt"),
                "Review items created ÷ events (low confidence, errors and timeouts with an output, QA sample). No SLO: read it with quality."),
            new("queue", "Review queue", $"{data.Queue.Open:N0} open", queue.State,
                data.Queue.OldestCreatedAt is { } oldest ? $"oldest {Components.Shared.Durations.Age(now - oldest)}" : "nothing waiting",
                $"Review items pending or claimed now, and the age of the oldest. Review SLA {path.ReviewSlaMinutes} min: at risk past 80 % of it, breached past it."),
            new("volume", "Volume", m.Volume.ToString("N0"), null, $"{m.Volume - before.Volume:+#,0;-#,0;0} vs previous",
                "Events received for the path in the range, by occurredAt."),
        ];
    }

    public static string Pct(double? v) => Figures.Pct(v);

    private static string Ms(double? v) => Figures.Ms(v);

    private static string Usd(double? v) => Figures.Usd(v);

    private static string Delta(double? now, double? then, Func<double, string> format) => Figures.Change(now, then, format);

}
