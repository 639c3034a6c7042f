using System.Security.Claims;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Sessions;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Components;

/// <summary>The sign-ins page on the real session service and database.</summary>
[Trait("Category", "Integration")]
public sealed class SessionsPageTests : FactoryComponentTest
{
    private const string Phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
    private const string Desktop = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.8078.73 Safari/537.36";
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;
    private string _userId = "";
    private string _current = "";
    private string _phone = "";

    protected override async Task ArrangeAsync()
    {
        Use<SessionService>();
        var tracker = Use<SessionTracker>();
        _userId = await Principals.IdOfAsync(Factory, TestUsers.OnCall);
        _phone = await OpenAsync(tracker, Phone, "203.0.113.20");
        _current = await OpenAsync(tracker, Desktop, "198.51.100.20");
        SignedInAsUser(_userId, TestUsers.OnCall, [new Claim(SessionClaims.SessionId, _current)], AppRoles.OnCall);
    }

    private async Task<string> OpenAsync(SessionTracker tracker, string userAgent, string ip)
    {
        var http = new DefaultHttpContext();
        http.Request.Headers.UserAgent = userAgent;
        http.Connection.RemoteIpAddress = System.Net.IPAddress.Parse(ip);
        return await tracker.OpenAsync(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, _userId)], "test")), _userId, "password", http, Ct);
    }

    private Task<DateTime?> EndedAtAsync(string id) => Db.QueryAsync(Factory, db => db.UserSessions.Where(s => s.Id == id).Select(s => s.EndedAt).SingleAsync(Ct));

    [Fact]
    public async Task Lists_ThisBrowserFirst_EndsAnother()
    {
        var page = Render<SessionsPage>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=session-browser]").Count));

        var browsers = page.FindAll("[data-testid=session-browser]").Select(e => e.TextContent).ToList();
        Assert.Equal(["Chrome 156 on Linux", "Safari 18 on iOS"], browsers);
        Assert.Single(page.FindAll("[data-testid=session-current]"));
        // Only the other session has a sign-out button: this one signs out with the app bar's button.
        var end = Assert.Single(page.FindAll("[data-testid=end-session]"));
        Assert.Equal("Sign out Safari 18 on iOS at 203.0.113.20", end.GetAttribute("aria-label"));

        end.Click();

        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=session-browser]")));
        Assert.NotNull(await EndedAtAsync(_phone));
        Assert.Null(await EndedAtAsync(_current));
    }

    [Fact]
    public async Task SignOutEverywhere_AsksFirst_ThenEndsAll_AndGoesToSignIn()
    {
        var dialogs = Render<MudDialogProvider>();
        var page = Render<SessionsPage>();
        page.WaitForElement("[data-testid=sign-out-everywhere]").Click();
        // Nothing ends before the confirmation.
        dialogs.WaitForElement("[data-testid=confirm-end-sessions]");
        Assert.Null(await EndedAtAsync(_phone));

        dialogs.Find("[data-testid=confirm-end-sessions]").Click();

        var nav = Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.EndsWith("/account/login", nav.Uri));
        Assert.NotNull(await EndedAtAsync(_phone));
        Assert.NotNull(await EndedAtAsync(_current));
    }

    [Fact]
    public async Task NoRecordedSessions_SaysWhy()
    {
        await Db.QueryAsync(Factory, db => db.UserSessions.Where(s => s.UserId == _userId).ExecuteDeleteAsync(Ct));
        var page = Render<SessionsPage>();
        page.WaitForElement("[data-testid=sessions-empty]");
        Assert.NotNull(page.Find("[data-testid=sign-out-everywhere]"));
    }
}
