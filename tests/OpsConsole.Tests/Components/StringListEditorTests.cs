using Bunit;
using Microsoft.AspNetCore.Components.Web;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Components.Shared;

namespace OpsConsole.Tests.Components;

public class StringListEditorTests : ComponentTestBase
{
    [Fact]
    public void Enter_NewText_Appends_DuplicateIgnored()
    {
        var items = new List<string> { "spam" };
        var cut = Render<StringListEditor>(p => p.Add(x => x.Label, "Reason tags").Add(x => x.Items, items));
        var input = cut.Find("input");

        input.Input("hallucination");
        input.KeyDown(new KeyboardEventArgs { Key = "Enter" });
        input.Input("SPAM");
        input.KeyDown(new KeyboardEventArgs { Key = "Enter" });

        Assert.Equal(["spam", "hallucination"], items);
        Assert.Contains("hallucination", cut.Markup);
    }

    [Fact]
    public void Empty_ShowsNone()
    {
        var cut = Render<StringListEditor>(p => p.Add(x => x.Label, "May read").Add(x => x.Items, new List<string>()));
        Assert.Contains("None.", cut.Markup);
    }
}
