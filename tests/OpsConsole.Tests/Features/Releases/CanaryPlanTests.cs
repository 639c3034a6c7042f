using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Releases;

namespace OpsConsole.Tests.Features.Releases;

/// <summary>The canary plan's validation and the look's verdict rules, without a database.</summary>
public sealed class CanaryPlanTests
{
    private const string Release = "r1";

    [Fact]
    public void From_NothingButARelease_DefaultPlan()
    {
        var (trial, errors) = CanaryPlan.From(new CandidateInput(Release));
        Assert.Empty(errors);
        Assert.Equal([10, 50, 250, 500, 1000], trial!.Steps.Select(s => s.Share));
        Assert.All(trial.Steps, s => Assert.True(s.MaxMinutes > s.MinMinutes));
        Assert.Equal((CanaryPlan.DefaultAlpha, CanaryPlan.DefaultQualityDrop, false), (trial.Alpha, trial.QualityDrop, trial.AutoAdvance));
    }

    [Theory]
    [InlineData(new[] { 10, 10, 1000 }, "steps[1].share")]
    [InlineData(new[] { 500, 100, 1000 }, "steps[1].share")]
    [InlineData(new[] { 0, 1000 }, "steps[0].share")]
    [InlineData(new[] { -10, 1000 }, "steps[0].share")]
    [InlineData(new[] { 10, 1001 }, "steps[1].share")]
    [InlineData(new[] { 10, int.MaxValue }, "steps[1].share")]
    [InlineData(new[] { 10, 500 }, "steps[1].share")] // does not end at 100 %
    public void From_BadShares_NamedByField(int[] shares, string field)
    {
        var (trial, errors) = CanaryPlan.From(new CandidateInput(Release, [.. shares.Select(s => new CanaryStepInput(s, null, null, null))]));
        Assert.Null(trial);
        Assert.True(errors.ContainsKey(field), string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value}")));
    }

    [Fact]
    public void From_OneBadStep_DoesNotHideTheOthersNorInventErrors()
    {
        // Step 2's share is wrong; step 3 is fine and must not be blamed for following a wrong one's value.
        var (_, errors) = CanaryPlan.From(new CandidateInput(Release,
            [new(10, 30, 30, 600), new(5000, 30, 30, 600), new(1000, 30, 30, 600)]));
        Assert.Equal(["steps[1].share"], errors.Keys);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(-0.05)]
    public void From_AlphaOutsideRange_Refused(double alpha)
    {
        var (trial, errors) = CanaryPlan.From(new CandidateInput(Release, Alpha: alpha));
        Assert.Null(trial);
        Assert.Contains("alpha", errors.Keys);
    }

    [Fact]
    public void From_TolerancesAndTimes_CheckedEach()
    {
        var (_, errors) = CanaryPlan.From(new CandidateInput(" ", [new(10, -1, -5, 0), new(1000, 10, 10, 10)],
            QualityDrop: 0.6, ErrorRise: double.NaN, LatencyRise: -1, CostRise: 11));
        Assert.Equal(
            ["costRise", "errorRise", "latencyRise", "qualityDrop", "release", "steps[0].minMinutes", "steps[0].minReviewsPerArm", "steps[1].maxMinutes"],
            errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void From_TooManyOrNoSteps_Refused()
    {
        Assert.Contains("steps", CanaryPlan.From(new CandidateInput(Release, [])).Errors.Keys);
        var eleven = Enumerable.Range(1, 11).Select(i => new CanaryStepInput(i * 90, null, null, null)).ToList();
        Assert.Contains("steps", CanaryPlan.From(new CandidateInput(Release, eleven)).Errors.Keys);
    }

    private static CanaryTrial Trial(params CanaryStep[] steps) => new() { ReleaseId = Release, Steps = [.. steps], StepStartedAt = T0, StartedAt = T0 };

    private static readonly DateTime T0 = new(2026, 12, 3, 10, 0, 0, DateTimeKind.Utc);

    private static CanaryEvidence Evidence(long stableDecided, long candidateDecided, bool regressed = false, bool invalidSplit = false) => new(
        ReleaseFigure.Empty("s"), ReleaseFigure.Empty(Release),
        [new MetricTest("quality", 0.9, 0.9, 0, -0.1, 0.1, regressed ? 5 : 0, 3, 0.02, regressed, true)],
        new SampleRatioCheck(100, 10, 100, invalidSplit ? 30 : 0, invalidSplit ? 1e-8 : 1, true, invalidSplit),
        stableDecided, candidateDecided, 0, "");

    [Fact]
    public void Verdict_FollowsTheStepsMinimumsAndMaximum()
    {
        var trial = Trial(new CanaryStep { Share = 50, MinMinutes = 30, MinReviewsPerArm = 40, MaxMinutes = 120 }, new CanaryStep { Share = 1000, MinMinutes = 0, MinReviewsPerArm = 40, MaxMinutes = 60 });
        Assert.Equal(CanaryVerdicts.Holding, CanaryService.Verdict(trial, Evidence(100, 100), T0.AddMinutes(29)));
        Assert.Equal(CanaryVerdicts.Holding, CanaryService.Verdict(trial, Evidence(100, 39), T0.AddMinutes(31)));
        Assert.Equal(CanaryVerdicts.Passed, CanaryService.Verdict(trial, Evidence(40, 40), T0.AddMinutes(30)));
        Assert.Equal(CanaryVerdicts.Inconclusive, CanaryService.Verdict(trial, Evidence(100, 39), T0.AddMinutes(120)));
        // Harm is acted on at once, within the minimum time too; a broken split is named before a pass.
        Assert.Equal(CanaryVerdicts.Regressed, CanaryService.Verdict(trial, Evidence(1, 1, regressed: true), T0.AddMinutes(1)));
        Assert.Equal(CanaryVerdicts.Invalid, CanaryService.Verdict(trial, Evidence(100, 100, invalidSplit: true), T0.AddMinutes(31)));

        // At 100 % no unit is left on stable: the candidate's reviews alone decide the step.
        trial.StepIndex = 1;
        Assert.Equal(CanaryVerdicts.Passed, CanaryService.Verdict(trial, Evidence(0, 40), T0.AddMinutes(1)));
        Assert.Equal(CanaryVerdicts.Holding, CanaryService.Verdict(trial, Evidence(0, 39), T0.AddMinutes(1)));
    }
}
