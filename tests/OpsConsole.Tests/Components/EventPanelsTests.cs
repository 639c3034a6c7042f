using Bunit;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Tests.Components;

/// <summary>The input, output and sources panels the event page and the review view share, with what an AI service may send.</summary>
public sealed class EventPanelsTests : ComponentTestBase
{
    private IRenderedComponent<EventPanels> RenderPanels(string? input, string? output, IReadOnlyList<EventSource>? sources = null,
        string prefix = "event", Action<ComponentParameterCollectionBuilder<EventPanels>>? more = null) =>
        Render<EventPanels>(p =>
        {
            p.Add(x => x.Input, input).Add(x => x.Output, output).Add(x => x.Sources, sources ?? []).Add(x => x.TestIdPrefix, prefix);
            more?.Invoke(p);
        });

    [Fact]
    public void Render_InputOutputAndSources_ShownUnderThePrefixedTestIds()
    {
        var cut = RenderPanels("Customer asks about refunds.", "We refund within 14 days.",
            [new EventSource("Refund policy", "https://help.example/refunds", "Refunds are paid within 14 days.")]);

        Assert.Equal("Customer asks about refunds.", cut.Find("pre[data-testid=event-input]").TextContent);
        Assert.Equal("We refund within 14 days.", cut.Find("pre[data-testid=event-output]").TextContent);
        var sources = cut.Find("[data-testid=event-sources]");
        Assert.Contains("Sources", sources.QuerySelector("h2")!.TextContent);
        Assert.Equal("Refund policy", sources.QuerySelector("b")!.TextContent);
        var link = sources.QuerySelector("a")!;
        Assert.Equal("https://help.example/refunds", link.GetAttribute("href"));
        Assert.Equal("_blank", link.GetAttribute("target"));
        Assert.Equal("noopener noreferrer", link.GetAttribute("rel"));
        Assert.Contains("Refunds are paid within 14 days.", sources.TextContent);
    }

    [Fact]
    public void Render_NothingSent_DashesAndTheNoSourcesText()
    {
        var cut = RenderPanels(null, null);

        Assert.Equal("—", cut.Find("[data-testid=event-input]").TextContent);
        Assert.Equal("—", cut.Find("[data-testid=event-output]").TextContent);
        Assert.Contains("No sources sent with this output.", cut.Find("[data-testid=event-sources]").TextContent);
    }

    [Fact]
    public void Render_ReviewWording_PrefixTitleAndEmptyTextAsGiven_SourcesBesideAPanel()
    {
        var cut = RenderPanels("in", "out", prefix: "review", more: p => p.Add(x => x.SourcesTitle, "Sources the output cited")
            .Add(x => x.NoSourcesText, "None sent.").Add(x => x.SourcesBeside, true));

        Assert.Equal("in", cut.Find("[data-testid=review-input]").TextContent);
        Assert.Equal("out", cut.Find("[data-testid=review-output]").TextContent);
        var sources = cut.Find("[data-testid=review-sources]");
        Assert.Equal("Sources the output cited", sources.QuerySelector("h2")!.TextContent);
        Assert.Contains("None sent.", sources.TextContent);
        Assert.Contains("mud-grid-item-md-6", sources.ParentElement!.ClassName);
        Assert.Empty(cut.FindAll("[data-testid^=event-]"));
    }

    [Fact]
    public void Render_SourcesNotBeside_TakeTheWholeWidth()
    {
        var cut = RenderPanels("in", "out");

        var item = cut.Find("[data-testid=event-sources]").ParentElement!;
        Assert.Contains("mud-grid-item-xs-12", item.ClassName);
        Assert.DoesNotContain("mud-grid-item-md-", item.ClassName);
    }

    [Fact]
    public void Render_MarkupLikeText_IsEscapedEverywhere()
    {
        const string hostile = "<script>alert(1)</script><img src=x onerror=alert(2)><b>bold</b>";
        var cut = RenderPanels(hostile, hostile, [new EventSource(hostile, "https://help.example/?q=<b>", hostile)]);

        Assert.Empty(cut.FindAll("script"));
        Assert.Empty(cut.FindAll("img"));
        Assert.Equal(hostile, cut.Find("[data-testid=event-input]").TextContent);
        Assert.Equal(hostile, cut.Find("[data-testid=event-output]").TextContent);
        var sources = cut.Find("[data-testid=event-sources]");
        Assert.Equal(hostile, sources.QuerySelector("div.mb-3 > b")!.TextContent);
        Assert.Contains(hostile, sources.QuerySelector("div.mb-3 > div")!.TextContent);
        Assert.Contains("&lt;script&gt;", cut.Markup);
    }

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("data:text/html,<script>alert(1)</script>")]
    [InlineData("/relative/only")]
    [InlineData("not a url")]
    public void Render_SourceUrlNotHttp_ShownAsTextNotALink(string url)
    {
        var cut = RenderPanels("in", "out", [new EventSource(null, url, null)]);

        var sources = cut.Find("[data-testid=event-sources]");
        Assert.Empty(sources.QuerySelectorAll("a"));
        Assert.Contains(url, sources.QuerySelector(".ops-mono")!.TextContent);
        Assert.Equal("untitled", sources.QuerySelector("b")!.TextContent);
    }

    [Fact]
    public void Render_JsonAndPlainText_ShownAsSentLineBreaksKept()
    {
        const string json = "{\"ticket\":{\"id\":42,\"body\":\"Refund \\\"now\\\"\"},\n  \"lang\":\"en\"}";
        const string plain = "Line one\n\n    indented line two\tand a tab";
        var cut = RenderPanels(json, plain);

        Assert.Equal(json, cut.Find("pre[data-testid=event-input]").TextContent);
        Assert.Equal(plain, cut.Find("pre[data-testid=event-output]").TextContent);
    }

    [Fact]
    public void Render_VeryLongText_ShownWhole()
    {
        var longInput = string.Concat(Enumerable.Repeat("0123456789abcdef", 16_384)); // 256 KiB, no spaces to break on
        var longOutput = string.Join(' ', Enumerable.Repeat("word", 50_000));
        var manySources = Enumerable.Range(1, 20).Select(i => new EventSource($"Source {i}", $"https://help.example/{i}", new string('s', 5_000))).ToList();
        var cut = RenderPanels(longInput, longOutput, manySources);

        Assert.Equal(longInput.Length, cut.Find("[data-testid=event-input]").TextContent.Length);
        Assert.Equal(longOutput.Length, cut.Find("[data-testid=event-output]").TextContent.Length);
        Assert.Equal(20, cut.Find("[data-testid=event-sources]").QuerySelectorAll("a").Length);
        Assert.Contains("ops-pre", cut.Find("[data-testid=event-input]").ClassName);
    }
}
