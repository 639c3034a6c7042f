using System.Text.Json;
using OpsConsole.Web.Features.Evaluation;

namespace OpsConsole.Tests.Features.Evaluation;

/// <summary>
/// The statistics of paired evaluation runs (issue 18, point 3): the exact McNemar test against the shared
/// vectors, Newcombe's method 10 interval, the Wilcoxon signed-rank test (Pratt), the verdict rules, and a
/// seeded simulation of whole evaluation runs.
/// </summary>
public sealed class EvaluationStatisticsTests
{
    private const double Alpha = 0.05;
    private const int Seed = 18_003;

    private static readonly string SpecFile = Path.Combine(AppContext.BaseDirectory, "Specs", "mcnemar-vectors.json");

    // ── McNemar ────────────────────────────────────────────────────────────────────────────────

    public static TheoryData<int, int, double, double> McNemarVectors()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(SpecFile));
        var data = new TheoryData<int, int, double, double>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetProperty("regressions").GetInt32(), c.GetProperty("improvements").GetInt32(),
                c.GetProperty("pOneSidedWorse").GetDouble(), c.GetProperty("pTwoSided").GetDouble());
        }
        return data;
    }

    [Fact]
    public void McNemarSpecFile_HasTheSharedCases()
    {
        Assert.Equal(20, McNemarVectors().Count);
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OpsConsole.sln")))
        {
            dir = dir.Parent;
        }
        Assert.NotNull(dir);
        var shared = Path.Combine(dir.FullName, "..", "shared", "specs", "mcnemar-vectors.json");
        if (File.Exists(shared))
        {
            Assert.Equal(File.ReadAllText(shared), File.ReadAllText(Path.Combine(dir.FullName, "tests", "OpsConsole.Tests", "Specs", "mcnemar-vectors.json")));
        }
    }

    [Theory]
    [MemberData(nameof(McNemarVectors))]
    public void McNemar_SpecVectors_MatchTo1e9(int regressions, int improvements, double oneSided, double twoSided)
    {
        var (worse, both) = EvaluationStatistics.McNemar(regressions, improvements);
        Assert.Equal(oneSided, worse, 1e-9);
        Assert.Equal(twoSided, both, 1e-9);
    }

    [Fact]
    public void McNemar_SmallCounts_MatchHandCountedBinomials()
    {
        // 4 regressions, 1 improvement: n = 5, P(X ≥ 4) = (C(5,4) + C(5,5))/32 = 6/32; P(X ≤ 1) = 6/32, doubled 12/32.
        Assert.Equal((6 / 32.0, 12 / 32.0), EvaluationStatistics.McNemar(4, 1));
        // 2 regressions, 2 improvements: P(X ≥ 2) = 1 − (1 + 4)/16 = 11/16; two-sided min(1, 2·11/16) = 1.
        Assert.Equal((11 / 16.0, 1.0), EvaluationStatistics.McNemar(2, 2));
    }

    [Fact]
    public void McNemar_TenThousandDiscordant_MatchesExactRationalArithmetic()
    {
        // References: Σ C(n, k) / 2ⁿ in exact rational arithmetic (Python fractions, math.comb), then rounded to a double.
        // The log of the largest term is a difference of numbers near n·ln 2, so about 1e-12 is lost at n = 10,000:
        // the check is to one part in 10⁹ (relative), well inside the spec's 1e-9 absolute.
        var (worse, both) = EvaluationStatistics.McNemar(5200, 4800);
        Assert.Equal(3.2967577993362208e-05, worse, 3.2967577993362208e-05 * 1e-9);
        Assert.Equal(6.5935155986724417e-05, both, 6.5935155986724417e-05 * 1e-9);
        (worse, both) = EvaluationStatistics.McNemar(4950, 5050);
        Assert.Equal(0.84375239524466039, worse, 0.84375239524466039 * 1e-9);
        Assert.Equal(0.32217419979531198, both, 0.32217419979531198 * 1e-9);
        (worse, _) = EvaluationStatistics.McNemar(2600, 2400);
        Assert.Equal(0.0024418248687587589, worse, 0.0024418248687587589 * 1e-9);
    }

    [Fact]
    public void McNemar_OppositeTails_SumToOnePlusThePointMass()
    {
        // P(X ≥ r) + P(X ≥ n − r) = 1 + P(X = r); at r = n − r = 5000 the mass is C(10000, 5000)/2¹⁰⁰⁰⁰ ≈ 1/√(5000π).
        var (up, _) = EvaluationStatistics.McNemar(5000, 5000);
        Assert.Equal(1 + 0.007978646139382154, 2 * up, 1e-9);
        Assert.Equal(0.007978646139382154, 1 / Math.Sqrt(5000 * Math.PI), 1e-6);
        var (a, _) = EvaluationStatistics.McNemar(130, 170);
        var (b, _) = EvaluationStatistics.McNemar(170, 130);
        Assert.InRange(a + b, 1.0, 1.0 + 0.05);
    }

    [Fact]
    public void McNemar_MillionsOfCases_NoOverflowAndProbabilities()
    {
        var (worse, both) = EvaluationStatistics.McNemar(1_000_000, 900_000);
        Assert.Equal(0, worse, 1e-300);
        Assert.Equal(0, both, 1e-300);
        (worse, both) = EvaluationStatistics.McNemar(1_000_000, 1_000_000);
        Assert.InRange(worse, 0.5, 0.5006);
        Assert.Equal(1, both);
    }

    [Fact]
    public void McNemar_NegativeCount_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => EvaluationStatistics.McNemar(-1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => EvaluationStatistics.McNemar(3, -1));
    }

    // ── Newcombe method 10 ─────────────────────────────────────────────────────────────────────

    [Fact]
    public void PairedDifferenceInterval_NewcombeExample_MatchesHandComputation()
    {
        // Newcombe's table (a, b, c, d) = (20, 12, 2, 16), θ = (b − c)/n = 10/50 = 0.2. Here the first test is the
        // candidate: bothPass 20, improvements 12, regressions 2, bothFail 16.
        // p1 = 32/50 = 0.64, p2 = 22/50 = 0.44, z = 1.959963985.
        // Wilson 32/50: centre (0.64 + 3.841459/100)/(1 + 3.841459/50) = 0.6784146/1.0768292 = 0.6300113,
        //   half 1.959964/1.0768292·√(0.2304/50 + 3.841459/10000) = 1.8201253·0.0706551 = 0.1286011 → (0.5014102, 0.7586125).
        // Wilson 22/50: centre 0.4784146/1.0768292 = 0.4442808, half 1.8201253·√(0.2464/50 + 0.0003841) = 1.8201253·0.0728845 = 0.1326589
        //   → (0.3116220, 0.5769397).
        // φ: ad − bc = 320 − 24 = 296 > n/2, so (296 − 25)/√(32·18·22·28) = 271/595.6643 = 0.4549542.
        // δ = √(0.1385898² − 2·0.4549542·0.1385898·0.1369397 + 0.1369397²) = √(0.0192071 − 0.0172687 + 0.0187525) = 0.1438436
        // ε = √(0.1186125² − 2·0.4549542·0.1186125·0.1283780 + 0.1283780²) = √(0.0140689 − 0.0138554 + 0.0164809) = 0.1292070
        // → (0.2 − 0.1438436, 0.2 + 0.1292070) = (0.0561564, 0.3292070). The ratesci package's tests quote this example's
        // method 10 row of Newcombe's Table III as (0.0562, 0.3292); the paper itself was not available to check.
        var (low, high) = EvaluationStatistics.PairedDifferenceInterval(bothPass: 20, regressions: 2, improvements: 12, bothFail: 16);
        Assert.Equal(0.0561564248, low, 1e-9);
        Assert.Equal(0.3292069954, high, 1e-9);
        Assert.Equal(0.0562, Math.Round(low, 4));
        Assert.Equal(0.3292, Math.Round(high, 4));
    }

    [Fact]
    public void PairedDifferenceInterval_FagerlandExample_MatchesQuotedFigures()
    {
        // Fagerland, Lydersen and Laake (2014, BMC Med Res Methodol 14:1) airway example (1, 1, 7, 12): θ = (1 − 7)/21;
        // ratesci's tests quote their method 10 (Wilson MOVER with Newcombe's φ) as (−0.507, −0.026).
        // ad − bc = 12 − 7 = 5 ≤ n/2 = 10.5, so the corrected φ is 0.
        var (low, high) = EvaluationStatistics.PairedDifferenceInterval(bothPass: 1, regressions: 7, improvements: 1, bothFail: 12);
        Assert.Equal(-0.507, Math.Round(low, 3));
        Assert.Equal(-0.026, Math.Round(high, 3));
    }

    [Fact]
    public void PairedDifferenceInterval_NoDiscordantPairs_SymmetricAndNotEmpty()
    {
        // (27, 0, 0, 27): θ = 0; Wilson 27/54 gives 0.5 ± 0.1288542; φ = (729 − 27)/729 = 0.9630;
        // δ = 0.1288542·√(2 − 2·0.9629630) = 0.1288542·0.2721655 = 0.0350697.
        var (low, high) = EvaluationStatistics.PairedDifferenceInterval(27, 0, 0, 27);
        Assert.Equal(-high, low, 1e-15);
        Assert.Equal(0.0351, Math.Round(high, 4));
    }

    [Fact]
    public void PairedDifferenceInterval_SwappedDirection_Mirrors()
    {
        var (low, high) = EvaluationStatistics.PairedDifferenceInterval(40, 9, 3, 8);
        var (mLow, mHigh) = EvaluationStatistics.PairedDifferenceInterval(40, 3, 9, 8);
        Assert.Equal(-high, mLow, 1e-12);
        Assert.Equal(-low, mHigh, 1e-12);
        Assert.InRange(-0.1, low, high);
    }

    [Fact]
    public void PairedDifferenceInterval_HigherConfidence_Wider()
    {
        var (l95, h95) = EvaluationStatistics.PairedDifferenceInterval(120, 14, 6, 60);
        var (l99, h99) = EvaluationStatistics.PairedDifferenceInterval(120, 14, 6, 60, 0.99);
        Assert.True(l99 < l95 && h99 > h95);
        Assert.Equal((-1.0, 1.0), EvaluationStatistics.PairedDifferenceInterval(0, 0, 0, 0));
    }

    [Fact]
    public void PairedDifferenceInterval_BadInput_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => EvaluationStatistics.PairedDifferenceInterval(-1, 0, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => EvaluationStatistics.PairedDifferenceInterval(1, 0, 0, 1, 1.0));
    }

    [Fact]
    public void NormalQuantileTwoSided_TabulatedValues()
    {
        Assert.Equal(1.959963984540054, EvaluationStatistics.NormalQuantileTwoSided(0.05), 1e-12);
        Assert.Equal(2.5758293035489004, EvaluationStatistics.NormalQuantileTwoSided(0.01), 1e-12);
        Assert.Equal(0.15865525393145707, EvaluationStatistics.NormalUpperTail(1), 1e-15);
        Assert.Equal(2.866515718791939e-07, EvaluationStatistics.NormalUpperTail(5), 1e-19);
    }

    // ── Wilcoxon signed-rank (Pratt) ───────────────────────────────────────────────────────────

    private static (double, double)[] Pairs(params double[] differences) =>
        differences.Select(d => d >= 0 ? (0.0, d) : (-d, 0.0)).ToArray();

    [Fact]
    public void WilcoxonSignedRank_FiveWorse_ExactOneIn32()
    {
        var result = EvaluationStatistics.WilcoxonSignedRank(Pairs(-0.1, -0.2, -0.3, -0.4, -0.5));
        Assert.True(result.Exact);
        Assert.Equal(0, result.Statistic);
        Assert.Equal(1 / 32.0, result.POneSidedWorse, 1e-15);
        Assert.Equal(1 / 16.0, result.PTwoSided, 1e-15);
    }

    [Fact]
    public void WilcoxonSignedRank_TenPairs_MatchesHandCount()
    {
        // |d| ranks: 0.02→1, 0.05→2, 0.09→3 positive, the other seven negative: W+ = 6. Subsets of {1..10} with
        // sum ≤ 6: sum 0:1, 1:1, 2:1, 3:2, 4:2, 5:3, 6:4 = 14, so P(W+ ≤ 6) = 14/1024 = 7/512; two-sided 7/256.
        var result = EvaluationStatistics.WilcoxonSignedRank(Pairs(0.05, -0.3, -0.12, 0.02, -0.4, -0.22, 0.09, -0.35, -0.18, -0.27));
        Assert.Equal(6, result.Statistic);
        Assert.Equal(7 / 512.0, result.POneSidedWorse, 1e-15);
        Assert.Equal(7 / 256.0, result.PTwoSided, 1e-15);
        Assert.True(result.Z < 0);
    }

    [Fact]
    public void WilcoxonSignedRank_Exact_MatchesBruteForceEnumeration()
    {
        var random = new Random(Seed);
        for (var run = 0; run < 20; run++)
        {
            var n = random.Next(1, 13);
            var magnitudes = Enumerable.Range(1, 40).OrderBy(_ => random.Next()).Take(n).Select(k => k / 50.0).ToArray();
            var diffs = magnitudes.Select(m => random.Next(3) == 0 ? m : -m).ToArray();
            var result = EvaluationStatistics.WilcoxonSignedRank(Pairs(diffs));

            var ranks = diffs.Select(d => 1 + diffs.Count(o => Math.Abs(o) < Math.Abs(d))).ToArray();
            var w = diffs.Select((d, i) => d > 0 ? ranks[i] : 0).Sum();
            int atMost = 0, atLeast = 0;
            for (var mask = 0; mask < 1 << n; mask++)
            {
                var s = 0;
                for (var i = 0; i < n; i++)
                {
                    s += (mask >> i & 1) == 1 ? ranks[i] : 0;
                }
                atMost += s <= w ? 1 : 0;
                atLeast += s >= w ? 1 : 0;
            }
            Assert.True(result.Exact);
            Assert.Equal(w, result.Statistic);
            Assert.Equal(atMost / Math.Pow(2, n), result.POneSidedWorse, 1e-15);
            Assert.Equal(Math.Min(1, 2 * Math.Min(atMost, atLeast) / Math.Pow(2, n)), result.PTwoSided, 1e-15);
        }
    }

    [Fact]
    public void WilcoxonSignedRank_ZerosPratt_KeepTheirRanksOutOfTheStatistic()
    {
        // Pratt: |d| ranks 0, 0 → 1, 2 (dropped); −0.1, −0.2, −0.3 → 3, 4, 5. W+ = 0 and P(W+ ≤ 0) = 1/8.
        // E[W+] = (3 + 4 + 5)/2 = 6, Var = (9 + 16 + 25)/4 = 12.5, Z = −6/√12.5.
        var result = EvaluationStatistics.WilcoxonSignedRank(Pairs(0, 0, -0.1, -0.2, -0.3));
        Assert.Equal((5, 2, 0.0, true), (result.Pairs, result.Zeros, result.Statistic, result.Exact));
        Assert.Equal(1 / 8.0, result.POneSidedWorse, 1e-15);
        Assert.Equal(-6 / Math.Sqrt(12.5), result.Z, 1e-12);
        // Wilcoxon's own rule (drop the zeros, rank 1..3) would give Z = −3/√3.5; Pratt's differs.
        Assert.NotEqual(-3 / Math.Sqrt(3.5), result.Z, 1e-3);
    }

    [Fact]
    public void WilcoxonSignedRank_Ties_NormalWithTieCorrection()
    {
        // d = 0.1, 0.1, 0.1, −0.2, 0.3, 0.3: midranks 2, 2, 2, 4, 5.5, 5.5; W+ = 17, E = 21/2 = 10.5,
        // Var = (3·4 + 16 + 2·30.25)/4 = 22.125 (= 6·7·13/24 − (3³ − 3 + 2³ − 2)/48 = 22.75 − 0.625).
        // Z = 6.5/√22.125 = 1.3818844; continuity ½: worse Φ(7/√22.125) = 0.9316487, better 1 − Φ(6/√22.125) = 0.1010510.
        var result = EvaluationStatistics.WilcoxonSignedRank(Pairs(0.1, 0.1, 0.1, -0.2, 0.3, 0.3));
        Assert.False(result.Exact);
        Assert.Equal(17, result.Statistic);
        Assert.Equal(1.3818844089771081, result.Z, 1e-12);
        Assert.Equal(0.9316487080142753, result.POneSidedWorse, 1e-12);
        Assert.Equal(0.2021020441893727, result.PTwoSided, 1e-12);
    }

    [Fact]
    public void WilcoxonSignedRank_TwentyFivePairs_ExactAndNormalAgree()
    {
        // Ranks 1..25, positive at 1, 4, 8, 11, 16, 19, 23: W+ = 82, exact P(W+ ≤ 82) = 496,244/2²⁵ = 0.0147892;
        // the normal approximation (E = 162.5, SD = √1381.25, continuity ½) gives 0.0156769.
        var positive = new HashSet<int> { 1, 4, 8, 11, 16, 19, 23 };
        var pairs = Pairs(Enumerable.Range(1, 25).Select(i => positive.Contains(i) ? i / 100.0 : -i / 100.0).ToArray());
        var exact = EvaluationStatistics.WilcoxonSignedRank(pairs);
        var normal = EvaluationStatistics.WilcoxonSignedRank(pairs, allowExact: false);
        Assert.True(exact.Exact);
        Assert.False(normal.Exact);
        Assert.Equal(82, exact.Statistic);
        Assert.Equal(0.014789223670959473, exact.POneSidedWorse, 1e-15);
        Assert.Equal(0.015676915179913542, normal.POneSidedWorse, 1e-12);
        Assert.InRange(normal.POneSidedWorse - exact.POneSidedWorse, -0.002, 0.002);
        Assert.InRange(normal.PTwoSided - exact.PTwoSided, -0.003, 0.003);
    }

    [Fact]
    public void WilcoxonSignedRank_AllEqual_NoEvidence()
    {
        var result = EvaluationStatistics.WilcoxonSignedRank([(0.5, 0.5), (0.3, 0.3), (0.8 - 0.7, 0.3 - 0.2)]);
        Assert.Equal((3, 3, 0.0, 1.0, 1.0), (result.Pairs, result.Zeros, result.Z, result.POneSidedWorse, result.PTwoSided));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(-0.01)]
    [InlineData(1.01)]
    public void WilcoxonSignedRank_ScoreOutOfRange_Throws(double score)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => EvaluationStatistics.WilcoxonSignedRank([(0.5, score)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => EvaluationStatistics.WilcoxonSignedRank([(score, 0.5)]));
    }

    // ── Verdict rules ──────────────────────────────────────────────────────────────────────────

    private static List<EvaluationCase> Run(int bothPass, int regressions, int improvements, int bothFail)
    {
        var cases = new List<EvaluationCase>();
        void Add(int count, bool baseline, bool candidate)
        {
            for (var i = 0; i < count; i++)
            {
                cases.Add(new EvaluationCase($"case-{cases.Count:D4}", baseline, candidate));
            }
        }
        Add(bothPass, true, true);
        Add(regressions, true, false);
        Add(improvements, false, true);
        Add(bothFail, false, false);
        return cases;
    }

    private static string[] Ids(IEnumerable<EvaluationCase> cases) => cases.Select(c => c.CaseId).ToArray();

    [Fact]
    public void Verdict_CriticalCaseFails_RegressedEvenWithoutDiscordance()
    {
        // The critical case fails on both releases: no regression in McNemar's sense (p = 1), still regressed.
        var cases = Run(99, 0, 0, 0);
        cases.Add(new EvaluationCase("critical-refund", false, false, Critical: true));
        var result = EvaluationStatistics.Verdict(cases, Ids(cases), Alpha, 0.02);
        Assert.Equal(EvaluationVerdicts.Regressed, result.Verdict);
        Assert.Equal(1, result.POneSidedWorse);
        Assert.Equal(new[] { "critical-refund" }, result.FailingCriticalCaseIds);
        Assert.True(result.FailCi);
    }

    [Fact]
    public void Verdict_CriticalCasePasses_NotCounted()
    {
        var cases = Run(99, 0, 0, 0);
        cases.Add(new EvaluationCase("critical-refund", false, true, Critical: true));
        var result = EvaluationStatistics.Verdict(cases, Ids(cases), Alpha, 0.02);
        Assert.Equal(EvaluationVerdicts.Tied, result.Verdict);
        Assert.Empty(result.FailingCriticalCaseIds);
    }

    [Fact]
    public void Verdict_SignificantDropWithinTolerance_NotRegressed()
    {
        // 10 regressions, 0 improvements in 1,000 cases: p = 2⁻¹⁰ ≈ 0.001 but the drop is 1 point.
        var cases = Run(900, 10, 0, 90);
        var result = EvaluationStatistics.Verdict(cases, Ids(cases), Alpha, 0.02);
        Assert.Equal(EvaluationVerdicts.Tied, result.Verdict);
        Assert.Equal(1 / 1024.0, result.POneSidedWorse, 1e-15);
        Assert.Equal(-0.01, result.Difference, 1e-12);
        Assert.False(result.FailCi);
        Assert.True(result.CiHigh < 0, "the interval excludes no difference, yet the drop is tolerated");

        var strict = EvaluationStatistics.Verdict(cases, Ids(cases), Alpha, 0.005);
        Assert.Equal(EvaluationVerdicts.Regressed, strict.Verdict);
        Assert.True(strict.FailCi);
    }

    [Fact]
    public void Verdict_LargeDropNotSignificant_Tied()
    {
        // 5 regressions, 1 improvement in 40 cases: a 10-point drop, but p = 7/64 ≈ 0.109.
        var cases = Run(30, 5, 1, 4);
        var result = EvaluationStatistics.Verdict(cases, Ids(cases), Alpha, 0.02);
        Assert.Equal(EvaluationVerdicts.Tied, result.Verdict);
        Assert.Equal(0.109375, result.POneSidedWorse, 1e-15);
        Assert.Equal((0.875, 0.775), (result.BaselinePassRate, result.CandidatePassRate));
        Assert.InRange(0, result.CiLow, result.CiHigh);
        Assert.InRange(result.Difference, result.CiLow, result.CiHigh);
    }

    [Fact]
    public void Verdict_MissingCases_Incomplete()
    {
        var cases = Run(50, 0, 9, 1);
        var expected = Ids(cases).Concat(new[] { "case-zz-2", "case-zz-1" }).ToArray();
        var result = EvaluationStatistics.Verdict(cases, expected, Alpha, 0.02);
        Assert.Equal(EvaluationVerdicts.Incomplete, result.Verdict);
        Assert.Equal(new[] { "case-zz-1", "case-zz-2" }, result.MissingCaseIds);
        Assert.Equal(60, result.Cases);
        Assert.True(result.FailCi);
    }

    [Fact]
    public void Verdict_SignificantImprovement_Improved()
    {
        // 8 improvements, 0 regressions: P(X ≥ 8) = 1/256.
        var cases = Run(40, 0, 8, 2);
        var result = EvaluationStatistics.Verdict(cases, Ids(cases), Alpha, 0.02);
        Assert.Equal(EvaluationVerdicts.Improved, result.Verdict);
        Assert.Equal(1 / 256.0, result.POneSidedBetter, 1e-15);
        Assert.Equal(1, result.POneSidedWorse);
        Assert.Equal(8 / 50.0, result.Difference, 1e-12);
        Assert.True(result.CiLow > 0);
        Assert.False(result.FailCi);
    }

    [Fact]
    public void Verdict_CasesOfAnotherVersion_ListedAndLeftOut()
    {
        var cases = Run(20, 0, 0, 0);
        var expected = Ids(cases);
        cases.Add(new EvaluationCase("old-case", true, false, Critical: true));
        var result = EvaluationStatistics.Verdict(cases, expected, Alpha, 0.02);
        Assert.Equal(EvaluationVerdicts.Tied, result.Verdict);
        Assert.Equal(new[] { "old-case" }, result.UnexpectedCaseIds);
        Assert.Equal((20, 0), (result.Cases, result.Regressions));
    }

    [Fact]
    public void Verdict_Scores_WilcoxonOnCasesWithBothScores()
    {
        var cases = new List<EvaluationCase>();
        for (var i = 0; i < 12; i++)
        {
            cases.Add(new EvaluationCase($"c{i}", true, true, BaselineScore: 0.9, CandidateScore: 0.9 - (i + 1) / 100.0));
        }
        cases.Add(new EvaluationCase("unscored", true, true));
        cases.Add(new EvaluationCase("half", true, true, BaselineScore: 0.4));
        var result = EvaluationStatistics.Verdict(cases, Ids(cases), Alpha, 0.02);
        Assert.NotNull(result.Scores);
        Assert.Equal(12, result.Scores.Pairs);
        Assert.Equal(1 / 4096.0, result.Scores.POneSidedWorse, 1e-15);
        // Scores are reported, not part of the verdict.
        Assert.Equal(EvaluationVerdicts.Tied, result.Verdict);
        Assert.Null(EvaluationStatistics.Verdict(Run(5, 0, 0, 0), Ids(Run(5, 0, 0, 0)), Alpha, 0).Scores);
    }

    [Fact]
    public void Verdict_DuplicateCaseId_Throws()
    {
        var cases = Run(3, 0, 0, 0);
        cases.Add(cases[0] with { CandidatePass = false });
        Assert.Throws<ArgumentException>(() => EvaluationStatistics.Verdict(cases, Ids(cases), Alpha, 0.02));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.05)]
    [InlineData(double.NaN)]
    public void Verdict_AlphaOutsideZeroOne_Throws(double alpha)
    {
        var cases = Run(3, 0, 0, 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => EvaluationStatistics.Verdict(cases, Ids(cases), alpha, 0.02));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(-0.2)]
    [InlineData(1.5)]
    public void Verdict_ScoreOutOfRange_Throws(double score)
    {
        var cases = Run(3, 0, 0, 0);
        cases.Add(new EvaluationCase("scored", true, true, BaselineScore: 0.5, CandidateScore: score));
        Assert.Throws<ArgumentOutOfRangeException>(() => EvaluationStatistics.Verdict(cases, Ids(cases), Alpha, 0.02));
    }

    [Fact]
    public void Verdict_BadToleranceOrEmptyDataset_Throws()
    {
        var cases = Run(3, 0, 0, 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => EvaluationStatistics.Verdict(cases, Ids(cases), Alpha, -0.01));
        Assert.Throws<ArgumentOutOfRangeException>(() => EvaluationStatistics.Verdict(cases, Ids(cases), Alpha, 1));
        Assert.Throws<ArgumentException>(() => EvaluationStatistics.Verdict(cases, [], Alpha, 0.02));
    }

    // ── Seeded simulation ──────────────────────────────────────────────────────────────────────

    private const int Runs = 2_000;
    private const int CasesPerRun = 200;
    private const double Tolerance = 0.02;

    /// <summary>
    /// Each run draws a difficulty per case (60 % easy p = 0.95, 25 % medium p = 0.6, 15 % hard p = 0.15); the
    /// baseline passes with p and the candidate with p − <paramref name="drop"/>, independently given p, so the
    /// two results of a case are positively correlated as in real evaluations.
    /// </summary>
    private static (double Regressed, double Improved, double Coverage) Simulate(double drop)
    {
        var random = new Random(Seed);
        var ids = Enumerable.Range(0, CasesPerRun).Select(i => $"case-{i:D3}").ToArray();
        int regressed = 0, improved = 0, covered = 0;
        var cases = new EvaluationCase[CasesPerRun];
        for (var run = 0; run < Runs; run++)
        {
            for (var i = 0; i < CasesPerRun; i++)
            {
                var u = random.NextDouble();
                var p = u < 0.60 ? 0.95 : u < 0.85 ? 0.6 : 0.15;
                cases[i] = new EvaluationCase(ids[i], random.NextDouble() < p, random.NextDouble() < p - drop);
            }
            var result = EvaluationStatistics.Verdict(cases, ids, Alpha, Tolerance);
            regressed += result.Verdict == EvaluationVerdicts.Regressed ? 1 : 0;
            improved += result.Verdict == EvaluationVerdicts.Improved ? 1 : 0;
            covered += result.CiLow <= -drop && -drop <= result.CiHigh ? 1 : 0;
        }
        return (regressed / (double)Runs, improved / (double)Runs, covered / (double)Runs);
    }

    private static void Report(string figure) => TestContext.Current.TestOutputHelper?.WriteLine(figure);

    [Fact]
    public void Simulation_EqualPassProbability_FalseRegressionsAtMostAlpha()
    {
        var (regressed, improved, coverage) = Simulate(0);
        Report($"{Runs} runs × {CasesPerRun} paired cases, equal pass probability, α {Alpha}, tolerance {Tolerance}, seed {Seed}: "
            + $"false regressions {regressed:P2}, false improvements {improved:P2}, 95 % interval covered the true 0 in {coverage:P1}");
        Assert.True(regressed <= Alpha, $"false-regression rate {regressed}");
        Assert.True(improved <= Alpha, $"false-improvement rate {improved}");
        Assert.True(coverage >= 0.93, $"coverage {coverage}");
    }

    [Fact]
    public void Simulation_FivePointDrop_DetectedFarMoreOftenThanAlpha()
    {
        var (regressed, improved, coverage) = Simulate(0.05);
        Report($"{Runs} runs × {CasesPerRun} paired cases, 5-point true drop, α {Alpha}, tolerance {Tolerance}, seed {Seed}: "
            + $"detected (regressed) {regressed:P1}, called improved {improved:P2}, 95 % interval covered the true −0.05 in {coverage:P1}");
        Assert.True(regressed >= 0.25, $"detection rate {regressed}");
        Assert.Equal(0, improved);
        Assert.True(coverage >= 0.93, $"coverage {coverage}");
    }
}
