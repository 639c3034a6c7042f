using OpsConsole.Web.Features.Drift;

namespace OpsConsole.Web.Features.Releases;

/// <summary>Decided reviews of one arm (approved of decided), or errors of requests: a proportion.</summary>
public readonly record struct ArmCounts(long Successes, long Trials);

/// <summary>Count, sum and sum of squares of one arm's values (cost or latency per request): a mean.</summary>
public readonly record struct ArmMoments(long Count, double Sum, double SumOfSquares);

/// <summary>
/// One look of the sequential test. <see cref="Estimate"/> is the worsening of the candidate
/// against stable, positive = worse: for proportions the raw difference (0.03 = three points worse),
/// for means the excess over the tolerated mean, μc − (1 + δ)·μs. <see cref="CiLow"/> and
/// <see cref="CiHigh"/> bound that same quantity with an always-valid confidence sequence.
/// <see cref="Regressed"/> is the rollback signal; it is never set when <see cref="EnoughData"/> is false.
/// </summary>
public readonly record struct SequentialLook(double Estimate, double LogLikelihoodRatio, double LogBoundary, bool Regressed,
    double CiLow, double CiHigh, bool EnoughData);

/// <summary>
/// The statistics that guard a canary: a one-sided mixture sequential probability ratio test
/// (mSPRT) of Johari, Koomen, Pekelis and Walsh, "Peeking at A/B Tests: Why it matters, and what to
/// do about it" (KDD 2017) and "Always Valid Inference: Continuous Monitoring of A/B Tests"
/// (Operations Research 70(3), 2022), on a normal estimate of the difference; its always-valid
/// confidence sequence; the Wilson (1927) score interval for one arm; and a sample-ratio-mismatch check.
/// </summary>
/// <remarks>
/// The mixture of likelihood ratios over N(θ0, τ²) is a nonnegative martingale under θ = θ0
/// (Robbins 1970, "Statistical methods related to the law of the iterated logarithm"), so by
/// Ville's inequality it ever reaches 1/α with probability at most α, however often one looks.
/// For an estimate d̂ with variance V it is Λ = √(V/(V+τ²))·exp(τ²(d̂−θ0)² / (2V(V+τ²))).
/// The test here is one-sided: it rolls back only when Λ ≥ 1/α and the estimate lies beyond the
/// tolerance, which keeps the false-rollback rate at most α (about α/2 at θ = θ0, less for a
/// candidate that is better than the tolerance). The normal approximation is the paper's for
/// a difference of two proportions or means; a minimum sample per arm keeps it honest.
/// </remarks>
public static class CanaryStatistics
{
    /// <summary>
    /// Mixture scale for proportions. Johari et al. choose τ² near the variance of the effects one
    /// expects; the quality drops worth catching lie a few points beyond a 2-point tolerance, so
    /// τ = 0.05 (five points). In a one-off simulation of the README's canary (20 + 5 reviews a look, up to
    /// 1,000 candidate reviews) τ from 0.03 to 0.15 caught a 10-point drop after a median of 265–370
    /// candidate reviews (0.05: 295) and a 5-point drop within the cap in 23–29 % of canaries (0.05: 29 %).
    /// </summary>
    public const double DefaultProportionTau = 0.05;

    /// <summary>Mixture scale for means, as a share of the stable mean (τ = 0.1·μs): excesses of about a tenth over the tolerated mean.</summary>
    public const double DefaultRelativeTau = 0.1;

    /// <summary>No rollback before each arm has this many decided reviews (or requests): below it the normal approximation is poor.</summary>
    public const long DefaultMinPerArm = 50;

    /// <summary>A sample-ratio p-value below this marks the comparison invalid (the split is broken, not the release).</summary>
    public const double SampleRatioThreshold = 0.001;

    /// <summary>
    /// Is the candidate's proportion worse than stable's by more than <paramref name="toleratedWorsening"/>?
    /// H0: worsening θ ≤ δ. The estimate is p̂s − p̂c when higher is better (quality), p̂c − p̂s when
    /// lower is better (error rate); its variance is the unpooled p(1−p)/ns + p(1−p)/nc, with an arm
    /// at 0 or 100 % counted as (x + ½)/(n + 1) so that it never has zero variance.
    /// </summary>
    public static SequentialLook ProportionWorsening(ArmCounts stable, ArmCounts candidate, bool higherIsBetter, double toleratedWorsening,
        double alpha, double tau = DefaultProportionTau, long minPerArm = DefaultMinPerArm)
    {
        CheckCounts(stable, nameof(stable));
        CheckCounts(candidate, nameof(candidate));
        if (!double.IsFinite(toleratedWorsening) || toleratedWorsening < 0 || toleratedWorsening >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(toleratedWorsening), toleratedWorsening, "The tolerated worsening is a proportion in [0, 1).");
        }
        CheckAlpha(alpha);
        CheckTau(tau, nameof(tau));
        ArgumentOutOfRangeException.ThrowIfNegative(minPerArm);

        var boundary = Math.Log(1 / alpha);
        if (stable.Trials == 0 || candidate.Trials == 0)
        {
            return new SequentialLook(0, 0, boundary, false, -1, 1, false);
        }
        var ps = stable.Successes / (double)stable.Trials;
        var pc = candidate.Successes / (double)candidate.Trials;
        var worsening = higherIsBetter ? ps - pc : pc - ps;
        var variance = BernoulliVariance(stable) / stable.Trials + BernoulliVariance(candidate) / candidate.Trials;
        var enough = stable.Trials >= minPerArm && candidate.Trials >= minPerArm;
        var look = Look(worsening, variance, toleratedWorsening, tau, alpha, enough);
        // A difference of two proportions lies in [−1, 1]; the sequence may be wider early on.
        return look with { CiLow = Math.Max(look.CiLow, -1), CiHigh = Math.Min(look.CiHigh, 1) };
    }

    /// <summary>
    /// Is the candidate's mean (cost or latency per request; lower is better, values nonnegative)
    /// higher than stable's by more than the relative tolerance δ? H0: μc ≤ (1 + δ)·μs. The estimate
    /// is μ̂c − (1 + δ)·μ̂s with variance σ̂c²/nc + (1 + δ)²·σ̂s²/ns (sample variances), tested
    /// against 0 with τ = <paramref name="relativeTau"/>·μ̂s, so the mixture scales with the metric's units.
    /// A stable mean of 0 gives no scale: such a look has not enough data.
    /// </summary>
    public static SequentialLook MeanWorsening(ArmMoments stable, ArmMoments candidate, double toleratedRelativeWorsening, double alpha,
        double relativeTau = DefaultRelativeTau, long minPerArm = DefaultMinPerArm)
    {
        CheckMoments(stable, nameof(stable));
        CheckMoments(candidate, nameof(candidate));
        if (!double.IsFinite(toleratedRelativeWorsening) || toleratedRelativeWorsening < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(toleratedRelativeWorsening), toleratedRelativeWorsening, "The tolerated worsening is a nonnegative share of the stable mean.");
        }
        CheckAlpha(alpha);
        CheckTau(relativeTau, nameof(relativeTau));
        ArgumentOutOfRangeException.ThrowIfNegative(minPerArm);

        var boundary = Math.Log(1 / alpha);
        // Two values per arm at least: a sample variance needs them.
        if (stable.Count < 2 || candidate.Count < 2 || stable.Sum <= 0)
        {
            return new SequentialLook(0, 0, boundary, false, double.NegativeInfinity, double.PositiveInfinity, false);
        }
        var factor = 1 + toleratedRelativeWorsening;
        var ms = stable.Sum / stable.Count;
        var mc = candidate.Sum / candidate.Count;
        var excess = mc - factor * ms;
        var tau = relativeTau * ms;
        var variance = SampleVariance(candidate) / candidate.Count + factor * factor * SampleVariance(stable) / stable.Count;
        // Both arms constant (identical values): a variance floor far below τ² keeps Λ finite.
        variance = Math.Max(variance, 1e-12 * tau * tau);
        var enough = stable.Count >= minPerArm && candidate.Count >= minPerArm;
        return Look(excess, variance, 0, tau, alpha, enough);
    }

    /// <summary>
    /// ln Λ of the mSPRT for a normal estimate <paramref name="estimate"/> with variance
    /// <paramref name="variance"/>, the mixing distribution N(<paramref name="centre"/>, τ²):
    /// ½·ln(V/(V+τ²)) + τ²(d̂−θ0)² / (2V(V+τ²)).
    /// </summary>
    public static double LogMixtureLikelihoodRatio(double estimate, double variance, double centre, double tau)
    {
        var tau2 = tau * tau;
        var diff = estimate - centre;
        return 0.5 * Math.Log(variance / (variance + tau2)) + tau2 * diff * diff / (2 * variance * (variance + tau2));
    }

    /// <summary>
    /// The always-valid confidence sequence: every θ with Λ(θ) &lt; 1/α, that is
    /// d̂ ± √((V(V+τ²)/τ²)·(2·ln(1/α) + ln((V+τ²)/V))). It covers the true θ at every look at once
    /// with probability at least 1 − α (Johari et al. 2022, section 4).
    /// </summary>
    public static (double Low, double High) ConfidenceSequence(double estimate, double variance, double tau, double alpha)
    {
        var tau2 = tau * tau;
        var half = Math.Sqrt(variance * (variance + tau2) / tau2 * (2 * Math.Log(1 / alpha) + Math.Log((variance + tau2) / variance)));
        return (estimate - half, estimate + half);
    }

    /// <summary>
    /// The Wilson (1927) score interval of one proportion, "Probable inference, the law of succession,
    /// and statistical inference" (JASA 22): (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n).
    /// Zero trials give [0, 1].
    /// </summary>
    public static (double Low, double High) Wilson(long successes, long trials, double confidence = 0.95)
    {
        CheckCounts(new ArmCounts(successes, trials), nameof(successes));
        if (!(confidence > 0 && confidence < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "The confidence lies strictly between 0 and 1.");
        }
        if (trials == 0)
        {
            return (0, 1);
        }
        var z = confidence == 0.95 ? 1.959963984540054 : DriftStatistics.NormalTwoSided(1 - confidence);
        double n = trials, p = successes / n, z2 = z * z;
        var centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        var half = z / (1 + z2 / n) * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>
    /// Sample ratio mismatch: Pearson's χ² goodness of fit (1 degree of freedom) of the arms' unit
    /// counts against the split the candidate share (per mille of enabled units) should give, and its
    /// p-value erfc(√(χ²/2)). Below <see cref="SampleRatioThreshold"/> the arms are not comparable.
    /// With a share of 0 or 1000 one arm should be empty: any unit in it gives (∞, 0).
    /// </summary>
    public static (double ChiSquare, double P) SampleRatio(long stableUnits, long candidateUnits, int candidateSharePerMille)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stableUnits);
        ArgumentOutOfRangeException.ThrowIfNegative(candidateUnits);
        if (candidateSharePerMille is < 0 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(candidateSharePerMille), candidateSharePerMille, "The share is per mille, 0 to 1000.");
        }
        double total = stableUnits + (double)candidateUnits;
        if (total == 0)
        {
            return (0, 1);
        }
        if (candidateSharePerMille is 0 or 1000)
        {
            var stray = candidateSharePerMille == 0 ? candidateUnits : stableUnits;
            return stray == 0 ? (0, 1) : (double.PositiveInfinity, 0);
        }
        var expectedCandidate = total * candidateSharePerMille / 1000;
        var expectedStable = total - expectedCandidate;
        var chi = Square(candidateUnits - expectedCandidate) / expectedCandidate + Square(stableUnits - expectedStable) / expectedStable;
        // Drift's erfc is a fit (relative error 1.2e-7) that gives 1.00000003 at 0.
        return (chi, Math.Min(1, DriftStatistics.Erfc(Math.Sqrt(chi / 2))));
    }

    private static SequentialLook Look(double estimate, double variance, double centre, double tau, double alpha, bool enough)
    {
        var llr = LogMixtureLikelihoodRatio(estimate, variance, centre, tau);
        var boundary = Math.Log(1 / alpha);
        var (low, high) = ConfidenceSequence(estimate, variance, tau, alpha);
        return new SequentialLook(estimate, llr, boundary, enough && estimate > centre && llr >= boundary, low, high, enough);
    }

    private static double BernoulliVariance(ArmCounts arm)
    {
        var p = arm.Successes == 0 || arm.Successes == arm.Trials
            ? (arm.Successes + 0.5) / (arm.Trials + 1)
            : arm.Successes / (double)arm.Trials;
        return p * (1 - p);
    }

    private static double SampleVariance(ArmMoments arm)
    {
        var mean = arm.Sum / arm.Count;
        // Rounding can leave the sum of squares a hair below n·mean²: a variance is never negative.
        return Math.Max(0, (arm.SumOfSquares - arm.Count * mean * mean) / (arm.Count - 1));
    }

    private static double Square(double x) => x * x;

    private static void CheckCounts(ArmCounts arm, string name)
    {
        if (arm.Trials < 0 || arm.Successes < 0 || arm.Successes > arm.Trials)
        {
            throw new ArgumentOutOfRangeException(name, arm, "Counts are nonnegative and successes at most trials.");
        }
    }

    private static void CheckMoments(ArmMoments arm, string name)
    {
        if (arm.Count < 0 || !double.IsFinite(arm.Sum) || !double.IsFinite(arm.SumOfSquares) || arm.Sum < 0 || arm.SumOfSquares < 0)
        {
            throw new ArgumentOutOfRangeException(name, arm, "The count is nonnegative and the sums finite and nonnegative (cost, latency).");
        }
    }

    private static void CheckAlpha(double alpha)
    {
        if (!(alpha > 0 && alpha < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "α lies strictly between 0 and 1.");
        }
    }

    private static void CheckTau(double tau, string name)
    {
        if (!double.IsFinite(tau) || tau <= 0)
        {
            throw new ArgumentOutOfRangeException(name, tau, "τ is finite and positive.");
        }
    }
}
