using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Metrics;

namespace OpsConsole.Tests.Features.Dashboards;

/// <summary>Issue 5, accuracy: rollup percentiles against exact values over 100,000 random latencies.</summary>
public class LatencySketchTests
{
    private static double Exact(double[] sorted, double q) => sorted[(int)Math.Floor(q * (sorted.Length - 1))];

    private static double LogNormal(Random r, double median, double sigma)
    {
        var u1 = 1.0 - r.NextDouble();
        var u2 = r.NextDouble();
        return median * Math.Exp(sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    public static TheoryData<string> Distributions => ["lognormal", "bimodal"];

    [Theory]
    [MemberData(nameof(Distributions))]
    public void Quantile_HundredThousandLatencies_WithinOnePercent(string distribution)
    {
        var r = new Random(42);
        var values = Enumerable.Range(0, 100_000).Select(_ => distribution == "lognormal"
            ? LogNormal(r, 800, 0.6)
            // A fast cached path and a slow model call: two humps far apart.
            : r.NextDouble() < 0.7 ? LogNormal(r, 40, 0.3) : LogNormal(r, 2500, 0.4)).ToArray();
        var sketch = new LatencySketch();
        foreach (var v in values)
        {
            sketch.Add(v);
        }
        var sorted = values.Order().ToArray();

        foreach (var q in new[] { 0.5, 0.95, 0.99 })
        {
            var exact = Exact(sorted, q);
            var estimate = sketch.Quantile(q)!.Value;
            Assert.True(Math.Abs(estimate - exact) / exact <= LatencySketch.RelativeAccuracy,
                $"{distribution} p{q * 100}: exact {exact:0.###}, sketch {estimate:0.###}");
        }
    }

    [Fact]
    public void Merge_OfParts_EqualsOneSketchOfAll()
    {
        var r = new Random(7);
        var values = Enumerable.Range(0, 20_000).Select(_ => LogNormal(r, 300, 0.8)).ToArray();
        var whole = new LatencySketch();
        var parts = Enumerable.Range(0, 4).Select(_ => new LatencySketch()).ToArray();
        for (var i = 0; i < values.Length; i++)
        {
            whole.Add(values[i]);
            parts[i % 4].Add(values[i]);
        }
        var merged = new LatencySketch();
        foreach (var p in parts)
        {
            merged.Merge(p);
        }
        Assert.Equal(whole.Count, merged.Count);
        Assert.Equal(whole.Quantile(0.95), merged.Quantile(0.95));
        Assert.Equal(whole.ToBytes(), merged.ToBytes());
    }

    [Fact]
    public void Bytes_RoundTrip_KeepsEveryBucket()
    {
        var sketch = new LatencySketch();
        foreach (var v in new[] { 0.0, 0.0, 1.5, 20, 20, 300, 12_000 })
        {
            sketch.Add(v);
        }
        var back = LatencySketch.FromBytes(sketch.ToBytes());
        Assert.Equal((7L, 2L), (back.Count, back.ZeroCount));
        Assert.Equal(sketch.Quantile(0.5), back.Quantile(0.5));
        Assert.Equal(0, back.Quantile(0.1));
        Assert.Throws<FormatException>(() => LatencySketch.FromBytes([1, 2, 3]));
    }

    [Fact]
    public void Quantile_Empty_Null_AndBadInputIgnored()
    {
        var sketch = new LatencySketch();
        Assert.Null(sketch.Quantile(0.5));
        sketch.Add(double.NaN);
        sketch.Add(-1);
        Assert.Equal(0, sketch.Count);
    }

    [Fact]
    public void ConfidenceHistogram_TwentyBins_EdgesIncluded()
    {
        var h = new ConfidenceHistogram();
        foreach (var c in new[] { 0.0, 0.049, 0.05, 0.5, 0.999, 1.0, 1.2, double.NaN })
        {
            h.Add(c);
        }
        Assert.Equal(2, h.Counts[0]);
        Assert.Equal(1, h.Counts[1]);
        Assert.Equal(1, h.Counts[10]);
        Assert.Equal(2, h.Counts[19]);
        Assert.Equal(6, h.Counts.Sum());
    }
}
