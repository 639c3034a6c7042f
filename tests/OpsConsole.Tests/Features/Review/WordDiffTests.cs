using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Components.Shared;

namespace OpsConsole.Tests.Features.Review;

public class WordDiffTests
{
    private static string Render(IReadOnlyList<DiffPart> parts) =>
        string.Concat(parts.Select(p => p.Kind switch { WordDiffKind.Removed => $"[-{p.Text}]", WordDiffKind.Added => $"[+{p.Text}]", _ => p.Text }));

    [Fact]
    public void Compute_ChangedWord_MarkedRemovedAndAdded()
    {
        Assert.Equal("We will [-refund][+review] your order.", Render(WordDiff.Compute("We will refund your order.", "We will review your order.")));
    }

    [Fact]
    public void Compute_OneWordChangedInALongSentence_OnlyThatWordMarked()
    {
        const string before = "Hi Anna, thanks for reaching out about order 4471: we have checked the parcel with the carrier and we will refund "
            + "the full amount to your card within five business days, and you will get an e-mail from us as soon as the refund leaves our bank.";
        var parts = WordDiff.Compute(before, before.Replace("within five business", "within seven business"));

        Assert.Equal(["five"], parts.Where(p => p.Kind == WordDiffKind.Removed).Select(p => p.Text));
        Assert.Equal(["seven"], parts.Where(p => p.Kind == WordDiffKind.Added).Select(p => p.Text));
    }

    [Fact]
    public void Compute_ValueChangedInJsonWithoutSpaces_OnlyTheValueMarked()
    {
        const string before = "{\"supplier\":\"Acme\",\"total\":1200.00,\"currency\":\"EUR\",\"vatRate\":0.2,\"dueDays\":30}";

        Assert.Equal("{\"supplier\":\"Acme\",\"total\":[-1200][+1250].00,\"currency\":\"EUR\",\"vatRate\":0.2,\"dueDays\":30}",
            Render(WordDiff.Compute(before, before.Replace("1200.00", "1250.00"))));
    }

    [Fact]
    public void Compute_WordAppendedAfterTheLastWord_LastWordNotMarked()
    {
        Assert.Equal("Refund issued[+ today]", Render(WordDiff.Compute("Refund issued", "Refund issued today")));
    }

    [Fact]
    public void Compute_PunctuationChanged_OnlyThePunctuationMarked()
    {
        Assert.Equal("Your refund is on its way[-.][+!]", Render(WordDiff.Compute("Your refund is on its way.", "Your refund is on its way!")));
    }

    [Fact]
    public void Compute_SeveralAdjacentWordsReplaced_OneRemovedAndOneAddedRun()
    {
        Assert.Equal("We will [-refund the order][+send a new parcel] today.",
            Render(WordDiff.Compute("We will refund the order today.", "We will send a new parcel today.")));
    }

    [Fact]
    public void Compute_LongTextWithOneChange_StillAWordDiff()
    {
        // Far above MaxCells as a whole text: the unchanged start and end are not part of the table.
        var words = string.Join(' ', Enumerable.Range(0, 5000).Select(i => "w" + i));
        var parts = WordDiff.Compute(words, words.Replace(" w2500 ", " changed "));

        Assert.Equal(["w2500"], parts.Where(p => p.Kind == WordDiffKind.Removed).Select(p => p.Text));
        Assert.Equal(["changed"], parts.Where(p => p.Kind == WordDiffKind.Added).Select(p => p.Text));
    }

    [Fact]
    public void Compute_PartsJoinBackIntoBothTexts()
    {
        const string before = "Hi Anna,\n thanks for writing. The refund takes 5 days.";
        const string after = "Hi Anna, thanks for writing to us. A refund takes 5–7 business days.";
        var parts = WordDiff.Compute(before, after);
        Assert.Equal(before, string.Concat(parts.Where(p => p.Kind != WordDiffKind.Added).Select(p => p.Text)));
        Assert.Equal(after, string.Concat(parts.Where(p => p.Kind != WordDiffKind.Removed).Select(p => p.Text)));
    }

    [Fact]
    public void Compute_SameText_OneUnchangedPart()
    {
        var parts = WordDiff.Compute("no change here", "no change here");
        Assert.Equal(WordDiffKind.Same, Assert.Single(parts).Kind);
    }

    [Fact]
    public void Compute_EmptyOriginal_AllAdded()
    {
        Assert.Equal([new DiffPart(WordDiffKind.Added, "brand new")], WordDiff.Compute("", "brand new"));
    }
}
