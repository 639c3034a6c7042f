using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Security;

/// <summary>How a user stands to the path asked about.</summary>
public enum Relation
{
    /// <summary>Not listed on this path (an owner of another path, or nobody).</summary>
    None,
    Owner,
    Reviewer,
    OnCall,
}

/// <summary>
/// <see cref="Permissions"/> against DESIGN.md's "Who may do what", cell by cell: every path
/// action × role × relation to the path, the console actions × role, and who may hold a path duty.
/// The expectations are written out here from the document, not derived from the service.
/// </summary>
public sealed class PermissionsTests
{
    public static readonly string[] Roles = [AppRoles.Admin, AppRoles.PathOwner, AppRoles.OnCall, AppRoles.Reviewer, AppRoles.Viewer];

    /// <summary>
    /// DESIGN.md's rows in its column order (Admin, PathOwner, OnCall, Reviewer, Viewer). "assigned"
    /// is read as the assignment the role is for: a reviewer works the queues they review, an
    /// on-call person contains and handles the paths they are on call for; for seeing a path
    /// either assignment will do.
    /// </summary>
    public static readonly Dictionary<PathAction, string[]> Design = new()
    {
        [PathAction.View] = ["all", "all", "all", "reviewing or on-call", "all"],
        [PathAction.Edit] = ["all", "own", "-", "-", "-"],
        [PathAction.ManageKeys] = ["all", "own", "-", "-", "-"],
        [PathAction.Review] = ["all", "own", "-", "reviewing", "-"],
        [PathAction.ReopenAndExport] = ["all", "own", "-", "-", "-"],
        [PathAction.Contain] = ["all", "own", "on-call", "-", "-"],
        [PathAction.RequestRollout] = ["all", "own", "-", "-", "-"],
        [PathAction.DecideRollout] = ["all", "own", "-", "-", "-"],
        [PathAction.HandleIncident] = ["all", "own", "on-call", "-", "-"],
        [PathAction.ReadAudit] = ["all", "own", "-", "-", "-"],
    };

    public static bool Expected(PathAction action, string role, Relation relation) =>
        Design[action][Array.IndexOf(Roles, role)] switch
        {
            "all" => true,
            "own" => relation == Relation.Owner,
            "reviewing" => relation == Relation.Reviewer,
            "on-call" => relation == Relation.OnCall,
            "reviewing or on-call" => relation is Relation.Reviewer or Relation.OnCall,
            "-" => false,
            var cell => throw new InvalidOperationException("Unknown cell " + cell),
        };

    public static TheoryData<PathAction, string, Relation> EveryCell()
    {
        var data = new TheoryData<PathAction, string, Relation>();
        foreach (var action in Enum.GetValues<PathAction>())
        {
            foreach (var role in Roles)
            {
                foreach (var relation in Enum.GetValues<Relation>())
                {
                    data.Add(action, role, relation);
                }
            }
        }
        return data;
    }

    public static ClaimsPrincipal User(params string[] roles) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, "u1"), .. roles.Select(r => new Claim(ClaimTypes.Role, r))], "test"));

    public static PathMembership Membership(Relation relation) => relation switch
    {
        Relation.Owner => new PathMembership(true, true, false, false),
        Relation.Reviewer => new PathMembership(true, false, true, false),
        Relation.OnCall => new PathMembership(true, false, false, true),
        _ => new PathMembership(true, false, false, false),
    };

    [Fact]
    public void Design_EveryPathAction_HasARow() =>
        Assert.Equal(Enum.GetValues<PathAction>().Order(), Design.Keys.Order());

    [Theory]
    [MemberData(nameof(EveryCell))]
    public void May_RoleAndRelation_MatchesDesignTable(PathAction action, string role, Relation relation) =>
        Assert.Equal(Expected(action, role, relation), Permissions.May(User(role), action, Membership(relation)));

    public static TheoryData<PathAction, string> EveryActionAndRole()
    {
        var data = new TheoryData<PathAction, string>();
        foreach (var action in Enum.GetValues<PathAction>())
        {
            foreach (var role in Roles)
            {
                data.Add(action, role);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryActionAndRole))]
    public void MayOnEveryPathAndSomePath_Role_FollowTheCell(PathAction action, string role)
    {
        var cell = Design[action][Array.IndexOf(Roles, role)];
        Assert.Equal(cell == "all", Permissions.MayOnEveryPath(User(role), action));
        Assert.Equal(cell != "-", Permissions.MayOnSomePath(User(role), action));
    }

    [Theory]
    [MemberData(nameof(EveryCell))]
    public void May_SeveralRoles_UnionOfTheirGrants(PathAction action, string role, Relation relation)
    {
        // A user may hold several roles (DESIGN.md): each adds what it grants, none takes away.
        foreach (var other in Roles)
        {
            var expected = Expected(action, role, relation) || Expected(action, other, relation);
            Assert.Equal(expected, Permissions.May(User(role, other), action, Membership(relation)));
        }
    }

    [Theory]
    [InlineData(Relation.None)]
    [InlineData(Relation.Owner)]
    [InlineData(Relation.Reviewer)]
    [InlineData(Relation.OnCall)]
    public void May_NoRole_NothingOnAnyPath(Relation relation)
    {
        foreach (var action in Enum.GetValues<PathAction>())
        {
            // Being listed on a path gives nothing without the role that uses the listing.
            Assert.False(Permissions.May(User(), action, Membership(relation)));
            Assert.False(Permissions.MayOnSomePath(User(), action));
        }
    }

    [Fact]
    public void May_PathThatDoesNotExist_OnlyRolesThatReachEveryPath()
    {
        foreach (var action in Enum.GetValues<PathAction>())
        {
            foreach (var role in Roles)
            {
                Assert.Equal(Design[action][Array.IndexOf(Roles, role)] == "all", Permissions.May(User(role), action, PathMembership.None));
            }
        }
    }

    [Theory]
    //                                                       Admin  PathOwner OnCall Reviewer Viewer
    [InlineData(ConsoleAction.SeeDashboards, new[] { true, true, true, true, true })]
    [InlineData(ConsoleAction.Administer, new[] { true, false, false, false, false })]
    [InlineData(ConsoleAction.OverrideGates, new[] { true, false, false, false, false })]
    public void May_ConsoleAction_MatchesDesignTable(ConsoleAction action, bool[] expected)
    {
        Assert.Equal(expected, Roles.Select(r => Permissions.May(User(r), action)));
        Assert.False(Permissions.May(User(), action));
    }

    [Fact]
    public void Design_EveryConsoleAction_IsTested() =>
        Assert.Equal(3, Enum.GetValues<ConsoleAction>().Length);

    [Theory]
    //                                           Admin  PathOwner OnCall Reviewer Viewer
    [InlineData(PathDuty.Owner, new[] { true, true, false, false, false })]
    [InlineData(PathDuty.Reviewer, new[] { true, true, false, true, false })]
    [InlineData(PathDuty.OnCall, new[] { true, true, true, false, false })]
    public void MayHold_Duty_RolesThatUseIt(PathDuty duty, bool[] expected)
    {
        Assert.Equal(expected, Roles.Select(r => Permissions.MayHold([r], duty)));
        Assert.False(Permissions.MayHold([], duty));
    }

    [Theory]
    [InlineData(Policies.SeeDashboards, new[] { true, true, true, true, true })]
    [InlineData(Policies.Admin, new[] { true, false, false, false, false })]
    [InlineData(Policies.AuditRead, new[] { true, true, false, false, false })]
    [InlineData(Policies.ManageKeys, new[] { true, true, false, false, false })]
    [InlineData(Policies.ReviewWork, new[] { true, true, false, true, false })]
    public async Task Policy_RoleOnly_AsksTheSameRule(string policy, bool[] expected)
    {
        // No handler registered: the role-only policies must decide by themselves, as in bUnit tests.
        await using var provider = new ServiceCollection().AddLogging().AddAuthorizationCore(Policies.Configure).BuildServiceProvider();
        var authorization = provider.GetRequiredService<IAuthorizationService>();
        var answers = new List<bool>();
        foreach (var role in Roles)
        {
            answers.Add((await authorization.AuthorizeAsync(User(role), policy)).Succeeded);
        }
        Assert.Equal(expected, answers);
        Assert.False((await authorization.AuthorizeAsync(new ClaimsPrincipal(new ClaimsIdentity()), policy)).Succeeded);
    }
}
