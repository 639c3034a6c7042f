using OpsConsole.Web.Features.Releases;

namespace OpsConsole.Tests.Features.Releases;

/// <summary>
/// The canary's sequential test (mSPRT, Johari et al. 2017/2022), its confidence sequence, the
/// Wilson interval and the sample-ratio check: closed forms checked by hand, then seeded simulations
/// of whole canaries looked at after every batch of reviews.
/// </summary>
public sealed class CanaryStatisticsTests
{
    private const double Alpha = 0.05;
    private const double Tolerance = 0.02;

    // ── Hand-checked values ────────────────────────────────────────────────────────────────────

    [Fact]
    public void Boundary_Alpha005_IsLn20()
    {
        var look = CanaryStatistics.ProportionWorsening(new(850, 1000), new(850, 1000), true, Tolerance, Alpha);
        Assert.Equal(2.995732273553991, look.LogBoundary, 1e-12);
    }

    [Fact]
    public void ProportionWorsening_TenPointDrop_MatchesClosedForm()
    {
        // Stable 900/1000 (0.9), candidate 800/1000 (0.8): d̂ = 0.1, V = 0.09/1000 + 0.16/1000 = 0.00025,
        // τ² = 0.0025, V + τ² = 0.00275 = 11·V.
        // ln Λ = ½·ln(1/11) + 0.0025·(0.1 − 0.02)² / (2·0.00025·0.00275)
        //      = −1.1989476363991853 + 0.000016/0.000001375 = −1.1989476363991853 + 11.636363636… = 10.437416000…
        // Sequence: half-width √(0.00025·0.00275/0.0025 · (2·ln 20 + ln 11)) = √(0.000275·8.389412…) = 0.0480320096…
        var look = CanaryStatistics.ProportionWorsening(new(900, 1000), new(800, 1000), true, Tolerance, Alpha);
        Assert.Equal(0.1, look.Estimate, 1e-12);
        Assert.Equal(128.0 / 11 - 0.5 * Math.Log(11), look.LogLikelihoodRatio, 1e-9);
        Assert.Equal(10.437415999964447, look.LogLikelihoodRatio, 1e-9);
        Assert.Equal(0.051967990355657134, look.CiLow, 1e-9);
        Assert.Equal(0.14803200964434288, look.CiHigh, 1e-9);
        Assert.True(look.EnoughData);
        Assert.True(look.Regressed);
    }

    [Fact]
    public void ProportionWorsening_JustInsideBoundary_NoRollback()
    {
        // Stable 800/1000, candidate 280/400 (0.70): d̂ = 0.1, V = 0.16/1000 + 0.21/400 = 0.000685, V + τ² = 0.003185.
        // ln Λ = ½·ln(0.000685/0.003185) + 0.0025·0.08²/(2·0.000685·0.003185)
        //      = ½·ln(0.2150706…) + 0.000016/0.00000436345 = −0.7683943648720 + 3.6668232705772 = 2.8984289057 < ln 20.
        var look = CanaryStatistics.ProportionWorsening(new(800, 1000), new(280, 400), true, Tolerance, Alpha);
        Assert.Equal(2.8984289057051695, look.LogLikelihoodRatio, 1e-9);
        Assert.True(look.LogLikelihoodRatio < look.LogBoundary);
        Assert.False(look.Regressed);
        // Inside the boundary, the tolerance itself is still in the confidence sequence.
        Assert.InRange(Tolerance, look.CiLow, look.CiHigh);
    }

    [Fact]
    public void ProportionWorsening_JustOutsideBoundary_RollsBack()
    {
        // One approval fewer: candidate 279/400 (0.6975), d̂ = 0.1025, V = 0.00016 + 0.6975·0.3025/400 = 0.000687484375.
        // ln Λ = ½·ln(0.000687484375/0.003187484375) + 0.0025·0.0825²/(2·0.000687484375·0.003187484375)
        //      = −0.7669740927421 + 3.8824602101437 = 3.1154861174016 ≥ ln 20.
        var look = CanaryStatistics.ProportionWorsening(new(800, 1000), new(279, 400), true, Tolerance, Alpha);
        Assert.Equal(3.1154861174016046, look.LogLikelihoodRatio, 1e-9);
        Assert.True(look.Regressed);
        Assert.True(look.CiLow > Tolerance);
    }

    [Fact]
    public void ProportionWorsening_CandidateMuchBetter_NeverRollsBack()
    {
        // Λ is two-sided and huge here; the test is one-sided, so a better candidate is never rolled back.
        var look = CanaryStatistics.ProportionWorsening(new(700, 1000), new(950, 1000), true, Tolerance, Alpha);
        Assert.True(look.LogLikelihoodRatio > 10 * look.LogBoundary);
        Assert.True(look.Estimate < 0);
        Assert.False(look.Regressed);
    }

    [Fact]
    public void ProportionWorsening_WorseButWithinTolerance_NoRollbackHowEverLarge()
    {
        // 1.4 points worse on 100,000 reviews each: surely worse, surely within the 2-point tolerance.
        var look = CanaryStatistics.ProportionWorsening(new(85_000, 100_000), new(83_600, 100_000), true, Tolerance, Alpha);
        Assert.Equal(0.014, look.Estimate, 1e-12);
        Assert.True(look.LogLikelihoodRatio > look.LogBoundary);
        Assert.True(look.CiHigh < Tolerance);
        Assert.False(look.Regressed);
    }

    [Fact]
    public void ProportionWorsening_LowerIsBetter_MirrorsHigherIsBetter()
    {
        // Errors 20/1000 vs 36/300 are successes 980/1000 vs 264/300 with the direction turned round.
        var errors = CanaryStatistics.ProportionWorsening(new(20, 1000), new(36, 300), false, 0.01, Alpha);
        var successes = CanaryStatistics.ProportionWorsening(new(980, 1000), new(264, 300), true, 0.01, Alpha);
        Assert.Equal(0.1, errors.Estimate, 1e-12);
        Assert.Equal(successes.Estimate, errors.Estimate, 1e-12);
        Assert.Equal(successes.LogLikelihoodRatio, errors.LogLikelihoodRatio, 1e-9);
        Assert.True(errors.Regressed);
        Assert.False(CanaryStatistics.ProportionWorsening(new(36, 300), new(20, 1000), false, 0.01, Alpha).Regressed);
    }

    [Fact]
    public void ProportionWorsening_FiveVersusFiveReviews_NeverRollsBack()
    {
        // All five approved on stable, none on the candidate: below the minimum sample, no rollback.
        var look = CanaryStatistics.ProportionWorsening(new(5, 5), new(0, 5), true, Tolerance, Alpha);
        Assert.False(look.EnoughData);
        Assert.False(look.Regressed);
        // Even with no minimum the (x + ½)/(n + 1) variance keeps Λ small: p = 5.5/6 and 0.5/6 give
        // V = 2·(11/12)(1/12)/5 = 0.030556, ln Λ = ½·ln(V/(V+τ²)) + τ²·0.98²/(2V(V+τ²)) = −0.0393 + 1.1883 ≈ 1.149.
        var unguarded = CanaryStatistics.ProportionWorsening(new(5, 5), new(0, 5), true, Tolerance, Alpha, minPerArm: 0);
        Assert.True(double.IsFinite(unguarded.LogLikelihoodRatio));
        Assert.Equal(1.149, unguarded.LogLikelihoodRatio, 1e-3);
        Assert.False(unguarded.Regressed);
    }

    [Fact]
    public void ProportionWorsening_ZeroTrials_NotEnoughDataNoRollback()
    {
        var look = CanaryStatistics.ProportionWorsening(new(0, 0), new(0, 0), true, Tolerance, Alpha);
        Assert.False(look.EnoughData);
        Assert.False(look.Regressed);
        Assert.Equal((-1.0, 1.0), (look.CiLow, look.CiHigh));
        Assert.False(CanaryStatistics.ProportionWorsening(new(900, 1000), new(0, 0), true, Tolerance, Alpha).Regressed);
    }

    public static TheoryData<long, long, long, long, double, double, double> BadProportionInputs() => new()
    {
        { -1, 10, 5, 10, Tolerance, Alpha, 0.05 },
        { 5, 10, 11, 10, Tolerance, Alpha, 0.05 },
        { 5, -10, 5, 10, Tolerance, Alpha, 0.05 },
        { 5, 10, 5, 10, -0.01, Alpha, 0.05 },
        { 5, 10, 5, 10, double.NaN, Alpha, 0.05 },
        { 5, 10, 5, 10, Tolerance, 0, 0.05 },
        { 5, 10, 5, 10, Tolerance, 1, 0.05 },
        { 5, 10, 5, 10, Tolerance, double.NaN, 0.05 },
        { 5, 10, 5, 10, Tolerance, Alpha, 0 },
        { 5, 10, 5, 10, Tolerance, Alpha, double.PositiveInfinity },
    };

    [Theory]
    [MemberData(nameof(BadProportionInputs))]
    public void ProportionWorsening_BadInput_Throws(long xs, long ns, long xc, long nc, double tolerance, double alpha, double tau) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryStatistics.ProportionWorsening(new(xs, ns), new(xc, nc), true, tolerance, alpha, tau));

    [Fact]
    public void MeanWorsening_HandComputed_RollsBackOnlyBeyondBoundary()
    {
        // Stable: n = 100, mean 1.0, sample variance 0.25 → Sum 100, SumOfSquares 99·0.25 + 100·1 = 124.75.
        // Candidate: n = 100, variance 0.5; mean 1.5 → Sum 150, SumOfSquares 49.5 + 225 = 274.5; mean 1.6 → 160, 49.5 + 256 = 305.5.
        // δ = 0.2: V = 0.5/100 + 1.2²·0.25/100 = 0.0086, τ = 0.1·1.0, τ² = 0.01, V + τ² = 0.0186.
        // Mean 1.5: excess 0.3, ln Λ = ½·ln(0.0086/0.0186) + 0.01·0.09/(2·0.0086·0.0186) = −0.3856996887 + 2.8132033008 = 2.4275036121 < ln 20.
        // Mean 1.6: excess 0.4, ln Λ = −0.3856996887 + 0.0016/0.00031992 = −0.3856996887 + 5.0012503126 = 4.6155506238 ≥ ln 20.
        var stable = new ArmMoments(100, 100, 124.75);
        var slower = CanaryStatistics.MeanWorsening(stable, new(100, 150, 274.5), 0.2, Alpha);
        Assert.Equal(0.3, slower.Estimate, 1e-12);
        Assert.Equal(2.427503612095361, slower.LogLikelihoodRatio, 1e-9);
        Assert.False(slower.Regressed);
        var slowerStill = CanaryStatistics.MeanWorsening(stable, new(100, 160, 305.5), 0.2, Alpha);
        Assert.Equal(4.615550623848302, slowerStill.LogLikelihoodRatio, 1e-9);
        Assert.True(slowerStill.Regressed);
    }

    [Fact]
    public void MeanWorsening_ConstantValues_FiniteAndOneSided()
    {
        // Every request costs the same on each arm: zero sample variance, floored.
        var stable = new ArmMoments(100, 100, 100);
        var twice = CanaryStatistics.MeanWorsening(stable, new(100, 200, 400), 0.2, Alpha);
        Assert.True(double.IsFinite(twice.LogLikelihoodRatio));
        Assert.True(twice.Regressed);
        Assert.False(CanaryStatistics.MeanWorsening(stable, new(100, 110, 121), 0.2, Alpha).Regressed);
    }

    [Fact]
    public void MeanWorsening_TooFewOrFree_NotEnoughData()
    {
        Assert.False(CanaryStatistics.MeanWorsening(new(1, 1, 1), new(100, 300, 1000), 0.2, Alpha).EnoughData);
        Assert.False(CanaryStatistics.MeanWorsening(new(100, 0, 0), new(100, 300, 1000), 0.2, Alpha).Regressed);
        var few = CanaryStatistics.MeanWorsening(new(20, 20, 25), new(20, 60, 200), 0.2, Alpha);
        Assert.False(few.EnoughData);
        Assert.False(few.Regressed);
    }

    public static TheoryData<long, double, double, double, double> BadMeanInputs() => new()
    {
        { -1, 10, 10, 0.2, Alpha },
        { 10, double.NaN, 10, 0.2, Alpha },
        { 10, 10, double.PositiveInfinity, 0.2, Alpha },
        { 10, -10, 10, 0.2, Alpha },
        { 10, 10, -1, 0.2, Alpha },
        { 10, 10, 10, -0.2, Alpha },
        { 10, 10, 10, 0.2, 1.5 },
    };

    [Theory]
    [MemberData(nameof(BadMeanInputs))]
    public void MeanWorsening_BadInput_Throws(long count, double sum, double sumOfSquares, double tolerance, double alpha) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryStatistics.MeanWorsening(new(100, 100, 125), new(count, sum, sumOfSquares), tolerance, alpha));

    [Fact]
    public void ConfidenceSequence_Endpoints_HaveLikelihoodRatioOneOverAlpha()
    {
        const double estimate = 0.04, variance = 0.0003, tau = 0.05;
        var (low, high) = CanaryStatistics.ConfidenceSequence(estimate, variance, tau, Alpha);
        Assert.Equal(Math.Log(20), CanaryStatistics.LogMixtureLikelihoodRatio(estimate, variance, low, tau), 1e-9);
        Assert.Equal(Math.Log(20), CanaryStatistics.LogMixtureLikelihoodRatio(estimate, variance, high, tau), 1e-9);
        Assert.True(CanaryStatistics.LogMixtureLikelihoodRatio(estimate, variance, low + 1e-6, tau) < Math.Log(20));
        Assert.True(CanaryStatistics.LogMixtureLikelihoodRatio(estimate, variance, high + 1e-6, tau) > Math.Log(20));
    }

    [Theory]
    // Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of
    // seven methods", Statistics in Medicine 17: the Wilson score interval (method 3) of his examples.
    [InlineData(81, 263, 0.2553, 0.3662)]
    [InlineData(15, 148, 0.0624, 0.1605)]
    [InlineData(0, 20, 0.0, 0.1611)]
    [InlineData(1, 29, 0.0061, 0.1718)]
    public void Wilson_NewcombeExamples_Match(long successes, long trials, double low, double high)
    {
        var interval = CanaryStatistics.Wilson(successes, trials);
        // Published to four decimals: within half a unit of the last.
        Assert.Equal(low, interval.Low, 5e-5);
        Assert.Equal(high, interval.High, 5e-5);
    }

    [Fact]
    public void Wilson_Confidence99_UsesItsQuantile()
    {
        // z = 2.5758293035489: (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n) for 81/263 = 0.23981, 0.38393.
        var (low, high) = CanaryStatistics.Wilson(81, 263, 0.99);
        const double z = 2.5758293035489, n = 263, p = 81 / 263.0;
        var centre = (p + z * z / (2 * n)) / (1 + z * z / n);
        var half = z / (1 + z * z / n) * Math.Sqrt(p * (1 - p) / n + z * z / (4 * n * n));
        Assert.Equal(centre - half, low, 1e-6);
        Assert.Equal(centre + half, high, 1e-6);
        Assert.Equal((0.0, 1.0), CanaryStatistics.Wilson(0, 0));
    }

    [Theory]
    [InlineData(-1, 10, 0.95)]
    [InlineData(11, 10, 0.95)]
    [InlineData(5, 10, 0)]
    [InlineData(5, 10, 1)]
    [InlineData(5, 10, double.NaN)]
    public void Wilson_BadInput_Throws(long successes, long trials, double confidence) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryStatistics.Wilson(successes, trials, confidence));

    [Fact]
    public void SampleRatio_450Versus550AtHalf_ChiSquare10()
    {
        // Expected 500/500: χ² = 50²/500 + 50²/500 = 10; p = erfc(√5) = 0.0015654022580025.
        var (chi, p) = CanaryStatistics.SampleRatio(550, 450, 500);
        Assert.Equal(10, chi, 1e-12);
        Assert.Equal(0.0015654022580025, p, 1e-9);
        Assert.True(p > CanaryStatistics.SampleRatioThreshold);
    }

    [Fact]
    public void SampleRatio_FivePercentCanary_FlagsABrokenSplit()
    {
        // Share 50 ‰ of 10,000 units: expected 500 candidate, 9,500 stable.
        Assert.Equal((0.0, 1.0), CanaryStatistics.SampleRatio(9_500, 500, 50));
        // 400 candidate: χ² = 100²/500 + 100²/9500 = 20 + 1.0526315789 = 21.0526315789, p ≈ 4.5e-6 → invalid.
        var (chi, p) = CanaryStatistics.SampleRatio(9_600, 400, 50);
        Assert.Equal(21.052631578947366, chi, 1e-9);
        Assert.True(p < CanaryStatistics.SampleRatioThreshold);
        Assert.Equal((double.PositiveInfinity, 0.0), CanaryStatistics.SampleRatio(100, 1, 0));
        Assert.Equal((0.0, 1.0), CanaryStatistics.SampleRatio(0, 0, 50));
    }

    [Theory]
    [InlineData(-1, 10, 50)]
    [InlineData(10, -1, 50)]
    [InlineData(10, 10, -1)]
    [InlineData(10, 10, 1001)]
    public void SampleRatio_BadInput_Throws(long stable, long candidate, int share) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryStatistics.SampleRatio(stable, candidate, share));

    // ── Seeded simulations ─────────────────────────────────────────────────────────────────────
    //
    // A look a minute; each look adds 20 decided reviews on stable and 5 on the candidate (the arm
    // ratio of a 20 % canary step; at the demo's 5 % the candidate gathers its reviews four times
    // slower, but the test sees reviews, not minutes). A canary ends at its first rollback or after
    // 1,000 candidate reviews (200 looks). The naive test is what a dashboard would do without the
    // mSPRT: a fixed-horizon one-sided z-test of H0 worsening ≤ δ at α, looked at every time.

    private const int Canaries = 1000;
    private const int Seed = 20170813;
    private const int StablePerLook = 20, CandidatePerLook = 5, CandidateCap = 1000;

    private readonly record struct Outcome(double RollbackRate, double NaiveRate, double MedianCandidate, double MedianTotal);

    private static Outcome SimulateProportions(double pStable, double pCandidate, bool higherIsBetter, double tolerance,
        int stablePerLook, int candidatePerLook, int candidateCap)
    {
        var random = new Random(Seed);
        var zNaive = 1.6448536269514722; // one-sided 5 %
        int rollbacks = 0, naive = 0;
        var candidateAt = new List<long>();
        var totalAt = new List<long>();
        for (var canary = 0; canary < Canaries; canary++)
        {
            long xs = 0, ns = 0, xc = 0, nc = 0;
            bool naiveFired = false, rolledBack = false;
            while (nc < candidateCap)
            {
                xs += Draw(random, pStable, stablePerLook);
                ns += stablePerLook;
                xc += Draw(random, pCandidate, candidatePerLook);
                nc += candidatePerLook;
                var look = CanaryStatistics.ProportionWorsening(new(xs, ns), new(xc, nc), higherIsBetter, tolerance, Alpha);
                if (look.EnoughData && !naiveFired)
                {
                    double ps = xs / (double)ns, pc = xc / (double)nc;
                    var se = Math.Sqrt(ps * (1 - ps) / ns + pc * (1 - pc) / nc);
                    naiveFired = se > 0 && (look.Estimate - tolerance) / se >= zNaive;
                }
                if (look.Regressed && !rolledBack)
                {
                    rolledBack = true;
                    rollbacks++;
                    candidateAt.Add(nc);
                    totalAt.Add(ns + nc);
                }
                if (rolledBack && naiveFired)
                {
                    break;
                }
            }
            naive += naiveFired ? 1 : 0;
        }
        return new Outcome(rollbacks / (double)Canaries, naive / (double)Canaries, Median(candidateAt), Median(totalAt));
    }

    private static long Draw(Random random, double p, int trials)
    {
        var successes = 0;
        for (var i = 0; i < trials; i++)
        {
            successes += random.NextDouble() < p ? 1 : 0;
        }
        return successes;
    }

    private static double Median(List<long> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        values.Sort();
        var mid = values.Count / 2;
        return values.Count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2.0;
    }

    private static void Report(string figure) => TestContext.Current.TestOutputHelper?.WriteLine(figure);

    [Fact]
    public void Simulation_EqualQuality_FalseRollbacksAtMostAlpha()
    {
        var outcome = SimulateProportions(0.85, 0.85, true, Tolerance, StablePerLook, CandidatePerLook, CandidateCap);
        Report($"quality 0.85 vs 0.85, δ 0.02, seed {Seed}: mSPRT false rollbacks {outcome.RollbackRate:P1}, naive z-test peeked every look {outcome.NaiveRate:P1}");
        Assert.True(outcome.RollbackRate <= Alpha, $"false-rollback rate {outcome.RollbackRate}");
    }

    [Fact]
    public void Simulation_QualityAtTheTolerance_FalseRollbacksAtMostAlphaNaiveAbove()
    {
        // The least favourable case of H0: the candidate is exactly δ worse (0.85 vs 0.83).
        var outcome = SimulateProportions(0.85, 0.83, true, Tolerance, StablePerLook, CandidatePerLook, CandidateCap);
        Report($"quality 0.85 vs 0.83 (worse by exactly δ), seed {Seed}: mSPRT false rollbacks {outcome.RollbackRate:P1}, naive z-test peeked every look {outcome.NaiveRate:P1}");
        Assert.True(outcome.RollbackRate <= Alpha, $"false-rollback rate {outcome.RollbackRate}");
        Assert.True(outcome.NaiveRate > Alpha, $"naive peeking rate {outcome.NaiveRate}");
    }

    [Fact]
    public void Simulation_QualityDropsTenPoints_RolledBackInAtLeast95Percent()
    {
        var outcome = SimulateProportions(0.85, 0.75, true, Tolerance, StablePerLook, CandidatePerLook, CandidateCap);
        Report($"quality 0.85 → 0.75, seed {Seed}: rolled back {outcome.RollbackRate:P1} within {CandidateCap} candidate reviews; "
            + $"median {outcome.MedianCandidate} candidate reviews ({outcome.MedianTotal} decided reviews in all) to rollback");
        Assert.True(outcome.RollbackRate >= 0.95, $"detection {outcome.RollbackRate}");
    }

    [Fact]
    public void Simulation_ErrorRate_EqualArmsKeptTripledRolledBack()
    {
        // Errors are counted per request, not per review: 200 stable and 50 candidate requests a look,
        // up to 5,000 candidate requests; stable errs 2 %, tolerated increase 1 point.
        var equal = SimulateProportions(0.02, 0.02, false, 0.01, 200, 50, 5000);
        var edge = SimulateProportions(0.02, 0.03, false, 0.01, 200, 50, 5000);
        var tripled = SimulateProportions(0.02, 0.06, false, 0.01, 200, 50, 5000);
        Report($"error rate 2 % vs 2 %, δ 0.01, seed {Seed}: false rollbacks {equal.RollbackRate:P1} (naive {equal.NaiveRate:P1}); "
            + $"vs 3 %: {edge.RollbackRate:P1} (naive {edge.NaiveRate:P1}); "
            + $"vs 6 %: rolled back {tripled.RollbackRate:P1}, median {tripled.MedianCandidate} candidate requests ({tripled.MedianTotal} in all)");
        Assert.True(equal.RollbackRate <= Alpha, $"false-rollback rate {equal.RollbackRate}");
        Assert.True(edge.RollbackRate <= Alpha, $"false-rollback rate at the tolerance {edge.RollbackRate}");
        Assert.True(tripled.RollbackRate >= 0.95, $"detection {tripled.RollbackRate}");
    }

    [Fact]
    public void Simulation_Latency_TwentyPercentSlowerKeptFiftyPercentSlowerRolledBack()
    {
        // Log-normal latencies (median 800 ms, σ = 0.5 on the log scale), 200 stable and 50 candidate
        // requests a look, up to 5,000 candidate requests; 20 % slower is tolerated.
        var random = new Random(Seed);
        (double Rate, double Median) Run(double slowdown)
        {
            var rollbacks = 0;
            var at = new List<long>();
            for (var canary = 0; canary < Canaries; canary++)
            {
                ArmMoments stable = default, candidate = default;
                while (candidate.Count < 5000)
                {
                    stable = Add(stable, random, 1, 200);
                    candidate = Add(candidate, random, slowdown, 50);
                    if (CanaryStatistics.MeanWorsening(stable, candidate, 0.2, Alpha).Regressed)
                    {
                        rollbacks++;
                        at.Add(candidate.Count);
                        break;
                    }
                }
            }
            return (rollbacks / (double)Canaries, Median(at));
        }
        var edge = Run(1.2);
        var slow = Run(1.5);
        Report($"latency ×1.2 (at the tolerance), seed {Seed}: false rollbacks {edge.Rate:P1}; ×1.5: rolled back {slow.Rate:P1}, median {slow.Median} candidate requests");
        Assert.True(edge.Rate <= Alpha, $"false-rollback rate {edge.Rate}");
        Assert.True(slow.Rate >= 0.95, $"detection {slow.Rate}");
    }

    private static ArmMoments Add(ArmMoments arm, Random random, double scale, int requests)
    {
        double sum = arm.Sum, squares = arm.SumOfSquares;
        for (var i = 0; i < requests; i++)
        {
            // Box–Muller: one standard normal from two uniforms.
            var z = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            var ms = scale * 800 * Math.Exp(0.5 * z);
            sum += ms;
            squares += ms * ms;
        }
        return new ArmMoments(arm.Count + requests, sum, squares);
    }
}
