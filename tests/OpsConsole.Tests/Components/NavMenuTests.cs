using Bunit;
using OpsConsole.Web.Components.Layout;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Components;

public class NavMenuTests : ComponentTestBase
{
    public static TheoryData<string, string[]> Expected => new()
    {
        { AppRoles.Admin, ["paths", "incidents", "review", "audit", "keys", "users", "quarantine", "jobs", "settings"] },
        { AppRoles.PathOwner, ["paths", "incidents", "review", "audit", "keys", "settings"] },
        { AppRoles.OnCall, ["paths", "incidents", "settings"] },
        { AppRoles.Reviewer, ["paths", "incidents", "review", "settings"] },
        { AppRoles.Viewer, ["paths", "incidents", "settings"] },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void Render_Role_ShowsExactlyItsLinks(string role, string[] links)
    {
        SignedInAs(role);
        var nav = Render<NavMenu>();
        var shown = nav.FindAll("[data-nav]").Select(a => a.GetAttribute("data-nav")).ToArray();
        Assert.Equal(links, shown);
    }

    [Fact]
    public void Render_SeveralRoles_UnionOfLinks()
    {
        SignedInAs(AppRoles.Reviewer, AppRoles.PathOwner);
        var nav = Render<NavMenu>();
        Assert.Equal(["paths", "incidents", "review", "audit", "keys", "settings"], nav.FindAll("[data-nav]").Select(a => a.GetAttribute("data-nav")));
    }

    [Fact]
    public void Render_NoRole_OnlyTheirOwnSettings()
    {
        SignedInAs();
        Assert.Equal(["settings"], Render<NavMenu>().FindAll("[data-nav]").Select(a => a.GetAttribute("data-nav")));
    }
}
