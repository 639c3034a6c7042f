using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Users;

namespace OpsConsole.Tests.Features.Users;

[Trait("Category", "Integration")]
public sealed class SignInTests : IntegrationTest
{
    // Documentation ranges (RFC 5737): addresses that belong to nobody.
    private const string Attacker = "203.0.113.66";
    private const string Victim = "198.51.100.7";
    private const string WrongMessage = "E-mail or password is wrong, or the account is locked. Try again later or ask an Admin.";

    private static async Task<string> LoginErrorAsync(HttpResponseMessage response)
    {
        var html = await response.Content.ReadAsStringAsync();
        var match = System.Text.RegularExpressions.Regex.Match(html, "data-testid=\"login-error\"[^>]*>([^<]*)<");
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : $"(no message; {(int)response.StatusCode})";
    }

    [Fact]
    public async Task SignIn_RightPassword_SetsHardenedCookieAndRedirectsToReturnUrl()
    {
        var client = SignIn.Anonymous(Factory);
        var form = await client.GetStringAsync("/account/login?ReturnUrl=%2Faudit", TestContext.Current.CancellationToken);
        var response = await client.PostAsync("/account/login?ReturnUrl=%2Faudit", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = SignIn.AntiforgeryToken(form),
            ["Input.Email"] = TestUsers.Owner,
            ["Input.Password"] = TestUsers.Password,
        }), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(new Uri("http://localhost/audit"), response.Headers.Location);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("opsconsole.auth="));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    public async Task SignIn_ForeignReturnUrl_GoesHome(string returnUrl)
    {
        var client = SignIn.Anonymous(Factory);
        var url = "/account/login?ReturnUrl=" + Uri.EscapeDataString(returnUrl);
        var form = await client.GetStringAsync(url, TestContext.Current.CancellationToken);
        var response = await client.PostAsync(url, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = SignIn.AntiforgeryToken(form),
            ["Input.Email"] = TestUsers.Viewer,
            ["Input.Password"] = TestUsers.Password,
        }), TestContext.Current.CancellationToken);
        Assert.Equal(new Uri("http://localhost/"), response.Headers.Location);
    }

    [Fact]
    public async Task SignIn_WrongPassword_GenericErrorNoCookie()
    {
        var client = SignIn.Anonymous(Factory);
        var response = await SignIn.PostLoginAsync(client, TestUsers.Viewer, "not the password!!");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains(WrongMessage, WebUtility.HtmlDecode(html));
        Assert.DoesNotContain("not the password!!", html);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("opsconsole.auth=")));
    }

    [Fact]
    public async Task SignIn_UnknownUserAndSystemUser_SameGenericError()
    {
        foreach (var email in new[] { "nobody@example.com", "system@opsconsole.local" })
        {
            var response = await SignIn.PostLoginAsync(SignIn.Anonymous(Factory), email, "whatever password");
            Assert.Equal(WrongMessage, await LoginErrorAsync(response));
        }
    }

    [Fact]
    public async Task SignIn_FiveWrongPasswordsFromOneAddress_RefusesEvenTheRightOneThere()
    {
        var attacker = SignIn.Anonymous(Factory, Attacker);
        for (var i = 0; i < 5; i++)
        {
            await SignIn.PostLoginAsync(attacker, TestUsers.OnCall, "wrong password " + i);
        }
        var response = await SignIn.PostLoginAsync(attacker, TestUsers.OnCall, TestUsers.Password);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(WrongMessage, await LoginErrorAsync(response));
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("opsconsole.auth=")));
    }

    [Fact]
    public async Task SignIn_AttackerFailsFromOneAddress_VictimStillSignsInFromAnother()
    {
        var attacker = SignIn.Anonymous(Factory, Attacker);
        for (var i = 0; i < 8; i++)
        {
            await SignIn.PostLoginAsync(attacker, TestUsers.Admin, "guess number " + i);
        }
        var victim = await SignIn.PostLoginAsync(SignIn.Anonymous(Factory, Victim), TestUsers.Admin, TestUsers.Password);
        Assert.Equal(HttpStatusCode.Redirect, victim.StatusCode);
        Assert.Contains(victim.Headers.GetValues("Set-Cookie"), c => c.StartsWith("opsconsole.auth="));
    }

    [Fact]
    public async Task SignIn_ManyFailuresFromManyAddresses_LockAccountEverywhere()
    {
        // Against guessing spread over many addresses the account-wide lock stays (50 failures by default).
        for (var source = 1; source <= 10; source++)
        {
            var client = SignIn.Anonymous(Factory, $"192.0.2.{source}");
            for (var i = 0; i < 5; i++)
            {
                await SignIn.PostLoginAsync(client, TestUsers.Reviewer, $"guess {source}-{i}");
            }
        }
        var response = await SignIn.PostLoginAsync(SignIn.Anonymous(Factory, Victim), TestUsers.Reviewer, TestUsers.Password);
        Assert.Equal(WrongMessage, await LoginErrorAsync(response));
        var user = await Factory.Services.CreateScope().ServiceProvider.GetRequiredService<UserManager<AppUser>>().FindByEmailAsync(TestUsers.Reviewer);
        Assert.True(user!.LockoutEnd > DateTimeOffset.UtcNow.AddMinutes(14));
    }

    [Fact]
    public async Task SignIn_WrongUnknownSourceLockedAccountLockedAndAdminLocked_SameMessage()
    {
        var wrong = await LoginErrorAsync(await SignIn.PostLoginAsync(SignIn.Anonymous(Factory, Victim), TestUsers.Viewer, "not the password!!"));
        var unknown = await LoginErrorAsync(await SignIn.PostLoginAsync(SignIn.Anonymous(Factory, Victim), "nobody@example.com", "whatever password"));

        var attacker = SignIn.Anonymous(Factory, Attacker);
        for (var i = 0; i < 6; i++)
        {
            await SignIn.PostLoginAsync(attacker, TestUsers.Owner, "wrong password " + i);
        }
        var sourceLocked = await LoginErrorAsync(await SignIn.PostLoginAsync(attacker, TestUsers.Owner, TestUsers.Password));

        using var scope = Factory.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        await users.SetLockoutEndDateAsync((await users.FindByEmailAsync(TestUsers.OnCall))!, DateTimeOffset.UtcNow.AddMinutes(15));
        var accountLocked = await LoginErrorAsync(await SignIn.PostLoginAsync(SignIn.Anonymous(Factory, Victim), TestUsers.OnCall, TestUsers.Password));
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        await Factory.Services.GetRequiredService<UserAdminService>().SetLockedAsync(await Principals.IdOfAsync(Factory, TestUsers.Owner2), true, admin, CancellationToken.None);
        var adminLocked = await LoginErrorAsync(await SignIn.PostLoginAsync(SignIn.Anonymous(Factory, Victim), TestUsers.Owner2, TestUsers.Password));

        Assert.Equal(WrongMessage, wrong);
        Assert.All(new[] { unknown, sourceLocked, accountLocked, adminLocked }, m => Assert.Equal(wrong, m));
    }

    [Fact]
    public async Task SignIn_MoreAttemptsThanTheLimitFromOneAddress_429WithRetryAfterOnTheSignInPage()
    {
        var client = SignIn.Anonymous(Factory, Attacker);
        for (var i = 0; i < 10; i++)
        {
            // Different accounts: the throttle counts attempts per address, whatever the account.
            var allowed = await SignIn.PostLoginAsync(client, $"user{i}@example.com", "some password here");
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }
        var response = await SignIn.PostLoginAsync(client, TestUsers.Viewer, TestUsers.Password);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 and <= 60 }, $"Retry-After: {response.Headers.RetryAfter}");
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("Too many sign-in attempts", WebUtility.HtmlDecode(html));
        Assert.Contains("data-testid=\"login-submit\"", html);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("opsconsole.auth=")));
        // Someone else is not held back by this address's attempts.
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn.PostLoginAsync(SignIn.Anonymous(Factory, Victim), TestUsers.Viewer, TestUsers.Password)).StatusCode);
    }

    [Fact]
    public async Task SignIn_PostWithoutAntiforgeryToken_Rejected()
    {
        var client = SignIn.Anonymous(Factory);
        var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["Input.Email"] = TestUsers.Admin,
            ["Input.Password"] = TestUsers.Password,
        }), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task SignOut_WithToken_EndsSession()
    {
        var client = await SignIn.AsAsync(Factory, TestUsers.Viewer);
        var page = await client.GetStringAsync("/paths", TestContext.Current.CancellationToken);
        var response = await client.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = SignIn.AntiforgeryToken(page),
        }), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var after = await client.GetAsync("/paths", TestContext.Current.CancellationToken);
        Assert.Contains("/account/login", after.Headers.Location!.ToString());
    }

    [Fact]
    public async Task Responses_CarrySecurityHeaders()
    {
        var response = await SignIn.Anonymous(Factory).GetAsync("/account/login", TestContext.Current.CancellationToken);
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("object-src 'none'", csp);
        Assert.Contains("script-src 'self';", csp);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("strict-origin-when-cross-origin", response.Headers.GetValues("Referrer-Policy").Single());
    }

    [Fact]
    public async Task HealthReady_MigratedDatabase_Healthy()
    {
        var response = await SignIn.Anonymous(Factory).GetAsync("/health/ready", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
