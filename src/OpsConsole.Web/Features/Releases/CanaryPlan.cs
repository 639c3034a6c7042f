namespace OpsConsole.Web.Features.Releases;

/// <summary>One step as a form or an API body gives it (every field optional: the default step fills in).</summary>
public sealed record CanaryStepInput(int? Share, int? MinMinutes, int? MinReviewsPerArm, int? MaxMinutes);

/// <summary>Shadow mode before the first step: the share (0..1) of the stable units also run on the candidate.</summary>
public sealed record ShadowInput(double? Share);

/// <summary>
/// A candidate to start and the plan it runs under; what is left out takes the defaults.
/// <see cref="GateOverride"/>: an admin's written reason to start although the evaluation gate blocks.
/// </summary>
public sealed record CandidateInput(
    string? Release, IReadOnlyList<CanaryStepInput>? Steps = null, bool? AutoAdvance = null, double? Alpha = null,
    double? QualityDrop = null, double? ErrorRise = null, double? LatencyRise = null, double? CostRise = null,
    ShadowInput? Shadow = null, double? MinWinRate = null, string? GateOverride = null);

/// <summary>
/// The canary plan: steps of increasing share ending at 100 % (promotion follows the last one),
/// the test's α and the tolerated worsening per metric. Validated once here; a refused plan names
/// each field (<c>steps[2].share</c>) so a form and the API say the same.
/// </summary>
public static class CanaryPlan
{
    public const double DefaultAlpha = 0.05;
    public const double DefaultQualityDrop = 0.02;
    public const double DefaultErrorRise = 0.02;
    public const double DefaultLatencyRise = 0.25;
    public const double DefaultCostRise = 0.25;
    public const int MaxSteps = 10;
    public const int MaxStepMinutes = 14 * 24 * 60;
    public const int MaxMinReviews = 100_000;

    /// <summary>1 %, 5 %, 25 %, 50 %, 100 % of units; each at least 30 minutes and 30 decided reviews per arm, at most a day (two at 100 %).</summary>
    public static IReadOnlyList<CanaryStep> DefaultSteps() =>
    [
        new() { Share = 10, MinMinutes = 30, MinReviewsPerArm = 30, MaxMinutes = 24 * 60 },
        new() { Share = 50, MinMinutes = 30, MinReviewsPerArm = 30, MaxMinutes = 24 * 60 },
        new() { Share = 250, MinMinutes = 60, MinReviewsPerArm = 30, MaxMinutes = 24 * 60 },
        new() { Share = 500, MinMinutes = 60, MinReviewsPerArm = 30, MaxMinutes = 24 * 60 },
        new() { Share = 1000, MinMinutes = 60, MinReviewsPerArm = 30, MaxMinutes = 48 * 60 },
    ];

    /// <summary>The trial <paramref name="input"/> describes (release and path left for the caller), or the errors per field.</summary>
    public static (CanaryTrial? Trial, IReadOnlyDictionary<string, string> Errors) From(CandidateInput input)
    {
        var errors = new Dictionary<string, string>();
        if (string.IsNullOrWhiteSpace(input.Release))
        {
            errors["release"] = "Name the release to start as candidate.";
        }
        var defaults = DefaultSteps();
        var steps = new List<CanaryStep>();
        if (input.Steps is { } given)
        {
            if (given.Count == 0 || given.Count > MaxSteps)
            {
                errors["steps"] = $"Give 1 to {MaxSteps} steps.";
            }
            int? previous = null;
            for (var i = 0; i < Math.Min(given.Count, MaxSteps); i++)
            {
                var s = given[i];
                if (s is null)
                {
                    errors[$"steps[{i}]"] = "A step is an object with share, minMinutes, minReviewsPerArm and maxMinutes.";
                    continue;
                }
                var fallback = defaults[Math.Min(i, defaults.Count - 1)];
                var step = new CanaryStep
                {
                    Share = s.Share ?? -1,
                    MinMinutes = s.MinMinutes ?? fallback.MinMinutes,
                    MinReviewsPerArm = s.MinReviewsPerArm ?? fallback.MinReviewsPerArm,
                    MaxMinutes = s.MaxMinutes ?? Math.Max(fallback.MaxMinutes, (s.MinMinutes ?? 0) + 60),
                };
                if (s.Share is null)
                {
                    errors[$"steps[{i}].share"] = "Every step needs its share, in per mille of units (10 = 1 %).";
                }
                else if (step.Share is < 1 or > 1000)
                {
                    errors[$"steps[{i}].share"] = $"A share is 1 to 1000 per mille (0.1 % to 100 %); {step.Share} is outside it.";
                }
                else if (previous is { } before && step.Share <= before)
                {
                    errors[$"steps[{i}].share"] = $"Steps must increase: {step.Share} ‰ does not exceed the step before ({before} ‰).";
                }
                else
                {
                    // Only a valid share is what the next step must exceed: one wrong step is reported once, not again in the next.
                    previous = step.Share;
                }
                if (step.MinMinutes is < 0 or > MaxStepMinutes)
                {
                    errors[$"steps[{i}].minMinutes"] = $"Minimum duration is 0 to {MaxStepMinutes:N0} minutes.";
                }
                if (step.MaxMinutes <= step.MinMinutes || step.MaxMinutes > MaxStepMinutes)
                {
                    errors[$"steps[{i}].maxMinutes"] = $"Maximum duration must exceed the minimum ({step.MinMinutes}) and be at most {MaxStepMinutes:N0} minutes.";
                }
                if (step.MinReviewsPerArm is < 0 or > MaxMinReviews)
                {
                    errors[$"steps[{i}].minReviewsPerArm"] = $"Minimum decided reviews per arm is 0 to {MaxMinReviews:N0}.";
                }
                steps.Add(step);
            }
            if (steps.Count > 0 && steps.Count == given.Count && steps[^1].Share != 1000 && !errors.Keys.Any(k => k.StartsWith("steps", StringComparison.Ordinal)))
            {
                errors[$"steps[{steps.Count - 1}].share"] = "The last step is 1000 ‰ (100 %): the candidate is promoted after it.";
            }
        }
        else
        {
            steps.AddRange(defaults);
        }
        var alpha = Check(errors, "alpha", input.Alpha, DefaultAlpha, 0.001, 0.2, "α is between 0.001 and 0.2.");
        var qualityDrop = Check(errors, "qualityDrop", input.QualityDrop, DefaultQualityDrop, 0, 0.5, "The tolerated quality drop is 0 to 0.5 (proportion points).");
        var errorRise = Check(errors, "errorRise", input.ErrorRise, DefaultErrorRise, 0, 0.5, "The tolerated error-rate rise is 0 to 0.5 (proportion points).");
        var latencyRise = Check(errors, "latencyRise", input.LatencyRise, DefaultLatencyRise, 0, 10, "The tolerated latency rise is 0 to 10 (relative: 0.25 = 25 %).");
        var costRise = Check(errors, "costRise", input.CostRise, DefaultCostRise, 0, 10, "The tolerated cost rise is 0 to 10 (relative: 0.25 = 25 %).");
        var shadowShare = 0;
        if (input.Shadow is { } shadow)
        {
            // Per mille like every share of units: 0.001 is the smallest sample the shadow bucket can draw.
            if (shadow.Share is not { } share || !double.IsFinite(share) || share < 0.001 || share > 1)
            {
                errors["shadow.share"] = "The shadow share is the part of stable units also run on the candidate: more than 0 (at least 0.001) and at most 1.";
            }
            else
            {
                shadowShare = Math.Clamp((int)Math.Round(share * 1000), 1, 1000);
            }
        }
        var minWinRate = input.MinWinRate;
        if (minWinRate is { } m)
        {
            if (!double.IsFinite(m) || m < 0 || m > 1)
            {
                errors["minWinRate"] = "The minimum win rate is 0 to 1 (the lower bound of the candidate's pairwise win rate).";
            }
            else if (input.Shadow is null)
            {
                errors["minWinRate"] = "A minimum win rate gates leaving shadow: start the candidate in shadow to use it.";
            }
        }
        if (errors.Count > 0)
        {
            return (null, errors);
        }
        return (new CanaryTrial
        {
            ReleaseId = input.Release!.Trim(),
            Steps = steps,
            AutoAdvance = input.AutoAdvance ?? false,
            Alpha = alpha,
            QualityDrop = qualityDrop,
            ErrorRise = errorRise,
            LatencyRise = latencyRise,
            CostRise = costRise,
            ShadowShare = shadowShare,
            MinWinRate = minWinRate,
            State = shadowShare > 0 ? CanaryStates.Shadow : CanaryStates.Running,
        }, errors);
    }

    private static double Check(Dictionary<string, string> errors, string field, double? value, double fallback, double min, double max, string message)
    {
        if (value is not { } v)
        {
            return fallback;
        }
        if (!double.IsFinite(v) || v < min || v > max)
        {
            errors[field] = message;
        }
        return v;
    }

    /// <summary>"1 %" or "0.5 %" for a share in per mille.</summary>
    public static string Percent(int perMille) => (perMille / 10.0).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + " %";
}
