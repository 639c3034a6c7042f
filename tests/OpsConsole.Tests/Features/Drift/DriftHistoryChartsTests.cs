using System.Text.Json;
using OpsConsole.Web.Features.Drift;

namespace OpsConsole.Tests.Features.Drift;

public sealed class DriftHistoryChartsTests
{
    private static DriftRunView Run(DateTime at, params DriftStatistic[] stats) =>
        DriftRunView.From(new() { CurrentTo = at, CurrentFrom = at.AddHours(-24), Statistics = [.. stats], Verdict = DriftVerdicts.Ok });

    private static JsonElement Json(object options) => JsonSerializer.SerializeToElement(options);

    [Fact]
    public void OneChartPerStatistic_ValuesWithTheirThreshold_AlertsMarked_MissingOnesEmpty()
    {
        var t0 = new DateTime(2026, 11, 24, 1, 0, 0, DateTimeKind.Utc);
        var runs = new[]
        {
            Run(t0, new("confidence PSI", 0.05, 0.25, DriftVerdicts.Ok, ""), new("confidence KS", 0.03, 0.07, DriftVerdicts.Ok, "")),
            Run(t0.AddMinutes(15), new("confidence PSI", 0.31, 0.25, DriftVerdicts.Alert, ""), new("confidence KS", null, null, DriftVerdicts.InsufficientData, "")),
        };

        var charts = DriftHistoryCharts.Build(runs);

        Assert.Equal(DriftHistoryCharts.Statistics, charts.Select(c => c.Statistic));
        var psi = Json(charts[0].Options);
        Assert.Equal(2, charts[0].Points);
        var series = psi.GetProperty("series");
        Assert.Equal([0.05, 0.31], series[0].GetProperty("data").EnumerateArray().Select(p => p[1].GetDouble()));
        Assert.Equal([0.25, 0.25], series[1].GetProperty("data").EnumerateArray().Select(p => p[1].GetDouble()));
        Assert.Equal(new DateTimeOffset(t0.AddMinutes(15)).ToUnixTimeMilliseconds(), series[0].GetProperty("data")[1][0].GetInt64());
        var alert = Assert.Single(psi.GetProperty("annotations").GetProperty("points").EnumerateArray());
        Assert.Equal(0.31, alert.GetProperty("y").GetDouble());
        // A run with too little data for a statistic leaves a gap, not a zero.
        Assert.Equal(1, charts[1].Points);
        Assert.Empty(Json(charts[1].Options).GetProperty("annotations").GetProperty("points").EnumerateArray());
        Assert.Equal(0, charts.Single(c => c.Statistic == "quality change").Points);
    }
}
