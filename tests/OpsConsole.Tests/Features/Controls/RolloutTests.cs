using System.Text.Json;
using OpsConsole.Client;

namespace OpsConsole.Tests.Features.Controls;

/// <summary>The rollout contract of DESIGN.md "Decision", shared by the console and the client library.</summary>
public sealed class RolloutTests
{
    private static readonly string SpecFile = Path.Combine(AppContext.BaseDirectory, "Specs", "rollout-vectors.json");

    public static TheoryData<string, string, int, int, bool> Vectors()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(SpecFile));
        var data = new TheoryData<string, string, int, int, bool>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetProperty("groupId").GetString()!, c.GetProperty("unit").GetString()!, c.GetProperty("percent").GetInt32(),
                c.GetProperty("bucket").GetInt32(), c.GetProperty("enabled").GetBoolean());
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Decide_SpecVectors_BucketAndAnswerMatch(string groupId, string unit, int percent, int bucket, bool enabled)
    {
        Assert.Equal(bucket, Rollout.Bucket(groupId, unit));
        var decision = Rollout.Decide(new PathConfig(groupId, false, percent, 1, "rules"), unit);
        Assert.Equal(enabled, decision.Enabled);
        Assert.Equal(bucket, decision.Bucket);
    }

    [Fact]
    public void SpecCopy_SameAsShared()
    {
        // The repo carries a copy so a clone runs on its own; where shared/ sits beside it, they must agree.
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OpsConsole.sln")))
        {
            dir = dir.Parent;
        }
        Assert.NotNull(dir);
        var shared = Path.Combine(dir.FullName, "..", "shared", "specs", "rollout-vectors.json");
        var copy = File.ReadAllText(Path.Combine(dir.FullName, "tests", "OpsConsole.Tests", "Specs", "rollout-vectors.json"));
        Assert.Contains("\"cases\"", copy);
        if (File.Exists(shared))
        {
            Assert.Equal(File.ReadAllText(shared), copy);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(25)]
    [InlineData(50)]
    [InlineData(99)]
    public void Decide_100000RandomUnits_EnabledShareWithinOnePercentOfTarget(int percent)
    {
        var path = new PathConfig("support-reply-draft", false, percent, 1, "rules");
        var r = new Random(percent);
        var on = Enumerable.Range(0, 100_000).Count(_ => Rollout.Decide(path, Guid.NewGuid().ToString() + r.Next()).Enabled);
        Assert.InRange(on / 100_000.0 * 100, percent - 1, percent + 1);
    }

    [Fact]
    public void Decide_RaisingNeverTurnsAUnitOff_LoweringNeverTurnsOneOn()
    {
        var units = Enumerable.Range(0, 5_000).Select(i => "user-" + i).ToList();
        var steps = new[] { 0, 1, 5, 10, 25, 33, 50, 75, 99, 100 };
        foreach (var unit in units)
        {
            var answers = steps.Select(p => Rollout.Decide(new PathConfig("ticket-triage", false, p, 1, "rules"), unit).Enabled).ToList();
            // Monotone in the percentage: once on, on at every higher step (and so off at every lower one).
            var firstOn = answers.IndexOf(true);
            Assert.True(firstOn > 0, "0 % must be off and 100 % on");
            Assert.All(answers.Skip(firstOn), Assert.True);
            Assert.All(answers.Take(firstOn), Assert.False);
        }
    }

    [Theory]
    [InlineData(null, 100, true, DecisionReasons.FullRollout)]
    [InlineData(null, 99, false, DecisionReasons.NoUnit)]
    [InlineData("", 50, false, DecisionReasons.NoUnit)]
    [InlineData("u-1", 0, false, DecisionReasons.RolloutOff)]
    public void Decide_WithoutUnit_OnOnlyAtFullRollout(string? unit, int percent, bool enabled, string reason)
    {
        var d = Rollout.Decide(new PathConfig("p", false, percent, 7, "rules"), unit);
        Assert.Equal((enabled, reason, 7L), (d.Enabled, d.Reason, d.ConfigVersion));
    }

    [Fact]
    public void Decide_KillSwitch_WinsOverEverything()
    {
        foreach (var unit in new string?[] { null, "a", "b", "user-42" })
        {
            var d = Rollout.Decide(new PathConfig("p", true, 100, 3, "route-away"), unit);
            Assert.False(d.Enabled);
            Assert.Equal(DecisionReasons.KillSwitch, d.Reason);
            Assert.Equal("route-away", d.Fallback);
        }
    }

    [Fact]
    public void Bucket_LongAndNonAsciiUnits_Stable()
    {
        var longUnit = new string('é', 2_000);
        Assert.Equal(Rollout.Bucket("p", longUnit), Rollout.Bucket("p", longUnit));
        Assert.InRange(Rollout.Bucket("p", longUnit), 1, 100);
        Assert.InRange(Rollout.Bucket("pfad", "nutzer-ü-😀"), 1, 100);
    }
}
