using System.Text.Json;
using OpsConsole.Client;

namespace OpsConsole.Tests.Features.Releases;

/// <summary>The variant split of DESIGN.md "Variants", shared by the console and the client library.</summary>
public sealed class VariantTests
{
    private static readonly string SpecFile = System.IO.Path.Combine(AppContext.BaseDirectory, "Specs", "variant-vectors.json");

    private static readonly ReleaseConfig Stable = new("s".PadRight(64, '0'), "model-a", "p1", null, null, null);
    private static readonly ReleaseConfig Candidate = new("c".PadRight(64, '0'), "model-b", "p2", null, null, null);

    private static PathConfig Path(string slug, int rollout, int share, bool withCandidate = true) =>
        new(slug, false, rollout, 7, "rules") { Stable = Stable, Candidate = withCandidate ? Candidate : null, CandidateShare = share };

    public static TheoryData<string, string, int, int, int, string> Vectors()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(SpecFile));
        var data = new TheoryData<string, string, int, int, int, string>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetProperty("groupId").GetString()!, c.GetProperty("unit").GetString()!, c.GetProperty("rolloutBucket").GetInt32(),
                c.GetProperty("variantBucket").GetInt32(), c.GetProperty("candidateShare").GetInt32(), c.GetProperty("variant").GetString()!);
        }
        return data;
    }

    [Fact]
    public void SpecFile_HasTheSharedCases()
    {
        Assert.Equal(40, Vectors().Count);
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "OpsConsole.sln")))
        {
            dir = dir.Parent;
        }
        Assert.NotNull(dir);
        var shared = System.IO.Path.Combine(dir.FullName, "..", "shared", "specs", "variant-vectors.json");
        if (File.Exists(shared))
        {
            Assert.Equal(File.ReadAllText(shared), File.ReadAllText(System.IO.Path.Combine(dir.FullName, "tests", "OpsConsole.Tests", "Specs", "variant-vectors.json")));
        }
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Decide_SpecVectors_BucketsAndVariantMatch(string groupId, string unit, int rolloutBucket, int variantBucket, int share, string variant)
    {
        Assert.Equal(rolloutBucket, Rollout.Bucket(groupId, unit));
        Assert.Equal(variantBucket, Rollout.VariantBucket(groupId, unit));
        var decision = Rollout.Decide(Path(groupId, 100, share), unit);
        Assert.True(decision.Enabled);
        Assert.Equal(variant, decision.Variant);
        Assert.Equal(variant == Variants.Candidate ? Candidate.Id : Stable.Id, decision.Release);
        Assert.Same(variant == Variants.Candidate ? Candidate : Stable, decision.Configuration);
    }

    [Fact]
    public void Decide_RaisingTheShareNeverMovesAUnitFromCandidateToStable_100000Units()
    {
        var units = Enumerable.Range(0, 100_000).Select(i => "unit-" + i).ToArray();
        var shares = new[] { 0, 1, 10, 50, 100, 250, 500, 999, 1000 };
        var wasCandidate = new bool[units.Length];
        foreach (var share in shares)
        {
            var path = Path("support-reply-draft", 100, share);
            var candidates = 0;
            for (var i = 0; i < units.Length; i++)
            {
                var isCandidate = Rollout.Decide(path, units[i]).Variant == Variants.Candidate;
                Assert.False(wasCandidate[i] && !isCandidate, $"{units[i]} left the candidate when the share rose to {share}");
                wasCandidate[i] = isCandidate;
                candidates += isCandidate ? 1 : 0;
            }
            // The share is per mille of the units: within 0.5 percentage points of it over 100,000 units.
            Assert.InRange(candidates / 1000.0, share / 10.0 - 0.5, share / 10.0 + 0.5);
        }
    }

    [Fact]
    public void Decide_SplitInsideAPartialRollout_IsUnbiased()
    {
        // Independent seeds: among the units a 20 % rollout turns on, a 30 % share still picks about 30 %.
        var path = Path("ticket-triage", 20, 300);
        var on = 0;
        var candidate = 0;
        for (var i = 0; i < 100_000; i++)
        {
            var d = Rollout.Decide(path, "u-" + i);
            if (d.Enabled)
            {
                on++;
                candidate += d.Variant == Variants.Candidate ? 1 : 0;
            }
        }
        Assert.InRange(on, 19_000, 21_000);
        Assert.InRange(candidate / (double)on, 0.28, 0.32);
    }

    [Fact]
    public void Decide_OffUnitsNoUnitAndNoCandidate()
    {
        var killed = Path("p", 100, 1000) with { KillSwitch = true };
        var off = Rollout.Decide(killed, "u-1");
        Assert.Equal((false, Variants.Off, (string?)null, (ReleaseConfig?)null), (off.Enabled, off.Variant, off.Release, off.Configuration));

        // No unit: on only at 100 %, and then always stable (a split needs a unit to stick to).
        var noUnit = Rollout.Decide(Path("p", 100, 1000), null);
        Assert.Equal((true, Variants.Stable, Stable.Id), (noUnit.Enabled, noUnit.Variant, noUnit.Release));
        Assert.Equal(Variants.Off, Rollout.Decide(Path("p", 50, 1000), null).Variant);

        // A share without a candidate (or a candidate with share 0) sends everyone to stable.
        Assert.Equal(Variants.Stable, Rollout.Decide(Path("p", 100, 1000, withCandidate: false), "u-1").Variant);
        Assert.Equal(Variants.Stable, Rollout.Decide(Path("p", 100, 0), "u-1").Variant);

        // Before the path's first release: on, stable, no release.
        var bare = Rollout.Decide(new PathConfig("p", false, 100, 1, "rules"), "u-1");
        Assert.Equal((true, Variants.Stable, (string?)null), (bare.Enabled, bare.Variant, bare.Release));
    }
}
