namespace OpsConsole.Web.Features.Reviewers;

/// <summary>
/// Cohen's κ of two raters on nominal categories. <see cref="Kappa"/> is null when it is undefined,
/// and <see cref="Undefined"/> then says why in words (never NaN or ∞).
/// </summary>
/// <param name="Items">Items both raters rated.</param>
/// <param name="ObservedAgreement">p₀: the share of items given the same category.</param>
/// <param name="ChanceAgreement">pₑ: Σ over categories of the product of the two raters' shares.</param>
public sealed record CohenKappa(long Items, double? ObservedAgreement, double? ChanceAgreement, double? Kappa, string? Undefined);

/// <summary>
/// Krippendorff's α for nominal data. <see cref="Alpha"/> is null when it is undefined, and
/// <see cref="Undefined"/> then says why in words.
/// </summary>
/// <param name="Units">Pairable units: units with at least two values.</param>
/// <param name="Values">The values in those units (n in Krippendorff's notation).</param>
/// <param name="ObservedDisagreement">D₀ = Σ_c≠k o_ck / n.</param>
/// <param name="ExpectedDisagreement">Dₑ = Σ_c≠k n_c·n_k / (n(n − 1)).</param>
public sealed record KrippendorffAlpha(long Units, long Values, double? ObservedDisagreement, double? ExpectedDisagreement, double? Alpha, string? Undefined);

/// <summary>
/// Agreement between reviewers (issue 18, point 7). Pure functions; the README's "Reviewer agreement"
/// names the sources. Counts are summed in 128-bit integers and κ and α are formed from integer
/// numerators and denominators, so huge counts neither overflow nor lose the result to cancellation.
/// </summary>
public static class AgreementStatistics
{
    public const string NoItems = "No item was rated by both reviewers.";
    public const string ChanceAgreementIsOne =
        "Both reviewers gave every item the same single category, so chance agreement is 1 and κ is 0/0: undefined.";
    public const string NoPairableUnits = "No item has two or more decisions, so there is nothing to compare.";
    public const string NoVariation =
        "Every decision is the same category, so the expected disagreement is 0 and α is 0/0: undefined.";

    /// <summary>Cohen's κ from one (first rater, second rater) pair of categories per item.</summary>
    public static CohenKappa CohensKappa<T>(IEnumerable<(T First, T Second)> pairs) where T : notnull =>
        CohensKappa(pairs.GroupBy(p => p).Select(g => new KeyValuePair<(T, T), long>(g.Key, g.LongCount())));

    /// <summary>
    /// Cohen's κ from a contingency table: how many items got category First from the first rater and
    /// Second from the second. κ = (p₀ − pₑ)/(1 − pₑ), here computed as (n·A − S)/(n² − S) with A the
    /// agreeing items and S = Σ_k rₖ·cₖ the products of the marginals (p₀ = A/n, pₑ = S/n²).
    /// </summary>
    public static CohenKappa CohensKappa<T>(IEnumerable<KeyValuePair<(T First, T Second), long>> counts) where T : notnull
    {
        Int128 n = 0, agreeing = 0;
        var firstMarginal = new Dictionary<T, Int128>();
        var secondMarginal = new Dictionary<T, Int128>();
        foreach (var ((first, second), count) in counts)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(count, nameof(counts));
            n += count;
            if (EqualityComparer<T>.Default.Equals(first, second))
            {
                agreeing += count;
            }
            firstMarginal[first] = firstMarginal.GetValueOrDefault(first) + count;
            secondMarginal[second] = secondMarginal.GetValueOrDefault(second) + count;
        }
        if (n == 0)
        {
            return new CohenKappa(0, null, null, null, NoItems);
        }
        Int128 chance = 0;
        foreach (var (category, r) in firstMarginal)
        {
            chance += r * secondMarginal.GetValueOrDefault(category);
        }
        var items = (long)n;
        var nn = n * n;
        var observed = (double)agreeing / (double)n;
        var expected = (double)chance / (double)nn;
        if (chance == nn)
        {
            return new CohenKappa(items, observed, 1.0, null, ChanceAgreementIsOne);
        }
        return new CohenKappa(items, observed, expected, (double)(n * agreeing - chance) / (double)(nn - chance), null);
    }

    /// <summary>
    /// Krippendorff's α for nominal data, any number of raters, missing values allowed: each unit lists
    /// the values it got (a rater who did not rate it is simply absent). Units with fewer than two values
    /// are not pairable and are dropped. With the coincidence matrix o_ck = Σᵤ (pairs c–k in u)/(mᵤ − 1),
    /// n_c = Σ_k o_ck and n = Σ_c n_c: α = 1 − D₀/Dₑ = 1 − (n − 1)·Σᵤ Dᵤ / (n² − Σ_c n_c²), where
    /// Dᵤ = (mᵤ² − Σ_c n_uc²)/(mᵤ − 1) is unit u's share of the off-diagonal coincidences.
    /// </summary>
    public static KrippendorffAlpha KrippendorffsAlpha<T>(IEnumerable<IEnumerable<T>> units) where T : notnull
    {
        long pairable = 0;
        Int128 n = 0;
        var totals = new Dictionary<T, Int128>();
        var perUnit = new Dictionary<T, long>();
        // Σᵤ Dᵤ as a fraction over a common denominator is impractical (one per distinct mᵤ); a double
        // holds each term exactly for mᵤ < 2²⁶ and the sum to 1e-16 relative, which is ample here.
        var disagreement = 0.0;
        foreach (var unit in units)
        {
            perUnit.Clear();
            long m = 0;
            foreach (var value in unit)
            {
                perUnit[value] = perUnit.GetValueOrDefault(value) + 1;
                m++;
            }
            if (m < 2)
            {
                continue;
            }
            pairable++;
            n += m;
            Int128 sameSquares = 0;
            foreach (var (value, count) in perUnit)
            {
                sameSquares += (Int128)count * count;
                totals[value] = totals.GetValueOrDefault(value) + count;
            }
            disagreement += (double)((Int128)m * m - sameSquares) / (m - 1);
        }
        if (pairable == 0)
        {
            return new KrippendorffAlpha(0, 0, null, null, null, NoPairableUnits);
        }
        Int128 squares = 0;
        foreach (var count in totals.Values)
        {
            squares += count * count;
        }
        var nd = (double)n;
        var observed = disagreement / nd;
        var expectedNumerator = n * n - squares;
        if (expectedNumerator == 0)
        {
            return new KrippendorffAlpha(pairable, (long)n, observed, 0.0, null, NoVariation);
        }
        var expected = (double)expectedNumerator / (nd * (nd - 1));
        return new KrippendorffAlpha(pairable, (long)n, observed, expected, 1 - (nd - 1) * disagreement / (double)expectedNumerator, null);
    }
}
