using Bunit;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Tests.Components;

/// <summary>The "stale" marker on a cited source: shown with its age and SLO in text, only when the age is over the registry's SLO.</summary>
public sealed class SourceFreshnessMarkerTests : ComponentTestBase
{
    private static readonly DateTime T = new(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);

    private static readonly List<ContextSource> Registry =
    [
        new() { Name = "Help centre", SystemOfRecord = "Zendesk Guide", FreshnessSloMinutes = 1440 },
        new() { Name = "Ticket", SystemOfRecord = "Zendesk", FreshnessSloMinutes = 5 },
    ];

    private IRenderedComponent<EventPanels> RenderPanels(IReadOnlyList<EventSource> sources, DateTime? occurredAt = null) =>
        Render<EventPanels>(p => p.Add(x => x.Input, "in").Add(x => x.Output, "out").Add(x => x.Sources, sources).Add(x => x.TestIdPrefix, "review")
            .Add(x => x.OccurredAt, occurredAt ?? T).Add(x => x.ContextSources, Registry));

    [Fact]
    public void Render_SourceOlderThanItsSlo_StaleChipWithAgeAndSloInText()
    {
        var cut = RenderPanels([
            new EventSource("Refund policy", "https://help.example/refunds", "…", "Help centre", T.AddMinutes(-1), T.AddDays(-3).AddHours(-4)),
            new EventSource("Ticket #4711", null, null, "Ticket", T, T.AddMinutes(-2)),
        ]);

        var stale = Assert.Single(cut.FindAll("[data-testid=review-source-stale]"));
        Assert.Equal("stale", stale.TextContent.Trim());
        var ages = cut.FindAll("[data-testid=review-source-age]").Select(a => a.TextContent.Trim()).ToList();
        Assert.Equal(["Help centre: 3 d 4 h old when the output was made; freshness SLO 1 d 0 h", "Ticket: 2 min old when the output was made; freshness SLO 5 min"], ages);
        // The chip sits in the stale source's block, not the fresh one's.
        Assert.Contains("Refund policy", stale.Closest("div.mb-3")!.TextContent);
    }

    [Fact]
    public void Render_UnknownNameOrNoLastUpdateOrNoTime_NoMarker()
    {
        var sources = new[]
        {
            new EventSource("Wiki page", null, null, "Wiki", null, T.AddYears(-2)),
            new EventSource("Ticket", null, null, "Ticket", T, null),
            new EventSource("Plain", "https://help.example/x", null),
        };
        var cut = RenderPanels(sources);

        Assert.Empty(cut.FindAll("[data-testid=review-source-stale]"));
        Assert.Contains("not in the path's context source registry", Assert.Single(cut.FindAll("[data-testid=review-source-age]")).TextContent);

        var noTime = Render<EventPanels>(p => p.Add(x => x.Sources, sources).Add(x => x.TestIdPrefix, "event"));
        Assert.Empty(noTime.FindAll("[data-testid=event-source-age]"));
    }

    [Fact]
    public void Render_HostileSystemName_ShownAsText()
    {
        var hostile = "<img src=x onerror=alert(1)>";
        var cut = RenderPanels([new EventSource("t", null, null, hostile, null, T.AddDays(-1))]);

        Assert.Empty(cut.FindAll("img"));
        Assert.Contains(hostile, cut.Find("[data-testid=review-source-age]").TextContent);
    }
}
