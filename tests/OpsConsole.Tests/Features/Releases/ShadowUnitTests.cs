using System.Text;
using OpsConsole.Client;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Releases;
using OpsConsole.Web.Features.Review;

namespace OpsConsole.Tests.Features.Releases;

/// <summary>The shadow sample, the win rate's interval, the plan's shadow fields and the shadowOf rule, without a database.</summary>
public sealed class ShadowUnitTests
{
    private static readonly ReleaseConfig Stable = new("a".PadRight(64, 'a'), "m", "p1", null, null, null);
    private static readonly ReleaseConfig Candidate = new("b".PadRight(64, 'b'), "m", "p2", null, null, null);

    private static PathConfig Path(int rollout = 100, int candidateShare = 0, int shadowShare = 300) =>
        new("support-reply-draft", false, rollout, 7, "rules") { Stable = Stable, Candidate = Candidate, CandidateShare = candidateShare, ShadowShare = shadowShare };

    private static readonly string[] Units = Enumerable.Range(0, 20_000).Select(i => "user-" + i).ToArray();

    [Fact]
    public void ShadowBucket_IndependentOfRolloutAndVariantBuckets()
    {
        // Independent buckets: the joint share of two halves is a quarter (±2 points over 20,000 units).
        var withRollout = Units.Count(u => Rollout.Bucket("support-reply-draft", u) <= 50 && Rollout.ShadowBucket("support-reply-draft", u) <= 500) / (double)Units.Length;
        var withVariant = Units.Count(u => Rollout.VariantBucket("support-reply-draft", u) <= 500 && Rollout.ShadowBucket("support-reply-draft", u) <= 500) / (double)Units.Length;
        Assert.InRange(withRollout, 0.23, 0.27);
        Assert.InRange(withVariant, 0.23, 0.27);
        Assert.InRange(Units.Count(u => Rollout.ShadowBucket("support-reply-draft", u) <= 300) / (double)Units.Length, 0.28, 0.32);
        // The salt makes it another bucket than the variant's, even for the same unit.
        Assert.True(Units.Take(200).Count(u => Rollout.ShadowBucket("support-reply-draft", u) == Rollout.VariantBucket("support-reply-draft", u)) < 5);
    }

    [Fact]
    public void ShadowBucket_SameAcrossCalls_AndPinned()
    {
        Assert.All(Units.Take(500), u => Assert.Equal(Rollout.ShadowBucket("ticket-triage", u), Rollout.ShadowBucket("ticket-triage", u)));
        // murmur3_x86_32(utf8("shadow:" + groupId + ":" + unit), 0) % 1000 + 1, computed by hand-built bytes.
        foreach (var (group, unit) in new[] { ("ticket-triage", "user-1"), ("x", "日本語ユーザー2"), ("support-reply-draft", "") })
        {
            var expected = (int)(Murmur3.Hash32(Encoding.UTF8.GetBytes("shadow:" + group + ":" + unit), 0) % 1000) + 1;
            Assert.Equal(expected, Rollout.ShadowBucket(group, unit));
        }
    }

    [Fact]
    public void Decide_CandidateInShadow_SampledStableUnitsCarryShadowAndTheCandidate()
    {
        var path = Path();
        foreach (var unit in Units.Take(2000))
        {
            var d = Rollout.Decide(path, unit);
            Assert.Equal(Variants.Stable, d.Variant);
            Assert.Equal(Stable.Id, d.Release);
            var sampled = Rollout.ShadowBucket(path.Slug, unit) <= 300;
            Assert.Equal((sampled, sampled ? Candidate.Id : null, sampled ? Candidate : null), (d.Shadow, d.ShadowRelease, d.ShadowConfiguration));
        }
        // Off units, no shadow share or a unit on the candidate: never shadow.
        Assert.DoesNotContain(Units.Take(2000), u => Rollout.Decide(Path(rollout: 0), u).Shadow);
        Assert.DoesNotContain(Units.Take(2000), u => Rollout.Decide(Path(shadowShare: 0), u).Shadow);
        Assert.DoesNotContain(Units.Take(2000), u => Rollout.Decide(Path(candidateShare: 1000, shadowShare: 1000), u).Shadow);
    }

    [Fact]
    public void Decide_WithShadow_AllocatesNothing()
    {
        var path = Path(shadowShare: 1000);
        Rollout.Decide(path, "warm-up");
        var before = GC.GetAllocatedBytesForCurrentThread();
        var shadows = 0;
        for (var i = 0; i < 1000; i++)
        {
            shadows += Rollout.Decide(path, Units[i]).Shadow ? 1 : 0;
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1000, shadows);
    }

    [Theory]
    // Wilson score interval at 95 %, checked against the closed form by hand (and R's prop.test(correct = FALSE)).
    [InlineData(8, 10, 0.4902, 0.9433)]
    [InlineData(0, 10, 0.0, 0.2775)]
    [InlineData(50, 100, 0.4038, 0.5962)]
    [InlineData(3, 3, 0.4385, 1.0)]
    [InlineData(1, 1, 0.2065, 1.0)]
    public void WinRate_Wilson_HandCheckedValues(long wins, long decisive, double low, double high)
    {
        var rate = WinRate.Of(wins, ties: 7, losses: decisive - wins);
        Assert.Equal(low, rate.Low, 4);
        Assert.Equal(high, rate.High, 4);
        Assert.Equal((double)wins / decisive, rate.Estimate!.Value, 10);
        Assert.Equal(decisive + 7, rate.Decided);
    }

    [Fact]
    public void WinRate_NoDecisivePair_NoEstimate_WholeInterval()
    {
        var rate = WinRate.Of(0, 4, 0);
        Assert.Null(rate.Estimate);
        Assert.Equal((0.0, 1.0), (rate.Low, rate.High));
    }

    [Fact]
    public void Outcome_FollowsTheCandidatesSide()
    {
        Assert.Equal(PairwiseOutcomes.Win, PairwiseOutcomes.Of(PairwiseChoices.A, candidateIsA: true));
        Assert.Equal(PairwiseOutcomes.Loss, PairwiseOutcomes.Of(PairwiseChoices.A, candidateIsA: false));
        Assert.Equal(PairwiseOutcomes.Win, PairwiseOutcomes.Of(PairwiseChoices.B, candidateIsA: false));
        Assert.Equal(PairwiseOutcomes.Tie, PairwiseOutcomes.Of(PairwiseChoices.Same, candidateIsA: true));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    public void Plan_BadShadowShare_NamesShadowShare(double share)
    {
        var (trial, errors) = CanaryPlan.From(new CandidateInput("r1", Shadow: new ShadowInput(share)));
        Assert.Null(trial);
        Assert.Equal(["shadow.share"], errors.Keys);
    }

    [Fact]
    public void Plan_Shadow_StartsInShadowWithShareInPerMille_MinWinRateNeedsShadow()
    {
        var (trial, _) = CanaryPlan.From(new CandidateInput("r1", Shadow: new ShadowInput(0.25), MinWinRate: 0.5));
        Assert.Equal((CanaryStates.Shadow, 250, 0.5), (trial!.State, trial.ShadowShare, trial.MinWinRate));
        Assert.Equal(["shadow.share"], CanaryPlan.From(new CandidateInput("r1", Shadow: new ShadowInput(null))).Errors.Keys);
        Assert.Equal(["minWinRate"], CanaryPlan.From(new CandidateInput("r1", MinWinRate: 0.5)).Errors.Keys);
        Assert.Equal(["minWinRate"], CanaryPlan.From(new CandidateInput("r1", Shadow: new ShadowInput(0.1), MinWinRate: 1.5)).Errors.Keys);
        Assert.Equal(CanaryStates.Running, CanaryPlan.From(new CandidateInput("r1")).Trial!.State);
    }

    [Fact]
    public void ReadBatch_BadShadowOf_RejectsThatItemOnly()
    {
        var body = Encoding.UTF8.GetBytes("""
            {"events":[
              {"eventId":"p1","path":"x","occurredAt":"2026-12-01T10:00:00Z","output":"a"},
              {"eventId":"s1","path":"x","occurredAt":"2026-12-01T10:00:00Z","shadowOf":42},
              {"eventId":"s2","path":"x","occurredAt":"2026-12-01T10:00:00Z","shadowOf":"   "},
              {"eventId":"s3","path":"x","occurredAt":"2026-12-01T10:00:00Z","shadowOf":"s3"},
              {"eventId":"s4","path":"x","occurredAt":"2026-12-01T10:00:00Z","shadowOf":"{{LONG}}"},
              {"eventId":"s5","path":"x","occurredAt":"2026-12-01T10:00:00Z","shadowOf":"p1","output":"b"},
              {"eventId":"s6","path":"x","occurredAt":"2026-12-01T10:00:00Z","shadowOf":null}
            ]}
            """.Replace("{{LONG}}", new string('x', 129)));
        var items = EventContract.ReadBatch(body, new DateTime(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc), 1000);
        Assert.Equal(7, items.Count);
        Assert.Equal([null, "invalid_field:shadowOf", "invalid_field:shadowOf", "invalid_field:shadowOf", "invalid_field:shadowOf", null, null],
            items.Select(i => i.Rejection?.Reason));
        Assert.Null(items[0].Fields.ShadowOf);
        Assert.Equal("a", items[0].Fields.Output.ToString());
        Assert.Equal(("s5", "p1", "b"), (items[5].Fields.EventId, items[5].Fields.ShadowOf, items[5].Fields.Output.ToString()));
        Assert.Null(items[6].Fields.ShadowOf);
    }
}
