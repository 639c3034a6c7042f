using OpsConsole.Client;
using OpsConsole.Web.Features.Ofrep;

namespace OpsConsole.Tests.Features.Ofrep;

/// <summary>The OpenFeature reason of each decision, as an OFREP caller reads it.</summary>
public sealed class OfrepReasonsTests
{
    private static readonly ReleaseConfig Stable = new("s", "m", "v1", null, null, null);
    private static readonly ReleaseConfig Candidate = new("c", "m", "v2", null, null, null);

    private static PathConfig Path(int percent, bool kill = false, int candidateShare = 0) =>
        new("p", kill, percent, 3, "route-away") { Stable = Stable, Candidate = candidateShare > 0 ? Candidate : null, CandidateShare = candidateShare };

    public static TheoryData<string, int, bool, int, string?, string> Cases() => new()
    {
        { "kill switch", 100, true, 0, "u", "DISABLED" },
        { "0 %", 0, false, 0, "u", "DISABLED" },
        { "25 %, any unit", 25, false, 0, "u", "SPLIT" },
        { "25 %, another unit", 25, false, 0, "user-2", "SPLIT" },
        { "100 %, one release", 100, false, 0, "u", "STATIC" },
        { "100 %, a candidate at 1 %", 100, false, 10, "u", "SPLIT" },
        { "100 %, the candidate for every unit", 100, false, 1000, "u", "STATIC" },
        { "100 %, no unit", 100, false, 0, null, "STATIC" },
        { "25 %, no unit", 25, false, 0, null, "UNKNOWN" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Of_Decision_OpenFeatureReason(string name, int percent, bool kill, int candidateShare, string? unit, string expected)
    {
        var path = Path(percent, kill, candidateShare);
        Assert.True(expected == OfrepReasons.Of(path, Rollout.Decide(path, unit)), name);
    }

    [Fact]
    public void Evaluate_OnAndOff_ValueVariantReleaseAndMetadataFromTheDecision()
    {
        var on = OfrepApi.Evaluate(Path(100), "u");
        Assert.Equal(new OfrepEvaluation("p", true, "STATIC", "stable", new OfrepMetadata("s", 3, "in_rollout")), on);
        var off = OfrepApi.Evaluate(Path(100, kill: true), "u");
        Assert.Equal(new OfrepEvaluation("p", false, "DISABLED", "off", new OfrepMetadata(null, 3, "kill_switch")), off);
    }

    [Fact]
    public void Evaluate_CandidateInShadow_MetadataNamesTheShadowReleaseForSampledUnitsOnly()
    {
        var path = new PathConfig("p", false, 100, 3, "rules") { Stable = Stable, Candidate = Candidate, ShadowShare = 300 };
        var units = Enumerable.Range(0, 2000).Select(i => "user-" + i).ToList();

        var answers = units.Select(u => (Unit: u, Answer: OfrepApi.Evaluate(path, u))).ToList();

        var sampled = answers.Where(a => a.Answer.Metadata.Shadow == true).ToList();
        // The same units the decision API and the client library shadow, and each still runs stable.
        Assert.Equal(units.Where(u => Rollout.IsShadowed(path, u)), sampled.Select(a => a.Unit));
        Assert.InRange(sampled.Count, 540, 660);
        Assert.All(sampled, a => Assert.Equal(new OfrepMetadata("s", 3, "in_rollout", true, "c"), a.Answer.Metadata));
        Assert.All(answers.Except(sampled), a => Assert.Equal(new OfrepMetadata("s", 3, "in_rollout"), a.Answer.Metadata));

        // Off for the unit: nothing runs, so nothing runs in shadow either.
        var killed = path with { KillSwitch = true };
        Assert.All(units.Take(200), u => Assert.Null(OfrepApi.Evaluate(killed, u).Metadata.Shadow));
    }

    [Fact]
    public void Metadata_Json_ShadowFieldsOnlyWhenSet()
    {
        var plain = System.Text.Json.JsonSerializer.Serialize(new OfrepMetadata("s", 3, "in_rollout"), OfrepJson.Default.OfrepMetadata);
        var shadow = System.Text.Json.JsonSerializer.Serialize(new OfrepMetadata("s", 3, "in_rollout", true, "c"), OfrepJson.Default.OfrepMetadata);

        Assert.Equal("""{"release":"s","configVersion":3,"decisionReason":"in_rollout"}""", plain);
        Assert.Equal("""{"release":"s","configVersion":3,"decisionReason":"in_rollout","shadow":true,"shadowRelease":"c"}""", shadow);
    }

    [Fact]
    public void ETagOf_DiffersByVersionAndUnit_StableOtherwise()
    {
        Assert.Equal(OfrepApi.ETagOf("v1", "u"), OfrepApi.ETagOf("v1", "u"));
        Assert.NotEqual(OfrepApi.ETagOf("v1", "u"), OfrepApi.ETagOf("v2", "u"));
        Assert.NotEqual(OfrepApi.ETagOf("v1", "u"), OfrepApi.ETagOf("v1", "u2"));
        // The separator keeps "v1\nu" and "v\n1u" apart (a version never holds a newline).
        Assert.NotEqual(OfrepApi.ETagOf("v1", "u"), OfrepApi.ETagOf("v", "1u"));
    }
}
