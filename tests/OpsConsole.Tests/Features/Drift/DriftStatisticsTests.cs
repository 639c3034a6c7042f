using OpsConsole.Web.Features.Drift;

namespace OpsConsole.Tests.Features.Drift;

/// <summary>The drift statistics against hand computations and published reference values.</summary>
public sealed class DriftStatisticsTests
{
    [Fact]
    public void Psi_HandComputedExample()
    {
        // Shares: reference 0.5 / 0.3 / 0.2, current 0.3 / 0.3 / 0.4.
        // PSI = (0.3−0.5)·ln(0.3/0.5) + 0 + (0.4−0.2)·ln(0.4/0.2) = 0.1021651 + 0.1386294 = 0.2407945
        var psi = DriftStatistics.Psi([500, 300, 200], [300, 300, 400]);
        Assert.Equal(0.2407946, psi!.Value, tolerance: 1e-6);
    }

    [Fact]
    public void Psi_IdenticalDistributions_Zero_EmptyBinFloored()
    {
        Assert.Equal(0, DriftStatistics.Psi([100, 200, 300], [200, 400, 600])!.Value, 12);
        // An empty reference bin counts as 0.0001: (0.1 − 0.0001)·ln(0.1/0.0001) + (0.9 − 1)·ln(0.9/1) = 0.6900847 + 0.0105361
        Assert.Equal(0.7006208, DriftStatistics.Psi([0, 1000], [100, 900])!.Value, tolerance: 1e-6);
    }

    [Fact]
    public void Psi_TooFewSamples_NoVerdict()
    {
        Assert.Null(DriftStatistics.Psi([10, 20], [500, 500]));
        Assert.Null(DriftStatistics.Psi([500, 500], [40, 59]));
    }

    [Theory]
    // Published critical values of the Kolmogorov distribution: P(K > 1.2239) = 0.10, P(K > 1.3581) = 0.05, P(K > 1.6276) = 0.01.
    [InlineData(1.2239, 0.10)]
    [InlineData(1.3581, 0.05)]
    [InlineData(1.6276, 0.01)]
    [InlineData(1.9495, 0.001)]
    public void KolmogorovQ_PublishedCriticalValues(double lambda, double tail) =>
        Assert.Equal(tail, DriftStatistics.KolmogorovQ(lambda), 4);

    [Fact]
    public void Ks_HandComputedStatistic_AndPValueFromTheDistribution()
    {
        // CDFs at the edges: reference 0.25, 0.50, 0.75, 1; current 0.10, 0.20, 0.60, 1 → D = 0.30.
        var ks = DriftStatistics.KolmogorovSmirnov([100, 100, 100, 100], [40, 40, 160, 160])!;
        Assert.Equal(0.30, ks.Statistic, 10);
        // ne = 400·400/800 = 200; λ = (√200 + 0.12 + 0.11/√200)·0.3 = 4.2801; Q(λ) ≈ 2e^(−2λ²) ≈ 2.7e-16.
        Assert.True(ks.PValue < 1e-10);
        var same = DriftStatistics.KolmogorovSmirnov([100, 100, 100, 100], [50, 50, 50, 50])!;
        Assert.Equal((0.0, 1.0), (same.Statistic, same.PValue));
        Assert.Null(DriftStatistics.KolmogorovSmirnov([10, 10], [100, 100]));
    }

    [Theory]
    [InlineData(0.05, 1.3581)]
    [InlineData(0.01, 1.6276)]
    public void KolmogorovLambda_InvertsTheTail(double alpha, double published) =>
        Assert.Equal(published, DriftStatistics.KolmogorovLambda(alpha), 3);

    [Fact]
    public void NormalTwoSided_PublishedCriticalValues()
    {
        Assert.Equal(1.95996, DriftStatistics.NormalTwoSided(0.05), 4);
        Assert.Equal(2.57583, DriftStatistics.NormalTwoSided(0.01), 4);
    }

    [Theory]
    [InlineData(1000, 1000)]
    [InlineData(200, 5000)]
    [InlineData(60, 80)]
    public void Ks_CriticalD_IsWhereThePValueCrossesAlpha(int n1, int n2)
    {
        // Two bins: moving k events of the current sample from the first bin to the second makes D = k/n2.
        var critical = DriftStatistics.KolmogorovSmirnov([n1 / 2, n1 - n1 / 2], [n2 / 2, n2 - n2 / 2])!.CriticalD(0.01);
        for (var k = 0; k < n2 / 2; k++)
        {
            var ks = DriftStatistics.KolmogorovSmirnov([n1 / 2, n1 - n1 / 2], [n2 / 2 - k, n2 - n2 / 2 + k], minSamples: 10)!;
            Assert.Equal(ks.Statistic > critical + 1e-9, ks.PValue < 0.01);
        }
        // ne = n1·n2/(n1+n2): for 1,000 and 1,000 the critical D is 1.6276/(√500 + 0.12 + 0.11/√500) = 0.07238.
        if (n1 == 1000 && n2 == 1000)
        {
            Assert.Equal(0.07238, critical, 4);
        }
    }

    [Fact]
    public void ZTest_HandComputed_AndNormalTail()
    {
        // 90/100 vs 80/100: pooled 0.85, se = √(0.85·0.15·0.02) = 0.050498, z = −0.10/0.050498 = −1.98030, p = 0.04768.
        var z = DriftStatistics.TwoProportionZ(90, 100, 80, 100)!;
        Assert.Equal(-1.98030, z.Z, 4);
        Assert.Equal(0.04768, z.PValue, 4);
        Assert.Equal(0.0250, DriftStatistics.NormalUpperTail(1.959964), 5);
        Assert.Equal(0.5, DriftStatistics.NormalUpperTail(0), 7);
        Assert.Null(DriftStatistics.TwoProportionZ(5, 10, 80, 100));
    }

    [Fact]
    public void Rebin_TwentyIntoTen()
    {
        var bins = Enumerable.Range(1, 20).Select(i => (long)i).ToArray();
        Assert.Equal([3L, 7, 11, 15, 19, 23, 27, 31, 35, 39], DriftStatistics.Rebin(bins, 10));
        Assert.Throws<ArgumentException>(() => DriftStatistics.Rebin(bins, 3));
    }
}
