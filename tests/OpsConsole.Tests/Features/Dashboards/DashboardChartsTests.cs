using System.Text.Json;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Metrics;

namespace OpsConsole.Tests.Features.Dashboards;

/// <summary>The chart options and cards the dashboard hands to ApexCharts and to the page, from known data.</summary>
public sealed class DashboardChartsTests
{
    private static readonly DateTime From = new(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc);

    private static PathMetrics Metrics(long volume, double? quality = null, double? p95 = null, double cost = 0) =>
        new(volume, volume / 10, volume > 0 ? 0.1 : null, quality is null ? 0 : 10, quality, null, null, null, null, p95, null,
            cost, volume > 0 ? cost / volume : null, null, volume > 0 ? 0.02 : null, null, null, new long[20]);

    private static DashboardData Data(params PathMetrics[] series) => new(
        Metrics(series.Sum(m => m.Volume)), Metrics(5),
        series.Select((m, i) => new SeriesPoint(From.AddMinutes(15 * i), m)).ToList(),
        series.Select((_, i) => new SeriesPoint(From.AddHours(-1).AddMinutes(15 * i), Metrics(1, 0.5, 100))).ToList(),
        [], [], [], new QueueState(0, null), 0);

    private static JsonElement Json(object options) => JsonSerializer.SerializeToElement(options, new JsonSerializerOptions(JsonSerializerDefaults.Web));

    private static readonly DashboardQuery Query = new(1, From, From.AddHours(1), 4);

    [Fact]
    public void Build_EveryChartOfTheIssue_EachWithAnExplanation()
    {
        var charts = DashboardCharts.Build(Data(Metrics(10), Metrics(0), Metrics(20), Metrics(0)), Query, compare: false);

        Assert.Equal(["volume", "quality", "latency", "cost", "failures", "escalation", "confidence"], charts.Select(c => c.Key));
        Assert.All(charts, c => Assert.False(string.IsNullOrWhiteSpace(c.How)));
    }

    [Fact]
    public void Series_IntervalsWithoutData_LeftOut_RatesInPercent()
    {
        var charts = DashboardCharts.Build(Data(Metrics(10, quality: 0.9, p95: 800), Metrics(0), Metrics(20, quality: 0.75, p95: 1200), Metrics(0)), Query, compare: false);
        var quality = Json(charts.Single(c => c.Key == "quality").Options).GetProperty("series")[0].GetProperty("data");
        var volume = Json(charts.Single(c => c.Key == "volume").Options).GetProperty("series")[0].GetProperty("data");

        // Quality has no value in empty intervals: two points, not four with zeros.
        Assert.Equal(2, quality.GetArrayLength());
        Assert.Equal(90.0, quality[0][1].GetDouble());
        Assert.Equal(75.0, quality[1][1].GetDouble());
        Assert.Equal(new DateTimeOffset(From.AddMinutes(30)).ToUnixTimeMilliseconds(), quality[1][0].GetInt64());
        // Volume is a count: every interval, zeros included.
        Assert.Equal([10.0, 0, 20, 0], volume.EnumerateArray().Select(p => p[1].GetDouble()));
    }

    [Fact]
    public void Compare_AddsThePreviousPeriodDashed_ShiftedOntoThisOne()
    {
        var data = Data(Metrics(10, p95: 800), Metrics(20, p95: 900), Metrics(0), Metrics(0));
        var plain = Json(DashboardCharts.Build(data, Query, compare: false).Single(c => c.Key == "latency").Options);
        var compared = Json(DashboardCharts.Build(data, Query, compare: true).Single(c => c.Key == "latency").Options);

        Assert.Equal(3, plain.GetProperty("series").GetArrayLength());
        Assert.Equal(4, compared.GetProperty("series").GetArrayLength());
        var previous = compared.GetProperty("series")[3];
        Assert.Equal("p95 (previous)", previous.GetProperty("name").GetString());
        // The previous period starts an hour earlier; drawn over this one it starts at From.
        Assert.Equal(new DateTimeOffset(From).ToUnixTimeMilliseconds(), previous.GetProperty("data")[0][0].GetInt64());
        Assert.Equal([0, 0, 0, 6], compared.GetProperty("stroke").GetProperty("dashArray").EnumerateArray().Select(d => d.GetInt32()));
    }

    [Fact]
    public void Cards_QueuePastItsSla_Breached_FiguresWithoutSlo_Info()
    {
        var path = new OperatingPathView { ReviewSlaMinutes = 60, Slo = new PathSlo { QualityTarget = 0.9 } };
        var now = From.AddHours(2);
        var data = Data(Metrics(10)) with { Current = Metrics(10, quality: 0.95), Queue = new QueueState(4, now.AddMinutes(-61)) };

        var cards = DashboardCards.Build(data, path, now).ToDictionary(c => c.Key);

        Assert.Equal(["quality", "p95", "cost", "errors", "escalation", "queue", "volume"], cards.Keys);
        Assert.Equal(SloState.Breached, cards["queue"].State);
        Assert.Equal("4 open", cards["queue"].Value);
        Assert.Equal("oldest 1 h 1 min", cards["queue"].Compare);
        Assert.Equal(SloState.Ok, cards["quality"].State);
        Assert.Equal(SloState.NoData, cards["cost"].State);
        Assert.Contains("No SLO set", cards["cost"].How);
        Assert.Null(cards["escalation"].State);

        var atRisk = DashboardCards.Build(data with { Queue = new QueueState(1, now.AddMinutes(-50)) }, path, now).Single(c => c.Key == "queue");
        Assert.Equal(SloState.AtRisk, atRisk.State);
        var empty = DashboardCards.Build(data with { Queue = new QueueState(0, null) }, path, now).Single(c => c.Key == "queue");
        Assert.Equal((SloState.Ok, "nothing waiting"), (empty.State!.Value, empty.Compare));
    }
}

/// <summary>Windows start on the boundaries of the buckets they read, so their figures are exact.</summary>
public sealed class DashboardWindowTests
{
    [Theory]
    [InlineData("2026-11-23T10:17:42Z", 1, "2026-11-23T10:18:00Z")]     // the 1-hour view: next minute
    [InlineData("2026-11-23T10:17:42Z", 24, "2026-11-23T11:00:00Z")]    // 24 hours and longer: next hour
    [InlineData("2026-11-23T10:17:42Z", 720, "2026-11-23T11:00:00Z")]
    [InlineData("2026-11-23T11:00:00Z", 24, "2026-11-23T12:00:00Z")]    // the current hour's bucket is inside
    public void End_AlignedToTheBucketsOfTheView(string now, int hours, string expected)
    {
        var end = DashboardWindow.End(DateTime.Parse(now).ToUniversalTime(), TimeSpan.FromHours(hours));
        Assert.Equal(DateTime.Parse(expected).ToUniversalTime(), end);
        Assert.Equal(DateTimeKind.Utc, end.Kind);
    }
}
