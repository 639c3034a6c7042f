using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Sessions;

/// <summary>One open sign-in as its owner sees it.</summary>
public sealed record SessionView(string Id, string Browser, string UserAgent, string IpAddress, string Method, DateTime CreatedAt, DateTime LastSeenAt, bool IsCurrent);

/// <summary>
/// A person's own sessions: list them, end one, or sign out everywhere. Ending every session also
/// renews the security stamp, so a cookie from before sessions were recorded, and every open page,
/// lose the sign-in within a minute too.
/// </summary>
public sealed class SessionService(IServiceScopeFactory scopes, SessionTracker tracker, AuditLog audit)
{
    public async Task<IReadOnlyList<SessionView>> MineAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        if (user.UserId() is not { } userId)
        {
            return [];
        }
        var current = SessionClaims.SessionIdOf(user);
        var sessions = await tracker.OpenSessionsAsync(userId, ct);
        return sessions.Select(s => new SessionView(s.Id, UserAgents.Describe(s.UserAgent), s.UserAgent, s.IpAddress, s.Method, s.CreatedAt, s.LastSeenAt, s.Id == current))
            .OrderByDescending(s => s.IsCurrent).ToList();
    }

    /// <summary>Ends one of the caller's own sessions (never someone else's: the id is matched with the caller).</summary>
    public async Task<CommandResult> EndAsync(ClaimsPrincipal user, string sessionId, CancellationToken ct)
    {
        if (user.UserId() is not { } userId)
        {
            return CommandResult.Fail("Sign in first.");
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        await using var write = await audit.BeginAsync(db, ct);
        var ended = await tracker.EndAsync(db, userId, sessionId, "ended from another session", ct);
        if (ended == 0)
        {
            return CommandResult.Fail("That session has already ended.");
        }
        write.Record(AuditActor.From(user), "user.session-end", "user", userId, null, null, new { session = sessionId[..Math.Min(8, sessionId.Length)] });
        await write.CommitAsync(ct);
        return CommandResult.Ok();
    }

    /// <summary>Ends every session of the caller, this one included.</summary>
    public Task<CommandResult<int>> SignOutEverywhereAsync(ClaimsPrincipal user, CancellationToken ct) =>
        user.UserId() is { } userId
            ? EndAllAsync(userId, AuditActor.From(user), "signed out everywhere", ct)
            : Task.FromResult(CommandResult<int>.Fail("Sign in first."));

    /// <summary>
    /// Ends every session of a user and renews their security stamp, audited as
    /// <c>user.sign-out-everywhere</c>; for the user themself or an admin (the caller checks which).
    /// </summary>
    public async Task<CommandResult<int>> EndAllAsync(string userId, AuditActor actor, string reason, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var user = await users.FindByIdAsync(userId);
        if (user is null || user.IsSystem)
        {
            return CommandResult<int>.Fail("That user does not exist.");
        }
        await using var write = await audit.BeginAsync(db, ct);
        var ended = await tracker.EndAllAsync(db, userId, reason, ct);
        var stamp = await users.UpdateSecurityStampAsync(user);
        if (!stamp.Succeeded)
        {
            return CommandResult<int>.Fail("The sign-ins could not be ended: " + string.Join(" ", stamp.Errors.Select(e => e.Description)));
        }
        write.Record(actor, "user.sign-out-everywhere", "user", userId, null, null, new { email = user.Email, sessionsEnded = ended });
        await write.CommitAsync(ct);
        return CommandResult<int>.Ok(ended);
    }
}
