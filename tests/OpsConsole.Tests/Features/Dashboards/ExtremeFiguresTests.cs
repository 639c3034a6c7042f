using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Components.Shared;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Tests.Features.Dashboards;

/// <summary>
/// Rollups holding what an older console accepted (latency 1.8e308, cost 1e308 twice) or a hand edit
/// could write (counts at long.MaxValue): every figure of the dashboard and the overview still
/// renders, and the charts' JSON is what the browser can take.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ExtremeFiguresTests : IntegrationTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A stored sketch with one latency at the bucket of double.MaxValue (what the old sketch wrote for 1.7976931348623157e308 ms).</summary>
    private static byte[] SketchAtMaxDouble()
    {
        var bytes = new byte[8 + 12];
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), 35_489);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(12), 1);
        return bytes;
    }

    private async Task<(int PathId, DateTime Bucket)> StoreExtremeRowsAsync()
    {
        var now = DateTime.UtcNow;
        var bucket = RollupKey.Floor(now.AddMinutes(-10), 1);
        var pathId = await Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == "support-reply-draft").Select(p => p.Id).SingleAsync(Ct));
        var dbFactory = Factory.Services.GetRequiredService<IDbContextFactory<OpsConsole.Web.Data.AppDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync(Ct);
        foreach (var model in new[] { "m1", "m2" })
        {
            db.PathRollups.Add(new PathRollup
            {
                PathId = pathId,
                ModelVersion = model,
                BucketStart = bucket,
                Events = long.MaxValue,
                Ok = long.MaxValue,
                CostUsd = 1e308,
                InputTokens = long.MaxValue,
                OutputTokens = long.MaxValue,
                Latency = SketchAtMaxDouble(),
                Confidence = RollupDelta.HistogramBytes(new ConfidenceHistogram()),
                Approved = long.MaxValue,
                QaApproved = 1,
                QaDecided = 1,
            });
        }
        await db.SaveChangesAsync(Ct);
        return (pathId, bucket);
    }

    [Fact]
    public async Task Dashboard_ExtremeStoredRollups_EveryCardAndChartRenders()
    {
        var (pathId, _) = await StoreExtremeRowsAsync();
        var path = await Factory.Services.GetRequiredService<OpsConsole.Web.Features.Paths.PathService>().GetAsync("support-reply-draft", Ct);
        var end = DashboardWindow.End(DateTime.UtcNow, TimeSpan.FromHours(1));
        var query = new DashboardQuery(pathId, end.AddHours(-1), end, 12) { Breakdown = Breakdown.ModelVersion };

        var data = await Factory.Services.GetRequiredService<DashboardService>().LoadAsync(query, Ct);
        var cards = DashboardCards.Build(data, path!.Path, DateTime.UtcNow);
        var charts = DashboardCharts.Build(data, query, compare: true);

        // The cost of two 1e308 rows is infinite: the card says so instead of "$∞" or a failed page.
        var cost = cards.Single(c => c.Key == "cost");
        Assert.Equal(Figures.OutOfRange, cost.Value);
        Assert.Contains(Figures.OutOfRange, cost.How);
        Assert.DoesNotContain(cards, c => c.Value.Contains('∞') || c.Value.Contains("NaN"));
        foreach (var chart in charts)
        {
            // What Blazor's interop does with the argument: it must serialise, and hold no non-finite number.
            var json = JsonSerializer.Serialize(ChartJson.ToElement(chart.Options), JsonSerializerOptions.Web);
            Assert.DoesNotContain("Infinity", json);
            Assert.DoesNotContain("NaN", json);
        }
    }

    [Fact]
    public async Task Overview_ExtremeStoredRollups_Listed()
    {
        await StoreExtremeRowsAsync();

        var overview = await Factory.Services.GetRequiredService<DashboardService>()
            .OverviewAsync(["support-reply-draft"], DateTime.UtcNow, Ct);

        var health = Assert.Single(overview);
        Assert.Equal(long.MaxValue, health.Metrics.Volume);
        Assert.Equal(Figures.OutOfRange, Figures.Usd(health.Metrics.CostPerRequest));
    }

    [Fact]
    public void SaturatingAdd_Overflow_StopsAtTheLimit()
    {
        Assert.Equal(long.MaxValue, RollupDelta.SaturatingAdd(long.MaxValue, 1));
        Assert.Equal(long.MaxValue, RollupDelta.SaturatingAdd(long.MaxValue - 5, 100));
        Assert.Equal(long.MinValue, RollupDelta.SaturatingAdd(long.MinValue, -1));
        Assert.Equal(7, RollupDelta.SaturatingAdd(3, 4));
    }

    [Fact]
    public void LatencySketch_HugeStoredIndex_MergesWithoutGrowingWithoutBound()
    {
        var sketch = new LatencySketch();
        var bytes = new byte[8 + 24];
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), 100_000);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(12), 1);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(20), -100_000);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(24), 1);

        sketch.MergeBytes(bytes);

        Assert.Equal(2, sketch.Count);
        Assert.True(sketch.ToBytes().Length < 64, "two counts, stored as two buckets");
        Assert.True(double.IsFinite(sketch.Quantile(1)!.Value));
    }

    [Theory]
    [InlineData(double.PositiveInfinity, "out of range")]
    [InlineData(double.NaN, "out of range")]
    [InlineData(1e300, "out of range")]
    [InlineData(-1e300, "out of range")]
    [InlineData(1234.6, "1,235 ms")]
    public void Figures_Ms_ReadableOrOutOfRange(double value, string expected)
    {
        Assert.Equal(expected, Figures.Ms(value));
    }

    [Fact]
    public void Figures_Null_Dash()
    {
        Assert.Equal("—", Figures.Usd(null));
        Assert.Equal("—", Figures.Pct(null));
        Assert.Equal("$0.0042", Figures.Usd(0.0042));
        Assert.Equal("85.0 %", Figures.Pct(0.85));
        Assert.Equal(Figures.OutOfRange, Figures.Change(double.PositiveInfinity, 1, v => v.ToString()));
    }
}
