using Bunit;
using OpsConsole.Web.Features.Search;

namespace OpsConsole.Tests.Components;

/// <summary>
/// The app bar's search is a plain GET form: Enter submits exactly what is in the box, with or without a
/// live circuit (CI once saw Enter overtake the typed text on its way through the circuit, 2026-12-02).
/// </summary>
public sealed class SearchBoxTests : ComponentTestBase
{
    [Fact]
    public void Box_IsAGetFormToTheSearchPage_NamedQ()
    {
        var box = Render<SearchBox>();

        var form = box.Find("form[role=search]");
        Assert.Equal("/search", form.GetAttribute("action"));
        Assert.Equal("get", form.GetAttribute("method"));
        var input = form.QuerySelector("input#app-search");
        Assert.NotNull(input);
        Assert.Equal("q", input.GetAttribute("name"));
        Assert.True(input.HasAttribute("required"));
        Assert.Equal(SearchService.MaxQueryLength.ToString(System.Globalization.CultureInfo.InvariantCulture), input.GetAttribute("maxlength"));
        // No handler in between: nothing of the circuit decides what is sent.
        Assert.Empty(box.FindAll("[blazor\\:onkeydown], [blazor\\:onsubmit]"));
    }

    [Fact]
    public void Phone_IconLeadsToTheSearchPage()
    {
        var box = Render<SearchBox>();

        Assert.Equal("/search", box.Find("a[aria-label=Search]").GetAttribute("href"));
    }
}
