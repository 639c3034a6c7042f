using Bunit;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Metrics;

namespace OpsConsole.Tests.Components;

/// <summary>A status card says its state in words and colour, and explains its figure to keyboard users too.</summary>
public sealed class StatusCardTests : ComponentTestBase
{
    [Theory]
    [InlineData(SloState.Breached, "breached", "error")]
    [InlineData(SloState.AtRisk, "at risk", "warning")]
    [InlineData(SloState.Ok, "ok", "success")]
    public void State_ShownAsWordAndColour(SloState state, string word, string colourClass)
    {
        var card = Render<StatusCard>(p => p.Add(x => x.Card, new CardModel("p95", "p95 latency", "3,100 ms", state, "+200 ms vs previous", "95th percentile of latencyMs.")));

        Assert.Equal(word, card.Find("[data-testid=card-state]").TextContent.Trim());
        Assert.Contains(colourClass, card.Find("[data-testid=card-state]").ClassName);
        Assert.Equal(word, card.Find("[data-testid=card-p95]").GetAttribute("data-state"));
        Assert.Equal("3,100 ms", card.Find("[data-testid=card-value]").TextContent.Trim());
        Assert.Equal("+200 ms vs previous", card.Find("[data-testid=card-compare]").TextContent.Trim());
    }

    [Fact]
    public void NoSloOrNoValue_SaidApart()
    {
        var noSlo = Render<StatusCard>(p => p.Add(x => x.Card, new CardModel("cost", "Cost per request", "$0.0100", SloState.NoData, "", "")));
        var noData = Render<StatusCard>(p => p.Add(x => x.Card, new CardModel("cost", "Cost per request", "—", SloState.NoData, "", "")));
        var info = Render<StatusCard>(p => p.Add(x => x.Card, new CardModel("volume", "Volume", "12", null, "", "")));

        Assert.Equal("no SLO", noSlo.Find("[data-testid=card-state]").TextContent.Trim());
        Assert.Equal("no data", noData.Find("[data-testid=card-state]").TextContent.Trim());
        Assert.Equal("info", info.Find("[data-testid=card-state]").TextContent.Trim());
    }

    [Fact]
    public void HowItIsComputed_ReachableByKeyboardAndScreenReader()
    {
        var card = Render<StatusCard>(p => p.Add(x => x.Card, new CardModel("quality", "Quality", "91.0 %", SloState.Ok, "", "Approved ÷ decided reviews.")));

        var icon = card.Find("[aria-label^='How Quality is computed']");
        Assert.Equal("0", icon.GetAttribute("tabindex"));
        Assert.Contains("Approved ÷ decided reviews.", icon.GetAttribute("aria-label"));
    }
}
