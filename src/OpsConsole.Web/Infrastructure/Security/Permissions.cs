using System.Security.Claims;

namespace OpsConsole.Web.Infrastructure.Security;

/// <summary>The rows of DESIGN.md's "Who may do what" that concern one path.</summary>
public enum PathAction
{
    /// <summary>See the path's overview row, dashboard, events and incidents.</summary>
    View,
    /// <summary>Edit a path's settings, gates, redaction, policies; replay its quarantine; run its drift check.</summary>
    Edit,
    /// <summary>Create / revoke API keys for the path.</summary>
    ManageKeys,
    /// <summary>Work the review queue: claim, decide.</summary>
    Review,
    /// <summary>Reopen a decided item, export labels (and the reviewer statistics drawn from them).</summary>
    ReopenAndExport,
    /// <summary>Flip the kill switch, reduce the rollout.</summary>
    Contain,
    /// <summary>Request a rollout increase.</summary>
    RequestRollout,
    /// <summary>Approve / reject a rollout request; that it is not one's own is the request's rule.</summary>
    DecideRollout,
    /// <summary>Acknowledge / resolve / reassign / reopen incidents, add notes, open one by hand.</summary>
    HandleIncident,
    /// <summary>Read the path's audit entries.</summary>
    ReadAudit,
}

/// <summary>The rows of DESIGN.md's table that concern the console as a whole.</summary>
public enum ConsoleAction
{
    /// <summary>The overview, path list and search: every role (each sees only the paths <see cref="PathAction.View"/> allows).</summary>
    SeeDashboards,
    /// <summary>Create a path; manage users, roles, assignments; the all-paths quarantine; Hangfire; audit verification; cancel another's rollout request.</summary>
    Administer,
    /// <summary>Approve a rollout whose gates fail, with a written reason.</summary>
    OverrideGates,
}

/// <summary>A person's standing on a path, which the path's settings assign.</summary>
public enum PathDuty
{
    Owner,
    Reviewer,
    OnCall,
}

/// <summary>
/// The one answer to "may this user do this on this path". Roles say how far a grant reaches
/// (every path, or the paths the user owns / reviews / is on call for); <see cref="PathAccess"/>
/// supplies the user's relation to a path. Policies, pages, services, endpoints and hubs all ask
/// here, so a change to the rule is made once.
/// </summary>
public sealed class Permissions(PathAccess access)
{
    private enum Reach
    {
        None,
        All,
        Own,
        Reviewing,
        OnCall,
        /// <summary>Reviewer or on-call.</summary>
        Assigned,
    }

    private static readonly string[] Columns = [AppRoles.Admin, AppRoles.PathOwner, AppRoles.OnCall, AppRoles.Reviewer, AppRoles.Viewer];

    private static Reach[] Row(Reach admin, Reach owner, Reach onCall, Reach reviewer, Reach viewer) => [admin, owner, onCall, reviewer, viewer];

    private const Reach All = Reach.All, Own = Reach.Own, No = Reach.None;

    // DESIGN.md "Who may do what", column for column: Row(Admin, PathOwner, OnCall, Reviewer, Viewer).
    private static readonly Dictionary<PathAction, Reach[]> Table = new()
    {
        [PathAction.View] = Row(All, All, All, Reach.Assigned, All),
        [PathAction.Edit] = Row(All, Own, No, No, No),
        [PathAction.ManageKeys] = Row(All, Own, No, No, No),
        [PathAction.Review] = Row(All, Own, No, Reach.Reviewing, No),
        [PathAction.ReopenAndExport] = Row(All, Own, No, No, No),
        [PathAction.Contain] = Row(All, Own, Reach.OnCall, No, No),
        [PathAction.RequestRollout] = Row(All, Own, No, No, No),
        [PathAction.DecideRollout] = Row(All, Own, No, No, No),
        [PathAction.HandleIncident] = Row(All, Own, Reach.OnCall, No, No),
        [PathAction.ReadAudit] = Row(All, Own, No, No, No),
    };

    public static bool May(ClaimsPrincipal user, ConsoleAction action) => action switch
    {
        ConsoleAction.SeeDashboards => AppRoles.All.Any(user.IsInRole),
        ConsoleAction.Administer or ConsoleAction.OverrideGates => user.IsInRole(AppRoles.Admin),
        _ => false,
    };

    /// <summary>Whether the user's roles grant the action on a path they stand to as <paramref name="path"/> says.</summary>
    public static bool May(ClaimsPrincipal user, PathAction action, PathMembership path) =>
        Grants(user, action).Any(reach => reach switch
        {
            Reach.All => true,
            Reach.Own => path.IsOwner,
            Reach.Reviewing => path.IsReviewer,
            Reach.OnCall => path.IsOnCall,
            Reach.Assigned => path.IsAssigned,
            _ => false,
        });

    /// <summary>Whether the user may do the action on every path, without asking which.</summary>
    public static bool MayOnEveryPath(ClaimsPrincipal user, PathAction action) => Grants(user, action).Contains(Reach.All);

    /// <summary>Whether the user's roles grant the action on some paths (the pages that list those paths).</summary>
    public static bool MayOnSomePath(ClaimsPrincipal user, PathAction action) => Grants(user, action).Any(r => r != Reach.None);

    /// <summary>Whether a user holding <paramref name="roles"/> may be given the duty on a path.</summary>
    public static bool MayHold(IEnumerable<string> roles, PathDuty duty)
    {
        var held = roles as IReadOnlyCollection<string> ?? [.. roles];
        return held.Contains(AppRoles.Admin) || held.Contains(AppRoles.PathOwner) || duty switch
        {
            PathDuty.Reviewer => held.Contains(AppRoles.Reviewer),
            PathDuty.OnCall => held.Contains(AppRoles.OnCall),
            _ => false,
        };
    }

    public async Task<bool> MayAsync(ClaimsPrincipal user, PathAction action, string slug, CancellationToken ct = default)
    {
        if (MayOnEveryPath(user, action))
        {
            return true;
        }
        if (!MayOnSomePath(user, action))
        {
            return false;
        }
        return May(user, action, await access.GetAsync(user.UserId(), slug, ct));
    }

    /// <summary>The slugs of the paths where the user may do the action, in one query; null means every path.</summary>
    public async Task<HashSet<string>?> SlugsAsync(ClaimsPrincipal user, PathAction action, CancellationToken ct = default) =>
        (await RelatedAsync(user, action, ct))?.Select(p => p.Slug).ToHashSet();

    /// <summary>As <see cref="SlugsAsync"/>, by path id.</summary>
    public async Task<HashSet<int>?> PathIdsAsync(ClaimsPrincipal user, PathAction action, CancellationToken ct = default) =>
        (await RelatedAsync(user, action, ct))?.Select(p => p.Id).ToHashSet();

    private async Task<IEnumerable<PathRelation>?> RelatedAsync(ClaimsPrincipal user, PathAction action, CancellationToken ct)
    {
        if (MayOnEveryPath(user, action))
        {
            return null;
        }
        if (!MayOnSomePath(user, action))
        {
            return [];
        }
        return (await access.RelationsAsync(user.UserId(), ct)).Where(p => May(user, action, p.Membership));
    }

    private static IEnumerable<Reach> Grants(ClaimsPrincipal user, PathAction action)
    {
        var row = Table[action];
        for (var i = 0; i < Columns.Length; i++)
        {
            if (row[i] != Reach.None && user.IsInRole(Columns[i]))
            {
                yield return row[i];
            }
        }
    }
}
