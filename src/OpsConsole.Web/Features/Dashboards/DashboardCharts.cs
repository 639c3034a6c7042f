using OpsConsole.Web.Components.Shared;
using OpsConsole.Web.Features.Metrics;
namespace OpsConsole.Web.Features.Dashboards;

/// <summary>One chart of the dashboard: what it shows, how its figures are computed, and ApexCharts' options.</summary>
public sealed record ChartSpec(string Key, string Title, string How, object Options);

/// <summary>
/// Turns dashboard data into ApexCharts option objects (plain data, serialised to the browser).
/// Time series use a datetime axis with a point only where the interval has data, so gaps stay gaps
/// and a single interval still shows; rates are in percent. With <c>compare</c> the previous
/// period is drawn dashed, shifted onto the current one.
/// </summary>
public static class DashboardCharts
{
    private const int Height = 240;

    public static IReadOnlyList<ChartSpec> Build(DashboardData data, DashboardQuery query, bool compare, DisplayZone? zone = null)
    {
        var shift = query.Span;
        object Line(string name, IReadOnlyList<SeriesPoint> series, Func<PathMetrics, double?> value, double scale = 1, int decimals = 1, TimeSpan offset = default) => new
        {
            name,
            type = "line",
            data = series.Where(s => value(s.Metrics) is not null)
                .Select(s => new object[] { Ms(s.Start + offset), Math.Round(value(s.Metrics)!.Value * scale, decimals) }).ToArray(),
        };
        object Bars(string name, IReadOnlyList<SeriesPoint> series, Func<PathMetrics, double> value, int decimals = 0) => new
        {
            name,
            type = "column",
            data = series.Select(s => new object[] { Ms(s.Start), Math.Round(value(s.Metrics), decimals) }).ToArray(),
        };
        // The previous period's line of a figure, when comparing.
        IEnumerable<object> Before(string name, Func<PathMetrics, double?> value, double scale = 1, int decimals = 1) =>
            compare ? [Line(name + " (previous)", data.PreviousSeries, value, scale, decimals, shift)] : [];
        // The axis reads in the zone the person chose (the browser's own zone when not UTC) and says which.
        var shown = zone ?? DisplayZone.Utc;
        var xaxis = new
        {
            type = "datetime",
            min = Ms(query.From),
            max = Ms(query.To),
            labels = new { datetimeUTC = shown.IsUtc },
            title = new { text = "Time (" + shown.Label(query.To) + ")", style = new { fontSize = "11px", fontWeight = 400 } },
        };
        // Every time chart marks the same changes, so a jump in any curve can be read against them.
        var annotations = ChartMarks.Annotations(data.Marks, query.Span);
        object Chart(IEnumerable<object> series, object? yaxis = null, bool stacked = false, int[]? dashes = null, string[]? colors = null) => new
        {
            chart = new { type = "line", height = Height, stacked },
            annotations,
            series = series.ToArray(),
            xaxis,
            yaxis = yaxis ?? new { min = 0, forceNiceScale = true, decimalsInFloat = 1 },
            stroke = new { width = 2, curve = "straight", dashArray = dashes ?? [] },
            markers = new { size = 3 },
            dataLabels = new { enabled = false },
            legend = new { position = "top", horizontalAlign = "left" },
            colors,
        };
        int[] Dashed(int solid, int dashed) => [.. Enumerable.Repeat(0, solid), .. Enumerable.Repeat(6, compare ? dashed : 0)];
        const double Pct = 100;

        return
        [
            new("volume", "Volume", "Events received per interval, by occurredAt. Bars: this period; dashed: the previous period of the same length.",
                Chart([Bars("events", data.Series, m => m.Volume), .. Before("events", m => m.Volume, decimals: 0)], dashes: Dashed(1, 1))),
            new("quality", "Quality (% of decided reviews)",
                "Approved, corrected and rejected ÷ decisions made in each interval. QA-sample quality: approved ÷ decided among QA-sampled items only, the unbiased estimate (low-confidence items are reviewed more and approved less).",
                Chart([
                    Line("approved", data.Series, m => m.Quality, Pct), Line("corrected", data.Series, m => m.CorrectionRate, Pct),
                    Line("rejected", data.Series, m => m.RejectionRate, Pct), Line("QA-sample quality", data.Series, m => m.QaSampleQuality, Pct),
                    .. Before("approved", m => m.Quality, Pct),
                ], new { min = 0, max = 100, decimalsInFloat = 0 }, dashes: [0, 0, 0, 4, .. compare ? [6] : Array.Empty<int>()],
                colors: ["#16a34a", "#2563eb", "#dc2626", "#9333ea", "#64748b"])),
            new("latency", "Latency p50 / p95 / p99 (ms)",
                "Percentiles of latencyMs merged from per-bucket logarithmic sketches: every value within 1 % of the exact percentile.",
                Chart([
                    Line("p50", data.Series, m => m.LatencyP50, decimals: 0), Line("p95", data.Series, m => m.LatencyP95, decimals: 0),
                    Line("p99", data.Series, m => m.LatencyP99, decimals: 0), .. Before("p95", m => m.LatencyP95, decimals: 0),
                ], dashes: Dashed(3, 1))),
            new("cost", "Cost (USD)",
                "Bars: sum of costUsd per interval (left axis). Line: cost per request = that sum ÷ events (right axis).",
                Chart([Bars("total", data.Series, m => m.CostTotal, 4), Line("per request", data.Series, m => m.CostPerRequest, decimals: 5), .. Before("per request", m => m.CostPerRequest, decimals: 5)],
                    new object[]
                    {
                        new { seriesName = "total", min = 0, decimalsInFloat = 4, title = new { text = "total" } },
                        new { seriesName = "per request", opposite = true, min = 0, decimalsInFloat = 6, title = new { text = "per request" } },
                    }.Concat(compare ? [new { seriesName = "per request", show = false, min = 0 }] : Array.Empty<object>()).ToArray(), dashes: Dashed(2, 1))),
            new("failures", "Error, timeout and fallback rates (%)",
                "Events with outcome error, timeout or fallback ÷ all events in the interval.",
                Chart([
                    Line("error", data.Series, m => m.ErrorRate, Pct, 2), Line("timeout", data.Series, m => m.TimeoutRate, Pct, 2),
                    Line("fallback", data.Series, m => m.FallbackRate, Pct, 2), .. Before("error", m => m.ErrorRate, Pct, 2),
                ], dashes: Dashed(3, 1), colors: ["#dc2626", "#ea580c", "#ca8a04", "#64748b"])),
            new("escalation", "Escalation rate (%)",
                "Review items created ÷ events: low confidence, errors and timeouts with an output, and the QA sample.",
                Chart([Line("escalation", data.Series, m => m.EscalationRate, Pct), .. Before("escalation", m => m.EscalationRate, Pct)], dashes: Dashed(1, 1))),
            new("confidence", "Confidence distribution",
                "Events by reported confidence in 20 bins of 0.05 (events without a confidence are not counted)." + (compare ? " Dashed: the previous period." : ""),
                new
                {
                    chart = new { type = "bar", height = Height },
                    series = new object[] { new { name = "events", data = data.Current.ConfidenceHistogram.ToArray() } }
                        .Concat(compare ? [new { name = "previous", data = data.Previous.ConfidenceHistogram.ToArray() }] : []).ToArray(),
                    xaxis = new { categories = Enumerable.Range(0, ConfidenceHistogram.Bins).Select(i => (i / (double)ConfidenceHistogram.Bins).ToString("0.00")).ToArray() },
                    dataLabels = new { enabled = false },
                    legend = new { position = "top", horizontalAlign = "left" },
                }),
        ];
    }

    private static long Ms(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeMilliseconds();
}
