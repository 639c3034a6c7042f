namespace OpsConsole.Web.Features.Evaluation;

public static class EvaluationVerdicts
{
    /// <summary>A critical case fails on the candidate, or the candidate is significantly worse by more than the tolerance.</summary>
    public const string Regressed = "regressed";
    /// <summary>The candidate is significantly better (one-sided exact McNemar in the other direction).</summary>
    public const string Improved = "improved";
    /// <summary>No significant difference: read the confidence interval of the difference for how large one could be.</summary>
    public const string Tied = "tied";
    /// <summary>Cases of the dataset version are missing from the run: no claim either way.</summary>
    public const string Incomplete = "incomplete";
}

/// <summary>
/// One case of a paired evaluation: its result on the baseline (the stable release's run) and on the
/// candidate, on the same dataset version. Scores, when present, lie in [0, 1].
/// </summary>
public sealed record EvaluationCase(string CaseId, bool BaselinePass, bool CandidatePass, bool Critical = false,
    double? BaselineScore = null, double? CandidateScore = null);

/// <summary>
/// The Wilcoxon signed-rank test of paired scores with Pratt's treatment of zero differences.
/// <see cref="Statistic"/> is W+, the sum of the ranks of the positive differences (candidate − baseline);
/// <see cref="Z"/> is (W+ − E[W+]) / SD[W+] without continuity correction (negative = candidate worse).
/// </summary>
public sealed record WilcoxonResult(int Pairs, int Zeros, double Statistic, double Z, double POneSidedWorse, double PTwoSided, bool Exact);

/// <summary>
/// The outcome of comparing a candidate's evaluation run with the baseline's. Differences and the
/// interval are candidate − baseline (negative = the candidate passes fewer cases).
/// </summary>
public sealed record EvaluationResult(
    string Verdict,
    int Cases,
    int Regressions,
    int Improvements,
    double BaselinePassRate,
    double CandidatePassRate,
    double Difference,
    double CiLow,
    double CiHigh,
    double Confidence,
    double POneSidedWorse,
    double POneSidedBetter,
    double PTwoSided,
    WilcoxonResult? Scores,
    IReadOnlyList<string> FailingCriticalCaseIds,
    IReadOnlyList<string> MissingCaseIds,
    IReadOnlyList<string> UnexpectedCaseIds)
{
    /// <summary>CI fails on a regression and on an incomplete run (nothing was shown to be safe).</summary>
    public bool FailCi => Verdict is EvaluationVerdicts.Regressed or EvaluationVerdicts.Incomplete;
}

/// <summary>
/// The statistics of paired evaluation runs (issue 18): the exact McNemar test on the discordant cases
/// (McNemar 1947, "Note on the sampling error of the difference between correlated proportions or
/// percentages", Psychometrika 12:153–157, in its exact binomial form), Newcombe's method 10 interval for
/// the paired difference of pass rates (Newcombe 1998, "Improved confidence intervals for the difference
/// between binomial proportions based on paired data", Statistics in Medicine 17:2635–2650), and the
/// Wilcoxon signed-rank test of scores (Wilcoxon 1945, Biometrics Bulletin 1:80–83) with Pratt's zero
/// handling (Pratt 1959, "Remarks on zeros and ties in the Wilcoxon signed rank procedures", JASA 54:655–667).
/// </summary>
public static class EvaluationStatistics
{
    public const double DefaultAlpha = 0.05;

    /// <summary>Exact summation for W+ up to this many nonzero differences (2^25 sign patterns, counted by dynamic programming).</summary>
    public const int MaxExactWilcoxon = 25;

    /// <summary>Absolute score differences closer than this are ties, and smaller ones zeros: 0.3 − 0.2 and 0.8 − 0.7 differ in the last bit.</summary>
    private const double ScoreEpsilon = 1e-9;

    private const double Z95 = 1.959963984540054;

    /// <summary>
    /// The exact McNemar test as /work/shared/specs/mcnemar-vectors.json defines it: with n = regressions +
    /// improvements and X ~ Binomial(n, ½), the one-sided p that the candidate is worse is P(X ≥ regressions)
    /// (1 when there are no regressions) and the two-sided p is min(1, 2·P(X ≤ min(regressions, improvements))).
    /// Tails are summed from their smaller end in log space, so n of millions neither overflows nor loses the small tail;
    /// the log of the largest term is a difference of numbers near n·ln 2, which costs about 1e-12 (absolute) at n = 10,000.
    /// </summary>
    public static (double POneSidedWorse, double PTwoSided) McNemar(int regressions, int improvements)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(regressions);
        ArgumentOutOfRangeException.ThrowIfNegative(improvements);
        var n = (long)regressions + improvements;
        var oneSided = regressions == 0 ? 1.0 : HalfBinomialLowerTail(n - regressions, n); // P(X ≥ r) = P(X ≤ n − r) at p = ½
        var twoSided = Math.Min(1.0, 2 * HalfBinomialLowerTail(Math.Min(regressions, improvements), n));
        return (oneSided, twoSided);
    }

    /// <summary>
    /// Newcombe's (1998) method 10 for the paired difference of pass rates, candidate − baseline: the hybrid
    /// score interval built from the Wilson (1927) intervals (l1, u1) of the candidate's rate p1 and (l2, u2)
    /// of the baseline's rate p2, θ̂ = p1 − p2,
    /// L = θ̂ − √((p1 − l1)² − 2φ(p1 − l1)(u2 − p2) + (u2 − p2)²),
    /// U = θ̂ + √((u1 − p1)² − 2φ(u1 − p1)(p2 − l2) + (p2 − l2)²),
    /// with the table a = both pass, b = improvements, c = regressions, d = both fail, and φ the correlation
    /// (ad − bc)/√((a+b)(c+d)(a+c)(b+d)) corrected for continuity as the paper does: the numerator is
    /// max(ad − bc − n/2, 0) when ad &gt; bc, and φ = 0 when a margin is empty. No cases give [−1, 1].
    /// </summary>
    public static (double Low, double High) PairedDifferenceInterval(int bothPass, int regressions, int improvements, int bothFail,
        double confidence = 0.95)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bothPass);
        ArgumentOutOfRangeException.ThrowIfNegative(regressions);
        ArgumentOutOfRangeException.ThrowIfNegative(improvements);
        ArgumentOutOfRangeException.ThrowIfNegative(bothFail);
        if (!(confidence > 0 && confidence < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "The confidence lies strictly between 0 and 1.");
        }
        double a = bothPass, b = improvements, c = regressions, d = bothFail;
        var n = a + b + c + d;
        if (n == 0)
        {
            return (-1, 1);
        }
        var z = confidence == 0.95 ? Z95 : NormalQuantileTwoSided(1 - confidence);
        double p1 = (a + b) / n, p2 = (a + c) / n;
        var (l1, u1) = Wilson(a + b, n, z);
        var (l2, u2) = Wilson(a + c, n, z);
        var margins = (a + b) * (c + d) * (a + c) * (b + d);
        var cross = a * d - b * c;
        var numerator = cross > 0 ? Math.Max(cross - n / 2, 0) : cross;
        var phi = margins == 0 ? 0 : numerator / Math.Sqrt(margins);
        var theta = p1 - p2;
        // The radicands are ≥ 0 for |φ| ≤ 1 (a square minus at most twice a product); rounding may dip below.
        var below = Math.Sqrt(Math.Max(0, Square(p1 - l1) - 2 * phi * (p1 - l1) * (u2 - p2) + Square(u2 - p2)));
        var above = Math.Sqrt(Math.Max(0, Square(u1 - p1) - 2 * phi * (u1 - p1) * (p2 - l2) + Square(p2 - l2)));
        return (Math.Max(-1, theta - below), Math.Min(1, theta + above));
    }

    /// <summary>
    /// The Wilcoxon signed-rank test of candidate − baseline scores, zeros handled by Pratt's method: every
    /// difference is ranked by its absolute value (ties get midranks, zeros included), then the zeros' ranks are
    /// dropped, so W+ sums the ranks of the positive differences. Under H0 each nonzero rank is positive with
    /// probability ½ independently, so E[W+] = Σr/2 and Var[W+] = Σr²/4 over the nonzero ranks (this is the
    /// usual n(n+1)(2n+1)/24 with the tie correction Σ(t³ − t)/48 and Pratt's zero adjustment).
    /// When there are 1 to <see cref="MaxExactWilcoxon"/> nonzero differences and no ties among them, the
    /// p-values are exact (the ranks are integers; the distribution of W+ is counted by dynamic programming);
    /// otherwise they are the normal approximation with a continuity correction of ½ (as R's wilcox.test).
    /// One-sided (candidate worse) p = P(W+ ≤ w); two-sided p = min(1, 2·min(P(W+ ≤ w), P(W+ ≥ w))).
    /// Scores must be finite and in [0, 1]. No nonzero difference gives Z = 0 and p = 1.
    /// </summary>
    public static WilcoxonResult WilcoxonSignedRank(IReadOnlyList<(double Baseline, double Candidate)> pairs, bool allowExact = true)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var diffs = new double[pairs.Count];
        for (var i = 0; i < pairs.Count; i++)
        {
            CheckScore(pairs[i].Baseline, nameof(pairs));
            CheckScore(pairs[i].Candidate, nameof(pairs));
            var diff = pairs[i].Candidate - pairs[i].Baseline;
            diffs[i] = Math.Abs(diff) < ScoreEpsilon ? 0 : diff;
        }

        var order = Enumerable.Range(0, diffs.Length).OrderBy(i => Math.Abs(diffs[i])).ToArray();
        var ranks = new double[diffs.Length];
        var tiesAmongNonZero = false;
        for (var start = 0; start < order.Length;)
        {
            var end = start + 1;
            var first = Math.Abs(diffs[order[start]]);
            while (end < order.Length && Math.Abs(diffs[order[end]]) - first < ScoreEpsilon)
            {
                end++;
            }
            var midrank = (start + 1 + end) / 2.0; // ranks start+1 … end
            for (var k = start; k < end; k++)
            {
                ranks[order[k]] = midrank;
            }
            tiesAmongNonZero |= end - start > 1 && first != 0;
            start = end;
        }

        int zeros = 0, nonZero = 0;
        double wPlus = 0, sum = 0, sumSquares = 0;
        for (var i = 0; i < diffs.Length; i++)
        {
            if (diffs[i] == 0)
            {
                zeros++;
                continue;
            }
            nonZero++;
            sum += ranks[i];
            sumSquares += ranks[i] * ranks[i];
            if (diffs[i] > 0)
            {
                wPlus += ranks[i];
            }
        }
        if (nonZero == 0)
        {
            return new WilcoxonResult(pairs.Count, zeros, 0, 0, 1, 1, false);
        }

        var mean = sum / 2;
        var sd = Math.Sqrt(sumSquares / 4);
        var z = (wPlus - mean) / sd;
        double worse, better;
        var exact = allowExact && !tiesAmongNonZero && nonZero <= MaxExactWilcoxon;
        if (exact)
        {
            var nonZeroRanks = diffs.Select((d, i) => (d, i)).Where(x => x.d != 0).Select(x => (int)ranks[x.i]).ToArray();
            (worse, better) = ExactSignedRankTails(nonZeroRanks, (int)wPlus);
        }
        else
        {
            worse = NormalUpperTail(-(wPlus - mean + 0.5) / sd);
            better = NormalUpperTail((wPlus - mean - 0.5) / sd);
        }
        return new WilcoxonResult(pairs.Count, zeros, wPlus, z, worse, Math.Min(1, 2 * Math.Min(worse, better)), exact);
    }

    /// <summary>
    /// The verdict on a candidate's evaluation run against the baseline's, on the cases of
    /// <paramref name="expectedCaseIds"/> (the dataset version). Rules, in order:
    /// <list type="number">
    /// <item><b>regressed</b> when a critical case fails on the candidate (whatever the baseline did and
    /// however large the p-values), or when the exact McNemar one-sided p that the candidate is worse is
    /// below α and the pass-rate drop (regressions − improvements)/cases exceeds <paramref name="tolerance"/>;</item>
    /// <item><b>incomplete</b> when an expected case is missing from the run: the statistics describe the
    /// cases present, but no claim of tie or improvement is made;</item>
    /// <item><b>improved</b> when the exact McNemar one-sided p in the other direction, P(X ≥ improvements), is below α;</item>
    /// <item><b>tied</b> otherwise, with Newcombe's method 10 interval of the difference at <paramref name="confidence"/>.</item>
    /// </list>
    /// Cases outside the expected set belong to another dataset version: they are listed in
    /// <see cref="EvaluationResult.UnexpectedCaseIds"/> and left out of everything else. The Wilcoxon
    /// signed-rank test runs on the counted cases that carry both scores; it is reported, not part of the verdict.
    /// No counted case gives pass rates of 0 and the interval [−1, 1].
    /// </summary>
    /// <exception cref="ArgumentException">Duplicate case ids, an empty expected set, or an empty case id.</exception>
    /// <exception cref="ArgumentOutOfRangeException">α or the confidence outside (0, 1), a tolerance outside [0, 1),
    /// or a score that is not finite or outside [0, 1].</exception>
    public static EvaluationResult Verdict(IReadOnlyList<EvaluationCase> cases, IReadOnlyCollection<string> expectedCaseIds,
        double alpha, double tolerance, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentNullException.ThrowIfNull(expectedCaseIds);
        if (!(alpha > 0 && alpha < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "α lies strictly between 0 and 1.");
        }
        if (!(tolerance >= 0 && tolerance < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "The tolerated pass-rate drop is a proportion in [0, 1).");
        }
        if (!(confidence > 0 && confidence < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "The confidence lies strictly between 0 and 1.");
        }
        var expected = new HashSet<string>(expectedCaseIds, StringComparer.Ordinal);
        if (expected.Count == 0)
        {
            throw new ArgumentException("A dataset version has at least one case.", nameof(expectedCaseIds));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var unexpected = new List<string>();
        var failingCritical = new List<string>();
        var scored = new List<(double, double)>();
        int bothPass = 0, bothFail = 0, regressions = 0, improvements = 0;
        foreach (var c in cases)
        {
            if (string.IsNullOrEmpty(c.CaseId))
            {
                throw new ArgumentException("Every case has an id.", nameof(cases));
            }
            if (!seen.Add(c.CaseId))
            {
                throw new ArgumentException($"Case '{c.CaseId}' appears more than once.", nameof(cases));
            }
            if (c.BaselineScore is { } bs)
            {
                CheckScore(bs, nameof(cases));
            }
            if (c.CandidateScore is { } cs)
            {
                CheckScore(cs, nameof(cases));
            }
            if (!expected.Contains(c.CaseId))
            {
                unexpected.Add(c.CaseId);
                continue;
            }
            if (c.Critical && !c.CandidatePass)
            {
                failingCritical.Add(c.CaseId);
            }
            switch (c.BaselinePass, c.CandidatePass)
            {
                case (true, true): bothPass++; break;
                case (true, false): regressions++; break;
                case (false, true): improvements++; break;
                default: bothFail++; break;
            }
            if (c.BaselineScore is { } b && c.CandidateScore is { } s)
            {
                scored.Add((b, s));
            }
        }
        var missing = expected.Where(id => !seen.Contains(id)).Order(StringComparer.Ordinal).ToList();

        var n = bothPass + bothFail + regressions + improvements;
        double baselineRate = n == 0 ? 0 : (bothPass + regressions) / (double)n;
        double candidateRate = n == 0 ? 0 : (bothPass + improvements) / (double)n;
        var difference = candidateRate - baselineRate;
        var (worse, twoSided) = McNemar(regressions, improvements);
        var better = McNemar(improvements, regressions).POneSidedWorse;
        var (low, high) = PairedDifferenceInterval(bothPass, regressions, improvements, bothFail, confidence);
        var scores = scored.Count > 0 ? WilcoxonSignedRank(scored) : null;

        var verdict =
            failingCritical.Count > 0 || (worse < alpha && -difference > tolerance) ? EvaluationVerdicts.Regressed
            : missing.Count > 0 ? EvaluationVerdicts.Incomplete
            : better < alpha ? EvaluationVerdicts.Improved
            : EvaluationVerdicts.Tied;
        return new EvaluationResult(verdict, n, regressions, improvements, baselineRate, candidateRate, difference, low, high, confidence,
            worse, better, twoSided, scores, failingCritical, missing, unexpected);
    }

    /// <summary>P(X ≤ m) for X ~ Binomial(n, ½).</summary>
    private static double HalfBinomialLowerTail(long m, long n)
    {
        if (m >= n)
        {
            return 1;
        }
        // The smaller tail is summed directly; the larger one is 1 minus the other (symmetry at ½).
        return 2 * m < n ? SmallTail(m, n) : 1 - SmallTail(n - m - 1, n);
    }

    /// <summary>
    /// P(X ≤ m) for 2m &lt; n: the terms fall going down from m (ratio k/(n − k + 1) &lt; 1), so the sum is taken
    /// relative to the largest term C(n, m)/2ⁿ, whose logarithm is Σ ln((n − m + j)/j) − n·ln 2.
    /// </summary>
    private static double SmallTail(long m, long n)
    {
        if (m < 0)
        {
            return 0;
        }
        var logTop = -n * Math.Log(2);
        for (long j = 1; j <= m; j++)
        {
            logTop += Math.Log((double)(n - m + j) / j);
        }
        double sum = 1, term = 1;
        for (var k = m; k > 0; k--)
        {
            term *= k / (double)(n - k + 1);
            sum += term;
            if (term < sum * 1e-18)
            {
                break;
            }
        }
        return Math.Exp(logTop + Math.Log(sum));
    }

    /// <summary>(P(W+ ≤ w), P(W+ ≥ w)) with W+ the sum of a uniformly random subset of the integer ranks.</summary>
    private static (double Lower, double Upper) ExactSignedRankTails(int[] ranks, int w)
    {
        var total = ranks.Sum();
        // counts[s] = number of sign patterns with W+ = s; below 2^25 they are exact in a double.
        var counts = new double[total + 1];
        counts[0] = 1;
        var reach = 0;
        foreach (var r in ranks)
        {
            reach += r;
            for (var s = reach; s >= r; s--)
            {
                counts[s] += counts[s - r];
            }
        }
        var patterns = Math.Pow(2, ranks.Length);
        double lower = 0, upper = 0;
        for (var s = 0; s <= total; s++)
        {
            if (s <= w)
            {
                lower += counts[s];
            }
            if (s >= w)
            {
                upper += counts[s];
            }
        }
        return (lower / patterns, upper / patterns);
    }

    /// <summary>The Wilson (1927) score interval of x successes in n, at the normal quantile z.</summary>
    private static (double Low, double High) Wilson(double x, double n, double z)
    {
        double p = x / n, z2 = z * z;
        var centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        var half = z / (1 + z2 / n) * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>P(Z &gt; x) for a standard normal, erfc(x/√2)/2, to about 1e-13 relative.</summary>
    public static double NormalUpperTail(double x) => 0.5 * Erfc(x / Math.Sqrt(2));

    /// <summary>z with P(|Z| &gt; z) = <paramref name="alpha"/> (1.959963984540054 for 0.05), by bisection.</summary>
    public static double NormalQuantileTwoSided(double alpha)
    {
        if (!(alpha > 0 && alpha < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "α lies strictly between 0 and 1.");
        }
        double lo = 0, hi = 40;
        for (var i = 0; i < 200 && hi - lo > 1e-15; i++)
        {
            var mid = (lo + hi) / 2;
            if (2 * NormalUpperTail(mid) > alpha)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }
        return (lo + hi) / 2;
    }

    /// <summary>
    /// erfc by the series erf(x) = (2/√π)·e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1)) (all terms positive) below 2,
    /// and by the continued fraction erfc(x) = (e^(−x²)/√π) / (x + ½/(x + 1/(x + (3/2)/(x + …)))) from 2 on
    /// (Abramowitz and Stegun 7.1.6 and 7.1.14), evaluated from the tail.
    /// </summary>
    private static double Erfc(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }
        if (x < 0)
        {
            return 2 - Erfc(-x);
        }
        if (x < 2)
        {
            double term = x, sum = x;
            for (var k = 1; k < 200 && term > sum * 1e-17; k++)
            {
                term *= 2 * x * x / (2 * k + 1);
                sum += term;
            }
            return 1 - 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x) * sum;
        }
        if (x > 27)
        {
            return 0;
        }
        var f = x;
        for (var k = 120; k >= 1; k--)
        {
            f = x + k / 2.0 / f;
        }
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }

    private static double Square(double x) => x * x;

    private static void CheckScore(double score, string name)
    {
        if (!double.IsFinite(score) || score < 0 || score > 1)
        {
            throw new ArgumentOutOfRangeException(name, score, "Scores are finite and lie in [0, 1].");
        }
    }
}
