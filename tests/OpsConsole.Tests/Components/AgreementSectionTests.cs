using Bunit;
using OpsConsole.Web.Features.Reviewers;

namespace OpsConsole.Tests.Components;

/// <summary>The Agreement section of the reviewer stats page: figures with their item counts, undefined ones said in words.</summary>
public sealed class AgreementSectionTests : ComponentTestBase
{
    private const string Release = "3f0c1b2a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a";

    private static KrippendorffAlpha Alpha(long units, long values, double alpha) => new(units, values, 0.1, 0.3, alpha, null);

    [Fact]
    public void Render_NoDoubleReviewedItems_SaysSoAndNamesTheMethods()
    {
        var section = Render<AgreementSection>(p => p.Add(x => x.Report, new AgreementReport(30, [], [])));

        Assert.Contains("No item had two reviewers in this window", section.Find("[data-testid=agreement-empty]").TextContent);
        var explanation = section.Find("[data-testid=agreement-explanation]").TextContent;
        Assert.Contains("Krippendorff's α (nominal)", explanation);
        Assert.Contains("Cohen's κ", explanation);
        Assert.Empty(section.FindAll("[data-testid=agreement-pairs]"));
    }

    [Fact]
    public void Render_Loading_ProgressNotEmptyState()
    {
        var section = Render<AgreementSection>(p => p.Add(x => x.Report, null));

        Assert.NotEmpty(section.FindAll(".mud-progress-linear"));
        Assert.Empty(section.FindAll("[data-testid=agreement-empty]"));
    }

    [Fact]
    public void Render_PathsAndPairs_FiguresWithItemCounts()
    {
        var report = new AgreementReport(30,
            [
                new PathAgreement("support-reply-draft", Alpha(12, 25, 0.5882),
                [
                    new ReleaseAgreement(Release, "gpt-4o-mini", "reply-v7", Alpha(9, 19, 0.71)),
                    new ReleaseAgreement(null, null, null, new KrippendorffAlpha(3, 6, 0, 0, null, AgreementStatistics.NoVariation)),
                ]),
            ],
            [
                new PairAgreement("alice", "bob", new CohenKappa(10, 0.8, 0.55, 0.5556, null)),
                new PairAgreement("alice", "carol", new CohenKappa(2, 1, 1, null, AgreementStatistics.ChanceAgreementIsOne)),
            ]);

        var section = Render<AgreementSection>(p => p.Add(x => x.Report, report));

        // The path's row, then one row per release.
        var alphas = section.FindAll("[data-testid=agreement-alpha]");
        Assert.Equal(["0.59", "0.71"], alphas.Take(2).Select(c => c.TextContent.Trim()));
        Assert.Equal(AgreementStatistics.NoVariation, alphas[2].QuerySelector("[data-testid=agreement-reason]")!.TextContent);
        Assert.Equal(["12", "9", "3"], section.FindAll("[data-testid=agreement-units]").Select(c => c.TextContent.Trim()));
        var releases = section.FindAll("[data-testid=agreement-release]").Select(c => c.TextContent.Trim()).ToList();
        Assert.Equal("all releases", releases[0]);
        Assert.StartsWith(Release[..12], releases[1]);
        Assert.Contains("gpt-4o-mini, reply-v7", releases[1]);
        Assert.Equal($"/paths/support-reply-draft/releases/{Release}", section.Find("[data-testid=agreement-release] a").GetAttribute("href"));
        Assert.Equal("no release named", releases[2]);

        Assert.Equal(["alice · bob", "alice · carol"], section.FindAll("[data-testid=agreement-pair]").Select(c => c.TextContent.Trim()));
        Assert.Equal(["10", "2"], section.FindAll("[data-testid=agreement-items]").Select(c => c.TextContent.Trim()));
        var kappas = section.FindAll("[data-testid=agreement-kappa]");
        Assert.Equal("0.56", kappas[0].TextContent.Trim());
        // Undefined is a word with its reason beside it, never NaN or an empty cell.
        Assert.Equal("undefined", kappas[1].QuerySelector("[data-testid=agreement-undefined]")!.TextContent);
        Assert.Equal(AgreementStatistics.ChanceAgreementIsOne, kappas[1].QuerySelector("[data-testid=agreement-reason]")!.TextContent);
        Assert.DoesNotContain("NaN", section.Markup);
        Assert.DoesNotContain("∞", section.Markup);
    }

    [Fact]
    public void Render_PathWithOnlyUnnamedRelease_NoReleaseRows()
    {
        var report = new AgreementReport(7, [new PathAgreement("ticket-triage", Alpha(4, 8, 0.2), [new ReleaseAgreement(null, null, null, Alpha(4, 8, 0.2))])], []);

        var section = Render<AgreementSection>(p => p.Add(x => x.Report, report));

        Assert.Equal(["all releases"], section.FindAll("[data-testid=agreement-release]").Select(c => c.TextContent.Trim()));
    }
}
