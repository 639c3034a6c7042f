using Bunit;
using OpsConsole.Web.Features.Review;

namespace OpsConsole.Tests.Components;

public sealed class PairwisePanelTests : ComponentTestBase
{
    private static readonly string Candidate = "c".PadRight(64, 'c');
    private static readonly string Stable = "s".PadRight(64, 's');

    private static PairwiseView Pending(bool candidateIsA) => new(7, "support-reply-draft", "ticket-1", "Customer asks for a refund",
        candidateIsA ? "candidate reply" : "stable reply", candidateIsA ? "stable reply" : "candidate reply", candidateIsA,
        Candidate, Stable, PairwiseStatuses.Pending, null, null, null, null);

    [Theory]
    [InlineData("1", PairwiseChoices.A)]
    [InlineData("2", PairwiseChoices.Same)]
    [InlineData("3", PairwiseChoices.B)]
    public void Key_123_DecideSides_ArmsHiddenUntilDecided(string key, string expected)
    {
        var chosen = new List<string>();
        var panel = Render<PairwisePanel>(p => p.Add(x => x.View, Pending(candidateIsA: true)).Add(x => x.Decide, (string c) => chosen.Add(c)));

        Assert.Equal("candidate reply", panel.Find("[data-testid=pairwise-output-a]").TextContent);
        Assert.Equal("stable reply", panel.Find("[data-testid=pairwise-output-b]").TextContent);
        Assert.Empty(panel.FindAll("[data-testid^=pairwise-arm-]"));
        Assert.DoesNotContain("candidate", panel.Find("[data-testid=pairwise-side-a]").TextContent.Replace("candidate reply", ""));

        panel.Find("[data-testid=pairwise-keys]").KeyDown(key);
        Assert.Equal([expected], chosen);
        // Other keys do nothing (the queue's own keys, typing).
        panel.Find("[data-testid=pairwise-keys]").KeyDown("a");
        panel.Find("[data-testid=pairwise-keys]").KeyDown("n");
        Assert.Single(chosen);
    }

    [Fact]
    public void Decided_ArmsRevealed_NextOnN_NoMoreDecisions()
    {
        var chosen = new List<string>();
        var next = 0;
        var decided = Pending(candidateIsA: false) with
        {
            Status = PairwiseStatuses.Decided,
            Choice = PairwiseChoices.B,
            Outcome = PairwiseOutcomes.Win,
            DecidedByName = "reviewer@opsconsole.local",
            DecidedAt = DateTime.UtcNow,
        };
        var panel = Render<PairwisePanel>(p => p.Add(x => x.View, decided).Add(x => x.Decide, (string c) => chosen.Add(c)).Add(x => x.Next, () => next++));

        Assert.StartsWith("stable", panel.Find("[data-testid=pairwise-arm-a]").TextContent);
        Assert.StartsWith("candidate " + Candidate[..12], panel.Find("[data-testid=pairwise-arm-b]").TextContent);
        Assert.Contains("win", panel.Find("[data-testid=pairwise-outcome]").TextContent);
        Assert.Empty(panel.FindAll("[data-testid=pairwise-a]"));

        panel.Find("[data-testid=pairwise-keys]").KeyDown("1");
        Assert.Empty(chosen);
        panel.Find("[data-testid=pairwise-keys]").KeyDown("n");
        Assert.Equal(1, next);
    }
}
