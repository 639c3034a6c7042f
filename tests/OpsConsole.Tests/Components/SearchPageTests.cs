using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Search;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Components;

/// <summary>The search page on the real search service: what a person types survives a re-render of the layout.</summary>
[Trait("Category", "Integration")]
public sealed class SearchPageTests : FactoryComponentTest
{
    protected override async Task ArrangeAsync()
    {
        Use<SearchService>();
        await SignInAsync(TestUsers.OnCall, AppRoles.OnCall);
    }

    [Fact]
    public void TypedText_ParametersSetAgainWithTheSameQuery_TextKeptAndEnterSearchesIt()
    {
        var page = Render<SearchPage>();
        page.Find("#search-page-input").Input("invoice-2026-0042");

        // The layout re-renders (a notification, the dark-mode toggle): the page's parameters are set again, unchanged.
        page.Render();

        Assert.Equal("invoice-2026-0042", page.Find("#search-page-input").GetAttribute("value"));
        page.Find("#search-page-input").KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Enter" });
        var nav = Services.GetRequiredService<NavigationManager>();
        Assert.EndsWith("/search?q=invoice-2026-0042", nav.Uri);
    }

    [Fact]
    public void NewQuery_ReplacesTheTextAndTheResults()
    {
        var nav = Services.GetRequiredService<NavigationManager>();
        var page = Render<SearchPage>();
        page.Find("#search-page-input").Input("something typed");
        nav.NavigateTo(nav.GetUriWithQueryParameter("q", "support"));

        page.WaitForAssertion(() =>
        {
            Assert.Equal("support", page.Find("#search-page-input").GetAttribute("value"));
            Assert.Contains("support-reply-draft", page.Markup);
        });
    }
}
