using OpsConsole.Web.Infrastructure;
using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Sessions;

public static class SessionClaims
{
    /// <summary>The sign-in cookie's session: a <see cref="UserSession.Id"/>.</summary>
    public const string SessionId = "opsconsole:sid";

    public static string? SessionIdOf(ClaimsPrincipal? user) => user?.FindFirstValue(SessionId);
}

/// <summary>
/// Records each cookie sign-in as a <see cref="UserSession"/> and answers whether a cookie's session
/// is still open. A request checks the database at most every <see cref="CheckInterval"/> per session
/// and instance (one UPDATE that also moves LastSeenAt), so a session ended on any instance is refused
/// everywhere within that interval; an open page re-checks every minute without the cache.
/// </summary>
public sealed class SessionTracker(IDbContextFactory<AppDbContext> dbFactory, TimeProvider time, ILogger<SessionTracker> log) : IActiveSessions
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(30);
    /// <summary>Ended and idle sessions are kept this long for the list, then deleted at the user's next sign-in.</summary>
    public static readonly TimeSpan KeepFor = TimeSpan.FromDays(30);
    /// <summary>A session not seen for this long is over even if never ended: the sign-in cookie's lifetime.</summary>
    public static readonly TimeSpan IdleLimit = TimeSpan.FromHours(10);
    private const int MaxCached = 100_000;

    private readonly ConcurrentDictionary<string, Checked> _checked = new(StringComparer.Ordinal);

    private sealed record Checked(bool Open, long At);

    /// <summary>Opens a session for a principal about to get a sign-in cookie and puts its id in the principal.</summary>
    public async Task<string> OpenAsync(ClaimsPrincipal principal, string userId, string method, HttpContext http, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var session = new UserSession
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            UserId = userId,
            CreatedAt = now,
            LastSeenAt = now,
            IpAddress = Cut(http.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : "unknown", UserSession.MaxIpLength),
            UserAgent = PrintableText.Clean(http.Request.Headers.UserAgent.ToString(), UserSession.MaxUserAgentLength),
            Method = method,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.UserSessions.Add(session);
        await db.SaveChangesAsync(ct);
        // Housekeeping where it costs nothing extra: this user's long-finished sessions.
        var before = now - KeepFor;
        await db.UserSessions.Where(s => s.UserId == userId && (s.EndedAt < before || (s.EndedAt == null && s.LastSeenAt < before))).ExecuteDeleteAsync(ct);
        if (principal.Identity is ClaimsIdentity identity)
        {
            foreach (var old in identity.FindAll(SessionClaims.SessionId).ToList())
            {
                identity.RemoveClaim(old);
            }
            identity.AddClaim(new Claim(SessionClaims.SessionId, session.Id));
        }
        _checked[session.Id] = new Checked(true, time.GetTimestamp());
        log.LogInformation("Session {Session} opened for user {UserId} from {Ip} ({Method})", session.Id[..8], userId, session.IpAddress, method);
        return session.Id;
    }

    /// <summary>
    /// Whether a request's session is still open (and marks it seen). A principal without a session
    /// id (a cookie issued before sessions were recorded) counts as open: its security stamp still guards it.
    /// </summary>
    public async ValueTask<bool> IsOpenAsync(ClaimsPrincipal user, bool fresh, CancellationToken ct)
    {
        var id = SessionClaims.SessionIdOf(user);
        if (id is null)
        {
            return true;
        }
        if (!fresh && _checked.TryGetValue(id, out var c) && time.GetElapsedTime(c.At) < CheckInterval)
        {
            return c.Open;
        }
        var now = time.GetUtcNow().UtcDateTime;
        var idleSince = now - IdleLimit;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var userId = user.FindFirstValue(ClaimTypes.NameIdentifier);
        var touched = await db.UserSessions
            .Where(s => s.Id == id && s.UserId == userId && s.EndedAt == null && s.LastSeenAt >= idleSince)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.LastSeenAt, now), ct);
        var open = touched == 1;
        if (_checked.Count >= MaxCached)
        {
            _checked.Clear();
        }
        _checked[id] = new Checked(open, time.GetTimestamp());
        if (!open)
        {
            log.LogInformation("Session {Session} of user {UserId} is ended; its cookie is refused", id[..Math.Min(8, id.Length)], userId);
        }
        return open;
    }

    ValueTask<bool> IActiveSessions.IsActiveAsync(ClaimsPrincipal user, CancellationToken ct) => IsOpenAsync(user, fresh: true, ct);

    /// <summary>The user's sessions that are still open, newest first.</summary>
    public async Task<IReadOnlyList<UserSession>> OpenSessionsAsync(string userId, CancellationToken ct)
    {
        var idleSince = time.GetUtcNow().UtcDateTime - IdleLimit;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.UserSessions.AsNoTracking()
            .Where(s => s.UserId == userId && s.EndedAt == null && s.LastSeenAt >= idleSince)
            .ToListAsync(ct);
        return rows.OrderByDescending(s => s.LastSeenAt).ThenByDescending(s => s.CreatedAt).ToList();
    }

    /// <summary>Ends one session of a user; 1 when it was open, else 0.</summary>
    public Task<int> EndAsync(AppDbContext db, string userId, string sessionId, string reason, CancellationToken ct) =>
        EndWhereAsync(db, s => s.UserId == userId && s.Id == sessionId, reason, ct);

    /// <summary>Ends every open session of a user; the number ended.</summary>
    public Task<int> EndAllAsync(AppDbContext db, string userId, string reason, CancellationToken ct) =>
        EndWhereAsync(db, s => s.UserId == userId, reason, ct);

    /// <summary>The sign-out of the cookie's own session.</summary>
    public async Task EndCurrentAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        if (SessionClaims.SessionIdOf(user) is { } id && user.FindFirstValue(ClaimTypes.NameIdentifier) is { } userId)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await EndAsync(db, userId, id, "signed out", ct);
        }
    }

    private async Task<int> EndWhereAsync(AppDbContext db, System.Linq.Expressions.Expression<Func<UserSession, bool>> which, string reason, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var ids = await db.UserSessions.Where(which).Where(s => s.EndedAt == null).Select(s => s.Id).ToListAsync(ct);
        if (ids.Count == 0)
        {
            return 0;
        }
        var ended = await db.UserSessions.Where(s => ids.Contains(s.Id) && s.EndedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.EndedAt, now).SetProperty(s => s.EndedReason, Cut(reason, 300)), ct);
        // This instance refuses them at once; the others at their next check.
        foreach (var id in ids)
        {
            _checked[id] = new Checked(false, time.GetTimestamp());
        }
        return ended;
    }

    private static string Cut(string s, int max) => s.Length > max ? s[..max] : s;
}
