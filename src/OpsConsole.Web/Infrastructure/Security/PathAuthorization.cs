using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using ComponentRouteData = Microsoft.AspNetCore.Components.RouteData;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Infrastructure.Security;

/// <summary>A path action on the path the caller authorises against (route value, RouteData or a slug).</summary>
public sealed record PathRequirement(PathAction Action) : IAuthorizationRequirement;

/// <summary>A user's relation to one path.</summary>
public sealed record PathMembership(bool Exists, bool IsOwner, bool IsReviewer, bool IsOnCall)
{
    public static readonly PathMembership None = new(false, false, false, false);
    public bool IsAssigned => IsReviewer || IsOnCall;
}

/// <summary>A path the user stands in some relation to.</summary>
public sealed record PathRelation(int Id, string Slug, PathMembership Membership);

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

    /// <summary>Every path the user owns, reviews or is on call for, in one query.</summary>
    public async Task<IReadOnlyList<PathRelation>> RelationsAsync(string? userId, CancellationToken ct = default)
    {
        if (userId is null)
        {
            return [];
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var paths = await db.Paths.AsNoTracking()
            .Where(p => p.OnCallUserId == userId || p.Members.Any(m => m.UserId == userId))
            .Select(p => new
            {
                p.Id,
                p.Slug,
                p.OnCallUserId,
                Kinds = p.Members.Where(m => m.UserId == userId).Select(m => m.Kind).ToList(),
            })
            .ToListAsync(ct);
        return paths.Select(p => new PathRelation(p.Id, p.Slug, new PathMembership(true,
            p.Kinds.Contains(PathMemberKind.Owner), p.Kinds.Contains(PathMemberKind.Reviewer), p.OnCallUserId == userId))).ToList();
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
internal sealed class PathAuthorizationHandler(Permissions permissions) : AuthorizationHandler<PathRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, PathRequirement requirement)
    {
        var user = context.User;
        if (user.Identity?.IsAuthenticated != true)
        {
            return;
        }
        // Roles that reach every path need no lookup, nor a path.
        if (Permissions.MayOnEveryPath(user, requirement.Action))
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
        if (slug is not null && await permissions.MayAsync(user, requirement.Action, slug))
        {
            context.Succeed(requirement);
        }
    }
}

/// <summary>
/// A rule that roles alone decide: the console actions, and "may do this on some path" for the
/// pages that list those paths. It handles itself (as ASP.NET's role requirement does), so it needs
/// no registration and no database.
/// </summary>
public sealed class RoleGrantRequirement : AuthorizationHandler<RoleGrantRequirement>, IAuthorizationRequirement
{
    private readonly Func<ClaimsPrincipal, bool> _grants;

    private RoleGrantRequirement(Func<ClaimsPrincipal, bool> grants) => _grants = grants;

    public static RoleGrantRequirement For(ConsoleAction action) => new(user => Permissions.May(user, action));

    public static RoleGrantRequirement OnSomePath(PathAction action) => new(user => Permissions.MayOnSomePath(user, action));

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, RoleGrantRequirement requirement)
    {
        if (context.User.Identity?.IsAuthenticated == true && requirement._grants(context.User))
        {
            context.Succeed(requirement);
        }
        return Task.CompletedTask;
    }
}
