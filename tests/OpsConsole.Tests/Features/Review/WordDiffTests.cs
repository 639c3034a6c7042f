using OpsConsole.Web.Features.Review;

namespace OpsConsole.Tests.Features.Review;

public class WordDiffTests
{
    private static string Render(IReadOnlyList<DiffPart> parts) =>
        string.Concat(parts.Select(p => p.Kind switch { DiffKind.Removed => $"[-{p.Text}]", DiffKind.Added => $"[+{p.Text}]", _ => p.Text }));

    [Fact]
    public void Compute_ChangedWord_MarkedRemovedAndAdded()
    {
        Assert.Equal("We will [-refund ][+review ]your order.", Render(WordDiff.Compute("We will refund your order.", "We will review your order.")));
    }

    [Fact]
    public void Compute_PartsJoinBackIntoBothTexts()
    {
        const string before = "Hi Anna,\n thanks for writing. The refund takes 5 days.";
        const string after = "Hi Anna, thanks for writing to us. A refund takes 5–7 business days.";
        var parts = WordDiff.Compute(before, after);
        Assert.Equal(before, string.Concat(parts.Where(p => p.Kind != DiffKind.Added).Select(p => p.Text)));
        Assert.Equal(after, string.Concat(parts.Where(p => p.Kind != DiffKind.Removed).Select(p => p.Text)));
    }

    [Fact]
    public void Compute_SameText_OneUnchangedPart()
    {
        var parts = WordDiff.Compute("no change here", "no change here");
        Assert.Equal(DiffKind.Same, Assert.Single(parts).Kind);
    }

    [Fact]
    public void Compute_EmptyOriginal_AllAdded()
    {
        Assert.Equal([new DiffPart(DiffKind.Added, "brand new")], WordDiff.Compute("", "brand new"));
    }
}
