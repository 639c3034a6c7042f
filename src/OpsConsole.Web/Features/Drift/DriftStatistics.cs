namespace OpsConsole.Web.Features.Drift;

/// <summary>
/// The statistics of a drift check, on distributions as the rollups hold them (binned counts).
/// Each returns null when there is too little data to say anything: a drift check reports
/// <c>insufficient_data</c> rather than a false alarm.
/// </summary>
public static class DriftStatistics
{
    /// <summary>Empty bins are counted as this share, so a bin empty on one side does not make PSI infinite.</summary>
    public const double PsiFloor = 1e-4;

    /// <summary>
    /// Population stability index of two binned distributions over the same bins:
    /// Σ (cᵢ − rᵢ) · ln(cᵢ / rᵢ) with cᵢ, rᵢ the shares per bin (empty bins floored to <see cref="PsiFloor"/>).
    /// </summary>
    public static double? Psi(IReadOnlyList<long> reference, IReadOnlyList<long> current, long minSamples = 100)
    {
        if (reference.Count != current.Count)
        {
            throw new ArgumentException("Both distributions need the same bins.");
        }
        double r = reference.Sum(), c = current.Sum();
        if (r < minSamples || c < minSamples)
        {
            return null;
        }
        var psi = 0.0;
        for (var i = 0; i < reference.Count; i++)
        {
            var ri = Math.Max(reference[i] / r, PsiFloor);
            var ci = Math.Max(current[i] / c, PsiFloor);
            psi += (ci - ri) * Math.Log(ci / ri);
        }
        return psi;
    }

    /// <summary>Merges adjacent bins: 20 confidence bins of 0.05 become the 10 bins of 0.1 the PSI check uses.</summary>
    public static long[] Rebin(IReadOnlyList<long> bins, int into)
    {
        if (bins.Count % into != 0)
        {
            throw new ArgumentException($"{bins.Count} bins do not divide into {into}.");
        }
        var width = bins.Count / into;
        return Enumerable.Range(0, into).Select(i => Enumerable.Range(i * width, width).Sum(j => bins[j])).ToArray();
    }

    public sealed record KsResult(double Statistic, double PValue, long ReferenceCount, long CurrentCount)
    {
        /// <summary>The D above which the p-value falls below <paramref name="alpha"/> for these sample sizes (same formula, inverted).</summary>
        public double CriticalD(double alpha)
        {
            var sqrt = Math.Sqrt(ReferenceCount * (double)CurrentCount / (ReferenceCount + CurrentCount));
            return KolmogorovLambda(alpha) / (sqrt + 0.12 + 0.11 / sqrt);
        }
    }

    /// <summary>λ with Q(λ) = <paramref name="alpha"/> (1.628 for 0.01).</summary>
    public static double KolmogorovLambda(double alpha) => Invert(KolmogorovQ, alpha, 0.2, 10);

    /// <summary>z with a two-sided normal tail of <paramref name="alpha"/> (2.576 for 0.01).</summary>
    public static double NormalTwoSided(double alpha) => Invert(z => 2 * NormalUpperTail(z), alpha, 0, 40);

    /// <summary>Bisection on a decreasing function: x in [lo, hi] with f(x) = target.</summary>
    private static double Invert(Func<double, double> decreasing, double target, double lo, double hi)
    {
        for (var i = 0; i < 100; i++)
        {
            var mid = (lo + hi) / 2;
            if (decreasing(mid) > target)
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
    /// Two-sample Kolmogorov–Smirnov test on binned samples sharing bin edges: D is the largest
    /// distance between the empirical CDFs at the bin edges (for fine bins this is D of the raw
    /// samples within the bin width); the p-value is the asymptotic Kolmogorov distribution with
    /// Stephens' small-sample correction.
    /// </summary>
    public static KsResult? KolmogorovSmirnov(IReadOnlyList<long> reference, IReadOnlyList<long> current, long minSamples = 50)
    {
        if (reference.Count != current.Count)
        {
            throw new ArgumentException("Both distributions need the same bins.");
        }
        long n1 = reference.Sum(), n2 = current.Sum();
        if (n1 < minSamples || n2 < minSamples)
        {
            return null;
        }
        double f1 = 0, f2 = 0, d = 0;
        for (var i = 0; i < reference.Count; i++)
        {
            f1 += reference[i] / (double)n1;
            f2 += current[i] / (double)n2;
            d = Math.Max(d, Math.Abs(f1 - f2));
        }
        var ne = n1 * (double)n2 / (n1 + n2);
        var sqrt = Math.Sqrt(ne);
        return new KsResult(d, KolmogorovQ((sqrt + 0.12 + 0.11 / sqrt) * d), n1, n2);
    }

    /// <summary>Q(λ) = P(K &gt; λ) = 2 Σ_{j≥1} (−1)^{j−1} e^{−2j²λ²}, the Kolmogorov distribution's tail.</summary>
    public static double KolmogorovQ(double lambda)
    {
        if (lambda < 0.2)
        {
            return 1; // the series converges slowly here and the tail is 1 to many digits
        }
        double sum = 0, sign = 1;
        for (var j = 1; j <= 100; j++)
        {
            var term = sign * Math.Exp(-2 * j * j * lambda * lambda);
            sum += term;
            if (Math.Abs(term) < 1e-12)
            {
                break;
            }
            sign = -sign;
        }
        return Math.Clamp(2 * sum, 0, 1);
    }

    public sealed record ZTestResult(double Z, double PValue, double ReferenceRate, double CurrentRate);

    /// <summary>Two-proportion z-test (pooled), two-sided: did the share of successes change?</summary>
    public static ZTestResult? TwoProportionZ(long referenceSuccesses, long referenceTrials, long currentSuccesses, long currentTrials, long minTrials = 30)
    {
        if (referenceTrials < minTrials || currentTrials < minTrials)
        {
            return null;
        }
        double p1 = referenceSuccesses / (double)referenceTrials, p2 = currentSuccesses / (double)currentTrials;
        var pooled = (referenceSuccesses + currentSuccesses) / (double)(referenceTrials + currentTrials);
        var se = Math.Sqrt(pooled * (1 - pooled) * (1.0 / referenceTrials + 1.0 / currentTrials));
        if (se == 0)
        {
            return new ZTestResult(0, 1, p1, p2);
        }
        var z = (p2 - p1) / se;
        return new ZTestResult(z, Math.Clamp(2 * NormalUpperTail(Math.Abs(z)), 0, 1), p1, p2);
    }

    /// <summary>P(Z &gt; z) for a standard normal: erfc(z/√2)/2.</summary>
    public static double NormalUpperTail(double z) => 0.5 * Erfc(z / Math.Sqrt(2));

    /// <summary>Complementary error function, Chebyshev fit with relative error below 1.2·10⁻⁷ everywhere.</summary>
    public static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1 / (1 + 0.5 * z);
        var r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
