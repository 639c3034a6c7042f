using OpsConsole.Web.Features.Reviewers;

namespace OpsConsole.Tests.Features.Reviewers;

/// <summary>
/// Reviewer agreement (issue 18, point 7): Cohen's κ and Krippendorff's nominal α against published
/// worked examples, each recomputed by hand in the comments; properties (perfect agreement, symmetry,
/// relabelling, hostile inputs); and a seeded simulation of raters who agree by chance only.
/// </summary>
public sealed class AgreementStatisticsTests
{
    private const int Seed = 18_007;

    private static (string, string)[] Table(params (string First, string Second, int Count)[] cells) =>
        cells.SelectMany(c => Enumerable.Repeat((c.First, c.Second), c.Count)).ToArray();

    /// <summary>Rows are raters, columns units, null a missing value: the layout of the published examples.</summary>
    private static List<List<int>> Units(int?[][] raters) =>
        Enumerable.Range(0, raters[0].Length).Select(u => raters.Where(r => r[u] is not null).Select(r => r[u]!.Value).ToList()).ToList();

    // ── Cohen's κ: published examples ─────────────────────────────────────────────────────────

    [Fact]
    public void CohensKappa_WikipediaFiftyProposals_Is040()
    {
        // Wikipedia, "Cohen's kappa", section "Simple example": 50 grant proposals, readers A and B;
        // yes/yes 20, A yes B no 5, A no B yes 10, no/no 15.
        // p₀ = (20 + 15)/50 = 0.70. A says yes 25/50 = 0.5, B says yes 30/50 = 0.6.
        // pₑ = 0.5·0.6 + 0.5·0.4 = 0.30 + 0.20 = 0.50. κ = (0.70 − 0.50)/(1 − 0.50) = 0.40.
        var k = AgreementStatistics.CohensKappa(Table(("yes", "yes", 20), ("yes", "no", 5), ("no", "yes", 10), ("no", "no", 15)));

        Assert.Equal(50, k.Items);
        Assert.Equal(0.70, k.ObservedAgreement!.Value, 1e-12);
        Assert.Equal(0.50, k.ChanceAgreement!.Value, 1e-12);
        Assert.Equal(0.40, k.Kappa!.Value, 1e-12);
        Assert.Null(k.Undefined);
    }

    [Fact]
    public void CohensKappa_WikipediaSameAgreementDifferentMarginals_Are01304And02593()
    {
        // Wikipedia, "Cohen's kappa", the two tables with the same agreement (60 of 100) but different marginals: p₀ = 0.60.
        // First: 45 / 15 / 25 / 15 (n = 100). A yes 60, B yes 70: pₑ = 0.6·0.7 + 0.4·0.3 = 0.54;
        //   κ = (0.60 − 0.54)/0.46 = 0.06/0.46 = 3/23 = 0.1304.
        // Second: 25 / 35 / 5 / 35. A yes 60, B yes 30: pₑ = 0.6·0.3 + 0.4·0.7 = 0.46;
        //   κ = (0.60 − 0.46)/0.54 = 0.14/0.54 = 7/27 = 0.2593.
        var first = AgreementStatistics.CohensKappa(Table(("yes", "yes", 45), ("yes", "no", 15), ("no", "yes", 25), ("no", "no", 15)));
        var second = AgreementStatistics.CohensKappa(Table(("yes", "yes", 25), ("yes", "no", 35), ("no", "yes", 5), ("no", "no", 35)));

        Assert.Equal(0.60, first.ObservedAgreement!.Value, 1e-12);
        Assert.Equal(3.0 / 23, first.Kappa!.Value, 1e-12);
        Assert.Equal(0.1304, first.Kappa!.Value, 5e-5);
        Assert.Equal(0.60, second.ObservedAgreement!.Value, 1e-12);
        Assert.Equal(7.0 / 27, second.Kappa!.Value, 1e-12);
        Assert.Equal(0.2593, second.Kappa!.Value, 5e-5);
    }

    [Fact]
    public void CohensKappa_ThreeReviewDecisions_MatchesHandComputation()
    {
        // The categories the console uses. 10 items: approved/approved 4, corrected/corrected 2, rejected/rejected 1,
        // approved/corrected 2, corrected/rejected 1. p₀ = 7/10.
        // First rater: approved 6, corrected 3, rejected 1. Second: approved 4, corrected 4, rejected 2.
        // pₑ = (6·4 + 3·4 + 1·2)/100 = 38/100. κ = (0.70 − 0.38)/0.62 = 32/62 = 16/31 = 0.516129…
        var k = AgreementStatistics.CohensKappa(Table(("approved", "approved", 4), ("corrected", "corrected", 2), ("rejected", "rejected", 1),
            ("approved", "corrected", 2), ("corrected", "rejected", 1)));

        Assert.Equal((10L, 0.38), (k.Items, Math.Round(k.ChanceAgreement!.Value, 12)));
        Assert.Equal(16.0 / 31, k.Kappa!.Value, 1e-12);
    }

    // ── Krippendorff's α: published examples ──────────────────────────────────────────────────

    [Fact]
    public void KrippendorffsAlpha_Krippendorff2011FourObserversTwelveUnitsWithMissing_Is0743()
    {
        // Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School for
        // Communication, University of Pennsylvania, https://repository.upenn.edu/asc_papers/43, section
        // "C. Nominal data, any number of observers, missing values": 4 observers × 12 units, α = 0.743.
        // Unit 12 has one value: not pairable, dropped. 11 units, n = 3 + 8·4 + 3 + 2 = 40 values.
        // n_c: 1 → 9, 2 → 13, 3 → 10, 4 → 5, 5 → 3; Σ n_c² = 81 + 169 + 100 + 25 + 9 = 384.
        // Disagreeing units: unit 2 {2,2,3,2} (16 − 10)/3 = 2; unit 6 {1,2,3,4} (16 − 4)/3 = 4; unit 8 {1,1,2,1} 2.
        // Σ_c≠k o_ck = 8. α = 1 − (n − 1)·8/(n² − Σ n_c²) = 1 − 39·8/1216 = 904/1216 = 113/152 = 0.74342…
        // (The paper's form: 1 − 39·4/608, with the half-sums above the diagonal.)
        int?[][] data =
        [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
            [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
        ];

        var a = AgreementStatistics.KrippendorffsAlpha(Units(data));

        Assert.Equal((11L, 40L), (a.Units, a.Values));
        Assert.Equal(113.0 / 152, a.Alpha!.Value, 1e-12);
        Assert.Equal(0.743, a.Alpha!.Value, 5e-4);
        Assert.Equal(8.0 / 40, a.ObservedDisagreement!.Value, 1e-12);
        Assert.Equal(1216.0 / (40 * 39), a.ExpectedDisagreement!.Value, 1e-12);
    }

    [Fact]
    public void KrippendorffsAlpha_Krippendorff2011BinaryTwoObservers_Is0095()
    {
        // Krippendorff (2011), section "A. Binary data, two observers, no missing data": α = 0.095.
        // Disagreeing units 1, 3, 6, 9: each (4 − 2)/1 = 2, Σ = 8. n = 20, n₀ = 14, n₁ = 6.
        // α = 1 − 19·8/(400 − 196 − 36) = 1 − 152/168 = 16/168 = 2/21 = 0.0952…
        int?[][] data = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]];

        var a = AgreementStatistics.KrippendorffsAlpha(Units(data));

        Assert.Equal((10L, 20L), (a.Units, a.Values));
        Assert.Equal(2.0 / 21, a.Alpha!.Value, 1e-12);
        Assert.Equal(0.095, a.Alpha!.Value, 5e-4);
    }

    [Fact]
    public void KrippendorffsAlpha_WikipediaThreeCodersFifteenUnits_Is0691()
    {
        // Wikipedia, "Krippendorff's alpha", section "A computational example": 3 coders × 15 units, α_nominal = 0.691.
        // Units 2, 14 are empty and unit 1 has one value: 12 pairable units, n = 26; n_c: 1 → 7, 2 → 4, 3 → 10, 4 → 5.
        // Disagreeing units: 6 {3,3,4} (9 − 5)/2 = 2, 8 {1,3} 2, 15 {3,4} 2: Σ = 6.
        // α = 1 − 25·6/(676 − (49 + 16 + 100 + 25)) = 1 − 150/486 = 336/486 = 56/81 = 0.69136…
        int?[][] data =
        [
            [null, null, null, null, null, 3, 4, 1, 2, 1, 1, 3, 3, null, 3],
            [1, null, 2, 1, 3, 3, 4, 3, null, null, null, null, null, null, null],
            [null, null, 2, 1, 3, 4, 4, null, 2, 1, 1, 3, 3, null, 4],
        ];

        var a = AgreementStatistics.KrippendorffsAlpha(Units(data));

        Assert.Equal((12L, 26L), (a.Units, a.Values));
        Assert.Equal(56.0 / 81, a.Alpha!.Value, 1e-12);
        Assert.Equal(0.691, a.Alpha!.Value, 5e-4);
    }

    [Fact]
    public void KrippendorffsAlpha_TwoRatersNoMissing_CloseToCohensKappaOnTheSameData()
    {
        // On the Wikipedia proposals α pools the two raters' marginals (Scott's π with a small-sample factor):
        // n = 100, n_yes = 25 + 30 = 55, n_no = 45; 15 disagreeing items give Σ Dᵤ = 30.
        // α = 1 − 99·30/(10000 − 3025 − 2025) = 1 − 2970/4950 = 0.40 (here π = κ because pₑ happens to equal 0.5 both ways).
        var pairs = Table(("yes", "yes", 20), ("yes", "no", 5), ("no", "yes", 10), ("no", "no", 15));

        var a = AgreementStatistics.KrippendorffsAlpha(pairs.Select(p => new[] { p.Item1, p.Item2 }));

        Assert.Equal(0.40, a.Alpha!.Value, 1e-12);
    }

    // ── Properties ───────────────────────────────────────────────────────────────────────────

    [Fact]
    public void PerfectAgreement_KappaAndAlphaAreOne()
    {
        var pairs = Table(("approved", "approved", 7), ("corrected", "corrected", 2), ("rejected", "rejected", 1));

        Assert.Equal(1.0, AgreementStatistics.CohensKappa(pairs).Kappa);
        Assert.Equal(1.0, AgreementStatistics.KrippendorffsAlpha(pairs.Select(p => new[] { p.Item1, p.Item2, p.Item1 })).Alpha);
    }

    [Fact]
    public void SwappedRatersAndReorderedValues_SameKappaAndAlpha()
    {
        var random = new Random(Seed);
        string[] categories = ["approved", "corrected", "rejected"];
        var pairs = Enumerable.Range(0, 300).Select(_ => (categories[random.Next(3)], categories[random.Next(3)])).ToArray();
        var units = Enumerable.Range(0, 200).Select(_ => Enumerable.Range(0, random.Next(0, 5)).Select(_ => categories[random.Next(3)]).ToArray()).ToArray();

        var kappa = AgreementStatistics.CohensKappa(pairs);
        var swapped = AgreementStatistics.CohensKappa(pairs.Select(p => (p.Item2, p.Item1)).Reverse());
        Assert.Equal(kappa.Kappa!.Value, swapped.Kappa!.Value, 1e-15);
        Assert.Equal(kappa.ChanceAgreement!.Value, swapped.ChanceAgreement!.Value, 1e-15);

        var alpha = AgreementStatistics.KrippendorffsAlpha(units);
        var reordered = AgreementStatistics.KrippendorffsAlpha(units.Reverse().Select(u => u.Reverse()));
        Assert.Equal(alpha.Alpha!.Value, reordered.Alpha!.Value, 1e-12);
    }

    [Fact]
    public void RelabelledCategories_SameKappaAndAlpha()
    {
        // Nominal: only equal or not matters, so a one-to-one renaming of the categories changes nothing.
        var random = new Random(Seed + 1);
        var pairs = Enumerable.Range(0, 250).Select(_ => (random.Next(4), random.Next(3) == 0 ? random.Next(4) : -1)).Select(p => (p.Item1, p.Item2 < 0 ? p.Item1 : p.Item2)).ToArray();
        Func<int, string> rename = c => "category-" + (7 - c * 3);

        var kappa = AgreementStatistics.CohensKappa(pairs);
        var renamed = AgreementStatistics.CohensKappa(pairs.Select(p => (rename(p.Item1), rename(p.Item2))));
        Assert.Equal(kappa.Kappa!.Value, renamed.Kappa!.Value, 1e-15);

        var alpha = AgreementStatistics.KrippendorffsAlpha(pairs.Select(p => new[] { p.Item1, p.Item2 }));
        var alphaRenamed = AgreementStatistics.KrippendorffsAlpha(pairs.Select(p => new[] { rename(p.Item1), rename(p.Item2) }));
        Assert.Equal(alpha.Alpha!.Value, alphaRenamed.Alpha!.Value, 1e-15);
    }

    [Fact]
    public void NoItems_UndefinedWithReason()
    {
        var kappa = AgreementStatistics.CohensKappa(Array.Empty<(string, string)>());
        Assert.Equal(new CohenKappa(0, null, null, null, AgreementStatistics.NoItems), kappa);

        var alpha = AgreementStatistics.KrippendorffsAlpha(Array.Empty<string[]>());
        Assert.Equal(new KrippendorffAlpha(0, 0, null, null, null, AgreementStatistics.NoPairableUnits), alpha);
    }

    [Fact]
    public void OneRaterOnly_AlphaHasNoPairableUnits()
    {
        // One decision per item, however many items: nothing to compare, not α = 0 or NaN.
        var alpha = AgreementStatistics.KrippendorffsAlpha(Enumerable.Range(0, 50).Select(i => new[] { i % 3 }).Append([]));

        Assert.Null(alpha.Alpha);
        Assert.Equal((0L, 0L, AgreementStatistics.NoPairableUnits), (alpha.Units, alpha.Values, alpha.Undefined));
    }

    [Fact]
    public void SingleCategoryThroughout_SaidPlainlyNotNaN()
    {
        // Both reviewers approve everything: p₀ = pₑ = 1, κ = 0/0. α likewise has Dₒ = Dₑ = 0.
        var kappa = AgreementStatistics.CohensKappa(Table(("approved", "approved", 40)));
        Assert.Equal((40L, 1.0, 1.0, (double?)null, AgreementStatistics.ChanceAgreementIsOne),
            (kappa.Items, kappa.ObservedAgreement, kappa.ChanceAgreement, kappa.Kappa, kappa.Undefined));

        var alpha = AgreementStatistics.KrippendorffsAlpha(Enumerable.Repeat(new[] { "approved", "approved", "approved" }, 10));
        Assert.Equal((10L, 30L, 0.0, 0.0, (double?)null, AgreementStatistics.NoVariation),
            (alpha.Units, alpha.Values, alpha.ObservedDisagreement, alpha.ExpectedDisagreement, alpha.Alpha, alpha.Undefined));
    }

    [Fact]
    public void EachRaterUsesOneDifferentCategory_KappaZeroNotUndefined()
    {
        // A always approves, B always rejects (12 items): pₑ = 1·0 + 0·1 = 0, p₀ = 0, κ = 0 — defined, unlike 0/0.
        // α: n = 24, n_approved = n_rejected = 12, Σ Dᵤ = 12·2 = 24; α = 1 − 23·24/(576 − 288) = 1 − 552/288 = −11/12.
        var kappa = AgreementStatistics.CohensKappa(Table(("approved", "rejected", 12)));
        Assert.Equal((0.0, 0.0, 0.0), (kappa.ObservedAgreement!.Value, kappa.ChanceAgreement!.Value, kappa.Kappa!.Value));

        var alpha = AgreementStatistics.KrippendorffsAlpha(Enumerable.Repeat(new[] { "approved", "rejected" }, 12));
        Assert.Equal(-11.0 / 12, alpha.Alpha!.Value, 1e-12);
    }

    [Fact]
    public void HugeCounts_NoOverflowSameKappaAsTheSmallTable()
    {
        // The Wikipedia table scaled by 10¹¹ (n = 5·10¹², n² = 2.5·10²⁵, beyond a long): κ is still 0.40.
        const long scale = 100_000_000_000;
        var counts = new Dictionary<(string, string), long>
        {
            [("yes", "yes")] = 20 * scale,
            [("yes", "no")] = 5 * scale,
            [("no", "yes")] = 10 * scale,
            [("no", "no")] = 15 * scale,
        };

        var k = AgreementStatistics.CohensKappa(counts);

        Assert.Equal(50 * scale, k.Items);
        Assert.Equal(0.40, k.Kappa!.Value, 1e-12);
        var all = AgreementStatistics.CohensKappa(new Dictionary<(string, string), long> { [("a", "a")] = long.MaxValue / 2, [("b", "b")] = long.MaxValue / 2 });
        Assert.Equal(1.0, all.Kappa!.Value, 1e-12);
    }

    [Fact]
    public void ManyUnits_AlphaMatchesTheSmallExample()
    {
        // Krippendorff's 2011 example repeated 50,000 times: Σ Dᵤ = 8·50,000, n = 40·50,000 = 2,000,000 and
        // n² − Σ n_c² = 1216·50,000². α = 1 − (2,000,000 − 1)·400,000/(1216·50,000²) = 1 − 15,999,992/60,800,000:
        // a shade above 113/152, as the (n − 1) factor nears n.
        int?[][] data =
        [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
            [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
        ];
        var units = Units(data);

        var a = AgreementStatistics.KrippendorffsAlpha(Enumerable.Repeat(units, 50_000).SelectMany(u => u));

        Assert.Equal((550_000L, 2_000_000L), (a.Units, a.Values));
        Assert.Equal(1 - 15_999_992.0 / 60_800_000, a.Alpha!.Value, 1e-12);
    }

    [Fact]
    public void NegativeCount_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => AgreementStatistics.CohensKappa(new Dictionary<(string, string), long> { [("a", "b")] = -1 }));

    // ── Seeded simulation ───────────────────────────────────────────────────────────────────

    [Fact]
    public void Simulation_RatersAgreeingByChanceOnly_KappaAndAlphaNearZero()
    {
        // Each reviewer decides independently of the item and of the others, with the console's typical mix
        // (approved 70 %, corrected 20 %, rejected 10 %): any agreement is chance, so κ and α should centre on 0.
        // 2,000 windows of 200 items: κ from two reviewers, α from three with a quarter of values missing.
        var random = new Random(Seed);
        string Decide() => random.NextDouble() switch { < 0.7 => "approved", < 0.9 => "corrected", _ => "rejected" };
        var kappas = new List<double>();
        var alphas = new List<double>();
        for (var run = 0; run < 2_000; run++)
        {
            kappas.Add(AgreementStatistics.CohensKappa(Enumerable.Range(0, 200).Select(_ => (Decide(), Decide())).ToList()).Kappa!.Value);
            alphas.Add(AgreementStatistics.KrippendorffsAlpha(Enumerable.Range(0, 200)
                .Select(_ => Enumerable.Range(0, 3).Select(_ => random.NextDouble() < 0.25 ? null : Decide()).OfType<string>().ToList()).ToList()).Alpha!.Value);
        }

        var (kMean, kSd) = MeanAndSd(kappas);
        var (aMean, aSd) = MeanAndSd(alphas);
        TestContext.Current.TestOutputHelper?.WriteLine($"chance-only raters, seed {Seed}, 2,000 × 200 items: κ mean {kMean:0.0000} sd {kSd:0.0000}; α mean {aMean:0.0000} sd {aSd:0.0000}");
        // Standard error of each mean ≈ sd/√2000 ≈ 0.0015: ±0.01 is more than six of them.
        Assert.InRange(kMean, -0.01, 0.01);
        Assert.InRange(aMean, -0.01, 0.01);
        Assert.InRange(kSd, 0.03, 0.12);
        Assert.InRange(aSd, 0.03, 0.12);
    }

    private static (double Mean, double Sd) MeanAndSd(List<double> xs)
    {
        var mean = xs.Average();
        return (mean, Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Count - 1)));
    }
}
