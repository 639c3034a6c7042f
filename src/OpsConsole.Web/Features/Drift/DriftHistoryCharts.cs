namespace OpsConsole.Web.Features.Drift;

/// <summary>One small chart per drift statistic: its value at each check and the threshold it was held against.</summary>
public sealed record DriftHistoryChart(string Statistic, int Points, object Options);

public static class DriftHistoryCharts
{
    /// <summary>The statistics in the order a check computes them.</summary>
    public static readonly IReadOnlyList<string> Statistics =
        ["confidence PSI", "confidence KS", "latency KS", "quality change", "error rate", "p95 latency ratio", "stale context rate", "cost per request ratio"];

    private static readonly Dictionary<string, string> Meaning = new()
    {
        ["confidence PSI"] = "PSI (alert above the line)",
        ["confidence KS"] = "KS distance D (alert above the line: p < 0.01)",
        ["latency KS"] = "KS distance D (alert above the line: p < 0.01)",
        ["quality change"] = "z-score of the quality change (alert below the line)",
        ["error rate"] = "error rate (alert above the SLO line)",
        ["p95 latency ratio"] = "current ÷ reference p95 (alert above the line)",
        ["stale context rate"] = "share of events built on stale context (alert above the SLO line)",
        ["cost per request ratio"] = "current ÷ reference cost per request (alert above the line)",
    };

    public static IReadOnlyList<DriftHistoryChart> Build(IReadOnlyList<DriftRunView> runs) =>
        [.. Statistics.Select(name => Chart(name, runs))];

    private static DriftHistoryChart Chart(string name, IReadOnlyList<DriftRunView> runs)
    {
        var points = runs
            .Select(r => (r.CurrentTo, Stat: r.Statistics.FirstOrDefault(s => s.Name == name)))
            .Where(p => p.Stat is { Value: not null })
            .ToList();
        static long X(DateTime at) => new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)).ToUnixTimeMilliseconds();
        var alerts = points.Where(p => p.Stat!.Verdict == DriftVerdicts.Alert)
            .Select(p => new { x = X(p.CurrentTo), y = Math.Round(p.Stat!.Value!.Value, 4), marker = new { size = 5, fillColor = "#dc2626", strokeColor = "#dc2626" } });
        var options = new
        {
            chart = new { type = "line", height = 150, sparkline = new { enabled = false }, toolbar = new { show = false }, zoom = new { enabled = false } },
            title = new { text = name, style = new { fontSize = "12px" } },
            subtitle = new { text = Meaning.GetValueOrDefault(name, ""), style = new { fontSize = "10px" } },
            series = new object[]
            {
                new { name, data = points.Select(p => new object[] { X(p.CurrentTo), Math.Round(p.Stat!.Value!.Value, 4) }).ToArray() },
                new { name = "threshold", data = points.Where(p => p.Stat!.Threshold is not null).Select(p => new object[] { X(p.CurrentTo), Math.Round(p.Stat!.Threshold!.Value, 4) }).ToArray() },
            },
            colors = new[] { "#2563eb", "#dc2626" },
            stroke = new { width = new[] { 2, 1 }, dashArray = new[] { 0, 4 }, curve = "straight" },
            markers = new { size = points.Count <= 30 ? 3 : 0 },
            xaxis = new { type = "datetime", labels = new { datetimeUTC = true } },
            yaxis = new { decimalsInFloat = 3, forceNiceScale = true },
            legend = new { show = false },
            annotations = new { points = alerts.ToArray() },
            tooltip = new { x = new { format = "MM-dd HH:mm 'UTC'" } },
        };
        return new DriftHistoryChart(name, points.Count, options);
    }
}
