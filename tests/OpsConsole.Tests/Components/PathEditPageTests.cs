using Bunit;
using Microsoft.AspNetCore.Components;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.PathEditor;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Components;

/// <summary>The edit page on the real path service: what the owner typed survives the layout re-rendering the page.</summary>
[Trait("Category", "Integration")]
public sealed class PathEditPageTests : FactoryComponentTest
{
    protected override async Task ArrangeAsync()
    {
        Use<PathService>();
        Use<OpsConsole.Web.Features.Otlp.TraceSettingsService>();
        Use<OpsConsole.Web.Features.Budgets.BudgetService>();
        await SignInAsync(TestUsers.Owner, AppRoles.PathOwner);
    }

    [Fact]
    public void TypedValue_PageRenderedAgainWithTheSameSlug_ValueKept()
    {
        var page = Render<PathEditPage>(p => p.Add(x => x.Slug, "support-reply-draft"));
        page.WaitForElement("#slo-quality");
        page.Find("#slo-quality").Change("150");

        // A phone's drawer closing re-renders the layout, and with it the page, with unchanged parameters.
        page.Render(p => p.Add(x => x.Slug, "support-reply-draft"));

        page.WaitForAssertion(() => Assert.Equal("150", page.Find("#slo-quality").GetAttribute("value")));
    }
}
