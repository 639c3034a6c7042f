using Microsoft.AspNetCore.Authorization;

namespace OpsConsole.Web.Infrastructure.Security;

/// <summary>
/// Named policies for DESIGN.md's "who may do what". Pages, endpoints and hub methods name these;
/// what a link hides is never the check.
/// </summary>
public static class Policies
{
    /// <summary>Overview and path list: every role (reviewers only see their assigned paths).</summary>
    /// <summary>An API key with decisions:read (the decision API and the config hub); registered by Controls.</summary>
    public const string ApiDecisionsRead = nameof(ApiDecisionsRead);

    public const string SeeDashboards = nameof(SeeDashboards);
    /// <summary>One path's pages: everyone but a reviewer who is not assigned to it.</summary>
    public const string PathView = nameof(PathView);
    /// <summary>Edit a path's settings: admins, or owners of that path.</summary>
    public const string PathEdit = nameof(PathEdit);
    /// <summary>Create paths, manage users and roles.</summary>
    public const string Admin = nameof(Admin);
    /// <summary>Audit log page: admins (all entries) and owners (their paths' entries).</summary>
    public const string AuditRead = nameof(AuditRead);
    /// <summary>API keys page: admins (any path) and owners (keys limited to their paths).</summary>
    public const string ManageKeys = nameof(ManageKeys);
    /// <summary>The review queue: admins (all paths), owners (their paths), reviewers (assigned paths); the service checks the path.</summary>
    public const string ReviewWork = nameof(ReviewWork);
    /// <summary>The enrolment page: any signed-in person, including one who has yet to enrol (every other policy refuses them).</summary>
    public const string MfaEnrolment = nameof(MfaEnrolment);

    private static readonly Dictionary<string, string> Descriptions = new()
    {
        [SeeDashboards] = "any OpsConsole role (Admin, PathOwner, OnCall, Reviewer or Viewer)",
        [PathView] = "Admin, PathOwner, OnCall or Viewer — or Reviewer assigned to this path",
        [PathEdit] = "Admin — or PathOwner listed as an owner of this path",
        [Admin] = "Admin",
        [AuditRead] = "Admin or PathOwner",
        [ManageKeys] = "Admin or PathOwner",
        [ReviewWork] = "Admin, PathOwner or Reviewer",
    };

    public static string Describe(string? policy) =>
        policy is not null && Descriptions.TryGetValue(policy, out var d) ? d : "a role you do not have";

    public static void Configure(AuthorizationOptions o)
    {
        // Anything not marked otherwise needs a signed-in user.
        o.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build();
        o.AddPolicy(SeeDashboards, p => p.AddRequirements(RoleGrantRequirement.For(ConsoleAction.SeeDashboards)));
        o.AddPolicy(PathView, p => p.RequireAuthenticatedUser().AddRequirements(new PathRequirement(PathAction.View)));
        o.AddPolicy(PathEdit, p => p.RequireAuthenticatedUser().AddRequirements(new PathRequirement(PathAction.Edit)));
        o.AddPolicy(Admin, p => p.AddRequirements(RoleGrantRequirement.For(ConsoleAction.Administer)));
        o.AddPolicy(AuditRead, p => p.AddRequirements(RoleGrantRequirement.OnSomePath(PathAction.ReadAudit)));
        o.AddPolicy(ManageKeys, p => p.AddRequirements(RoleGrantRequirement.OnSomePath(PathAction.ManageKeys)));
        o.AddPolicy(ReviewWork, p => p.AddRequirements(RoleGrantRequirement.OnSomePath(PathAction.Review)));
        o.AddPolicy(MfaEnrolment, p => p.RequireAuthenticatedUser().AddRequirements(MfaEnrolmentExempt.Instance));
    }
}
