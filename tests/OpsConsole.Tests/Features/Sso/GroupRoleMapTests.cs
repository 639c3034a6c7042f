using OpsConsole.Web.Features.Sso;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Features.Sso;

public sealed class GroupRoleMapTests
{
    private static GroupRoleMap Parse(params (string Group, string Roles)[] entries) =>
        GroupRoleMap.Parse(entries.Select(e => KeyValuePair.Create(e.Group, e.Roles)), p => new InvalidOperationException(p));

    [Fact]
    public void RolesFor_SeveralMappedGroups_GivesTheUnionInRoleOrder()
    {
        var map = Parse(("ops-oncall", "OnCall"), ("ops-owners", "PathOwner,Reviewer"), ("ops-viewers", "Viewer"));

        var roles = map.RolesFor(["staff", "ops-owners", "ops-oncall"]);

        Assert.Equal([AppRoles.PathOwner, AppRoles.Reviewer, AppRoles.OnCall], roles);
    }

    [Fact]
    public void RolesFor_GroupAndRoleInAnotherCase_MatchAndKeepTheCanonicalRoleName()
    {
        var map = Parse(("Ops-OnCall", "oncall"));

        Assert.Equal([AppRoles.OnCall], map.RolesFor(["OPS-ONCALL"]));
    }

    [Fact]
    public void RolesFor_TwoGroupsGivingTheSameRole_ListsItOnce()
    {
        var map = Parse(("a", "Viewer"), ("b", "Viewer, Reviewer"));

        Assert.Equal([AppRoles.Reviewer, AppRoles.Viewer], map.RolesFor(["a", "b"]));
    }

    [Fact]
    public void RolesFor_NoMappedGroup_IsEmpty()
    {
        var map = Parse(("ops-oncall", "OnCall"));

        Assert.Empty(map.RolesFor(["staff", "ops-oncall-former"]));
        Assert.Empty(map.RolesFor([]));
    }

    [Fact]
    public void Parse_UnknownRole_RefusedNamingTheGroupAndTheRole()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Parse(("ops-oncall", "OnCall"), ("ops-leads", "Owner")));

        Assert.Contains("'ops-leads'", ex.Message);
        Assert.Contains("'Owner'", ex.Message);
        Assert.Contains("PathOwner", ex.Message);
    }

    [Fact]
    public void Parse_GroupWithoutRole_Refused()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Parse(("ops-oncall", " , ")));

        Assert.Contains("'ops-oncall' maps to no role", ex.Message);
    }

    [Fact]
    public void Parse_SameGroupInTwoCases_Refused()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Parse(("ops", "Viewer"), ("OPS", "Admin")));

        Assert.Contains("listed twice", ex.Message);
    }
}
