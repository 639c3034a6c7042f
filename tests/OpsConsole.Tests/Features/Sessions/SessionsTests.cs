using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Review;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Sessions;
using OpsConsole.Web.Features.Users;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Features.Sessions;

/// <summary>Sign-ins as sessions: recorded at sign-in, listed, ended one by one or everywhere, and refused once ended.</summary>
[Trait("Category", "Integration")]
public sealed class SessionsTests : IAsyncLifetime
{
    private const string LinuxChrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.8078.73 Safari/537.36";
    private const string WindowsFirefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
    private readonly FakeClockFactory _factory = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _factory.CreateClient().Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private async Task<HttpClient> SignInAsync(string email, string address, string userAgent)
    {
        var client = SignIn.Anonymous(_factory, address);
        client.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        var response = await SignIn.PostLoginAsync(client, email, TestUsers.Password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    /// <summary>200 for a signed-in page; a refused cookie is sent to the sign-in page.</summary>
    private static async Task<bool> SignedInAsync(HttpClient client)
    {
        var response = await client.GetAsync("/settings", Ct);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return true;
        }
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/login", response.Headers.Location!.PathAndQuery);
        return false;
    }

    private Task<List<UserSessionRow>> RowsAsync(string userId) => Db.QueryAsync(_factory, db =>
        db.UserSessions.Where(s => s.UserId == userId).OrderBy(s => s.CreatedAt).ThenBy(s => s.IpAddress)
            .Select(s => new UserSessionRow(s.Id, s.IpAddress, s.UserAgent, s.Method, s.EndedAt, s.EndedReason)).ToListAsync(Ct));

    private sealed record UserSessionRow(string Id, string Ip, string UserAgent, string Method, DateTime? EndedAt, string? EndedReason);

    private static ClaimsPrincipal Owner(string userId) => new(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, userId), new Claim(ClaimTypes.Name, "viewer")], "test"));

    [Fact]
    public async Task TwoSignIns_PageListsBothWithBrowserAddressAndThisBrowser()
    {
        var a = await SignInAsync(TestUsers.Viewer, "198.51.100.7", LinuxChrome);
        await SignInAsync(TestUsers.Viewer, "203.0.113.5", WindowsFirefox);

        var settings = await a.GetStringAsync("/settings", Ct);
        Assert.Contains("href=\"/account/sessions\"", settings);
        Assert.Contains("href=\"/account/mfa\"", settings);
        var html = WebUtility.HtmlDecode(await a.GetStringAsync("/account/sessions", Ct));

        Assert.Contains("Chrome 156 on Linux", html);
        Assert.Contains("Firefox 133 on Windows", html);
        Assert.Contains("198.51.100.7", html);
        Assert.Contains("203.0.113.5", html);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "data-testid=\"session-current\""));
        var rows = await RowsAsync(await Principals.IdOfAsync(_factory, TestUsers.Viewer));
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal("password", r.Method));
        Assert.Equal([LinuxChrome, WindowsFirefox], rows.Select(r => r.UserAgent).Order().Reverse().ToList());
    }

    [Fact]
    public async Task EndOne_ThatBrowserIsRefused_TheOtherKeepsWorking()
    {
        var a = await SignInAsync(TestUsers.Viewer, "198.51.100.7", LinuxChrome);
        var b = await SignInAsync(TestUsers.Viewer, "203.0.113.5", WindowsFirefox);
        var userId = await Principals.IdOfAsync(_factory, TestUsers.Viewer);
        var bSession = (await RowsAsync(userId)).Single(r => r.Ip == "203.0.113.5").Id;

        var result = await _factory.Services.GetRequiredService<SessionService>().EndAsync(Owner(userId), bSession, Ct);

        Assert.True(result.Succeeded, result.Error);
        Assert.False(await SignedInAsync(b));
        Assert.True(await SignedInAsync(a));
        var ended = (await RowsAsync(userId)).Single(r => r.Id == bSession);
        Assert.NotNull(ended.EndedAt);
        Assert.Equal("ended from another session", ended.EndedReason);
        // Ending it again, or someone else's session, is refused and changes nothing.
        Assert.False((await _factory.Services.GetRequiredService<SessionService>().EndAsync(Owner(userId), bSession, Ct)).Succeeded);
        var aSession = (await RowsAsync(userId)).Single(r => r.Ip == "198.51.100.7").Id;
        var other = await Principals.IdOfAsync(_factory, TestUsers.OnCall);
        Assert.False((await _factory.Services.GetRequiredService<SessionService>().EndAsync(Owner(other), aSession, Ct)).Succeeded);
        Assert.True(await SignedInAsync(a));
    }

    [Fact]
    public async Task SignOutEverywhere_EveryBrowserRefused_Audited()
    {
        var a = await SignInAsync(TestUsers.Viewer, "198.51.100.7", LinuxChrome);
        var b = await SignInAsync(TestUsers.Viewer, "203.0.113.5", WindowsFirefox);
        var other = await SignInAsync(TestUsers.OnCall, "198.51.100.8", LinuxChrome);
        var userId = await Principals.IdOfAsync(_factory, TestUsers.Viewer);

        var result = await _factory.Services.GetRequiredService<SessionService>().SignOutEverywhereAsync(Owner(userId), Ct);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(2, result.Value);
        Assert.False(await SignedInAsync(a));
        Assert.False(await SignedInAsync(b));
        Assert.True(await SignedInAsync(other));
        var entry = await Db.QueryAsync(_factory, db => db.AuditEntries.SingleAsync(e => e.Action == "user.sign-out-everywhere", Ct));
        Assert.Equal(userId, entry.TargetId);
        Assert.Contains("\"sessionsEnded\":2", entry.AfterJson);
        // Signing in again opens a new session that works.
        Assert.True(await SignedInAsync(await SignInAsync(TestUsers.Viewer, "198.51.100.7", LinuxChrome)));
    }

    [Fact]
    public async Task AdminSignsUserOutEverywhere_UserRefused_NonAdminMayNot()
    {
        var viewer = await SignInAsync(TestUsers.Viewer, "198.51.100.7", LinuxChrome);
        var viewerId = await Principals.IdOfAsync(_factory, TestUsers.Viewer);
        var admin = _factory.Services.GetRequiredService<UserAdminService>();

        var refused = await admin.SignOutEverywhereAsync(viewerId, await Principals.ForAsync(_factory, TestUsers.OnCall), Ct);
        Assert.False(refused.Succeeded);
        Assert.True(await SignedInAsync(viewer));

        var done = await admin.SignOutEverywhereAsync(viewerId, await Principals.ForAsync(_factory, TestUsers.Admin), Ct);
        Assert.True(done.Succeeded, done.Error);
        Assert.False(await SignedInAsync(viewer));
        var row = (await RowsAsync(viewerId)).Single();
        Assert.Equal("ended by admin@opsconsole.local", row.EndedReason);
        var entry = await Db.QueryAsync(_factory, db => db.AuditEntries.SingleAsync(e => e.Action == "user.sign-out-everywhere", Ct));
        Assert.Equal("admin@opsconsole.local", entry.ActorName);
    }

    [Fact]
    public async Task SignOut_EndsTheSession()
    {
        var client = await SignInAsync(TestUsers.Viewer, "198.51.100.7", LinuxChrome);
        var page = await client.GetStringAsync("/settings", Ct);
        var response = await client.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = SignIn.AntiforgeryToken(page),
        }), Ct);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);

        var row = (await RowsAsync(await Principals.IdOfAsync(_factory, TestUsers.Viewer))).Single();
        Assert.NotNull(row.EndedAt);
        Assert.Equal("signed out", row.EndedReason);
    }

    [Fact]
    public async Task EndedOnAnotherInstance_RefusedAfterTheCheckInterval_AndAtOnceByTheOpenPageCheck()
    {
        var client = await SignInAsync(TestUsers.Viewer, "198.51.100.7", LinuxChrome);
        var userId = await Principals.IdOfAsync(_factory, TestUsers.Viewer);
        var id = (await RowsAsync(userId)).Single().Id;
        // Another instance ends it: this one learns it only from the database.
        await Db.ExecuteAsync(_factory, $"UPDATE UserSessions SET EndedAt = CURRENT_TIMESTAMP, EndedReason = 'elsewhere' WHERE Id = '{id}'");
        var tracker = _factory.Services.GetRequiredService<SessionTracker>();
        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, userId), new Claim(SessionClaims.SessionId, id)], "test"));

        Assert.True(await SignedInAsync(client));
        Assert.False(await ((IActiveSessions)tracker).IsActiveAsync(principal, Ct));

        _factory.Clock.Advance(SessionTracker.CheckInterval + TimeSpan.FromSeconds(1));
        Assert.False(await SignedInAsync(client));
    }

    [Fact]
    public async Task SecurityStampRefresh_KeepsTheSession_SoEndingItStillWorks()
    {
        var client = await SignInAsync(TestUsers.Viewer, "198.51.100.7", LinuxChrome);
        // Past the one-minute stamp check: the cookie's principal is rebuilt from the user and renewed.
        _factory.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.True(await SignedInAsync(client));
        var userId = await Principals.IdOfAsync(_factory, TestUsers.Viewer);
        var rows = await RowsAsync(userId);
        Assert.Single(rows);

        Assert.True((await _factory.Services.GetRequiredService<SessionService>().EndAsync(Owner(userId), rows[0].Id, Ct)).Succeeded);
        Assert.False(await SignedInAsync(client));
    }

    [Fact]
    public async Task IdleLongerThanTheCookie_NotListedAndRefused()
    {
        var client = await SignInAsync(TestUsers.Viewer, "198.51.100.7", LinuxChrome);
        var userId = await Principals.IdOfAsync(_factory, TestUsers.Viewer);
        var tracker = _factory.Services.GetRequiredService<SessionTracker>();
        Assert.Single(await tracker.OpenSessionsAsync(userId, Ct));

        _factory.Clock.Advance(SessionTracker.IdleLimit + TimeSpan.FromMinutes(1));

        Assert.Empty(await tracker.OpenSessionsAsync(userId, Ct));
        Assert.False(await SignedInAsync(client));
    }

    [Fact]
    public async Task HostileUserAgent_StoredWithoutControlsOrLoneSurrogates_AndCut()
    {
        var tracker = _factory.Services.GetRequiredService<SessionTracker>();
        var userId = await Principals.IdOfAsync(_factory, TestUsers.Viewer);
        var http = new DefaultHttpContext();
        http.Request.Headers.UserAgent = "Chrome/1\u0000\u001b[31m\r\n\uD800x\uDC00y" + new string('z', 5000) + "\uD83D\uDE00";
        http.Connection.RemoteIpAddress = IPAddress.Parse("::ffff:198.51.100.9");
        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, userId)], "test"));

        var id = await tracker.OpenAsync(principal, userId, "password", http, Ct);

        Assert.Equal(id, SessionClaims.SessionIdOf(principal));
        var row = (await RowsAsync(userId)).Single();
        Assert.Equal("198.51.100.9", row.Ip);
        Assert.StartsWith("Chrome/1[31mxyzzz", row.UserAgent);
        Assert.Equal(UserSession.MaxUserAgentLength, row.UserAgent.Length);
        Assert.DoesNotContain(row.UserAgent, c => char.IsControl(c) || char.IsSurrogate(c));
    }

    [Fact]
    public async Task RoleChangeAndLock_OnAnotherInstance_TakeEffectHereWithinAMinute()
    {
        var owner = await SignInAsync(TestUsers.Owner, "198.51.100.41", LinuxChrome);
        var viewer = await SignInAsync(TestUsers.Viewer, "198.51.100.42", LinuxChrome);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync("/audit", Ct)).StatusCode);
        var other = new FakeClockFactory(_factory.DatabasePath);
        try
        {
            var admin = other.Services.GetRequiredService<UserAdminService>();
            var adminPrincipal = await Principals.ForAsync(other, TestUsers.Admin);
            Assert.True((await admin.SetRolesAsync(await Principals.IdOfAsync(other, TestUsers.Owner), [AppRoles.Viewer], adminPrincipal, Ct)).Succeeded);
            Assert.True((await admin.SetLockedAsync(await Principals.IdOfAsync(other, TestUsers.Viewer), true, adminPrincipal, Ct)).Succeeded);
        }
        finally
        {
            await other.DisposeAsync(keepDatabase: true);
        }

        // This instance heard nothing; its minutely stamp check finds both changes.
        _factory.Clock.Advance(TimeSpan.FromSeconds(61));

        // A changed role renews the stamp: the old cookie is refused, and a new sign-in has only the new role.
        Assert.False(await SignedInAsync(owner));
        Assert.False(await SignedInAsync(viewer));
        var again = await SignInAsync(TestUsers.Owner, "198.51.100.41", LinuxChrome);
        var audit = await again.GetAsync("/audit", Ct);
        Assert.Equal(HttpStatusCode.Redirect, audit.StatusCode);
        Assert.StartsWith("/account/access-denied", audit.Headers.Location!.PathAndQuery);
    }
}
