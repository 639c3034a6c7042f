using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using ComponentRouteData = Microsoft.AspNetCore.Components.RouteData;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Infrastructure.Security;

public enum PathCapability
{
    View,
    Edit,
}

public sealed record PathRequirement(PathCapability Capability) : IAuthorizationRequirement;

/// <summary>A user's relation to one path.</summary>
public sealed record PathMembership(bool Exists, bool IsOwner, bool IsReviewer, bool IsOnCall)
{
    public static readonly PathMembership None = new(false, false, false, false);
    public bool IsAssigned => IsReviewer || IsOnCall;
}

/// <summary>Answers "is this user an owner / assigned to this path" from the database.</summary>
public sealed class PathAccess(IDbContextFactory<AppDbContext> dbFactory)
{
    public async Task<PathMembership> GetAsync(string? userId, string slug, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var path = await db.Paths.AsNoTracking().Where(p => p.Slug == slug)
            .Select(p => new
            {
                p.OnCallUserId,
                Kinds = p.Members.Where(m => m.UserId == userId).Select(m => m.Kind).ToList(),
            })
            .FirstOrDefaultAsync(ct);
        if (path is null)
        {
            return PathMembership.None;
        }
        return new PathMembership(true,
            path.Kinds.Contains(PathMemberKind.Owner),
            path.Kinds.Contains(PathMemberKind.Reviewer),
            userId is not null && path.OnCallUserId == userId);
    }

    public async Task<HashSet<string>> OwnedSlugsAsync(string? userId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var slugs = await db.PathMembers.Where(m => m.UserId == userId && m.Kind == PathMemberKind.Owner)
            .Join(db.Paths, m => m.PathId, p => p.Id, (m, p) => p.Slug).ToListAsync(ct);
        return [.. slugs];
    }

    /// <summary>Paths where the user reviews or is on call.</summary>
    public async Task<HashSet<string>> AssignedSlugsAsync(string? userId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var slugs = await db.Paths
            .Where(p => p.OnCallUserId == userId || p.Members.Any(m => m.UserId == userId && m.Kind == PathMemberKind.Reviewer))
            .Select(p => p.Slug).ToListAsync(ct);
        return [.. slugs];
    }

    /// <summary>The paths whose dashboards the user may see; null means all of them.</summary>
    public async Task<HashSet<string>?> VisibleSlugsAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        if (user.IsInRole(AppRoles.Admin) || user.IsInRole(AppRoles.PathOwner) || user.IsInRole(AppRoles.OnCall) || user.IsInRole(AppRoles.Viewer))
        {
            return null;
        }
        return user.IsInRole(AppRoles.Reviewer) ? await AssignedSlugsAsync(user.UserId(), ct) : [];
    }
}

public static class ClaimsPrincipalExtensions
{
    public static string? UserId(this ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier);
}

/// <summary>
/// Resolves the path from whatever the caller authorises against: the HTTP request's route values
/// (endpoint routing), Blazor's RouteData (interactive navigation), or a slug given directly.
/// </summary>
internal sealed class PathAuthorizationHandler(PathAccess access) : AuthorizationHandler<PathRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, PathRequirement requirement)
    {
        var user = context.User;
        if (user.Identity?.IsAuthenticated != true)
        {
            return;
        }
        if (user.IsInRole(AppRoles.Admin))
        {
            context.Succeed(requirement);
            return;
        }
        // Roles that see every path need no lookup.
        if (requirement.Capability == PathCapability.View
            && (user.IsInRole(AppRoles.PathOwner) || user.IsInRole(AppRoles.OnCall) || user.IsInRole(AppRoles.Viewer)))
        {
            context.Succeed(requirement);
            return;
        }
        var slug = context.Resource switch
        {
            HttpContext http => http.GetRouteValue("slug") as string,
            ComponentRouteData route => route.RouteValues.TryGetValue("slug", out var s) ? s as string : null,
            string s => s,
            _ => null,
        };
        if (slug is null)
        {
            return;
        }
        var membership = await access.GetAsync(user.UserId(), slug);
        var allowed = requirement.Capability switch
        {
            PathCapability.View => user.IsInRole(AppRoles.Reviewer) && membership.IsAssigned,
            PathCapability.Edit => user.IsInRole(AppRoles.PathOwner) && membership.IsOwner,
            _ => false,
        };
        if (allowed)
        {
            context.Succeed(requirement);
        }
    }
}
