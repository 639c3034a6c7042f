using System.Net;
using OpsConsole.Tests.Infrastructure;

namespace OpsConsole.Tests.Features.Users;

public sealed class SignInTests : IntegrationTest
{


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
        Assert.Contains("E-mail or password is wrong.", html);
        Assert.DoesNotContain("not the password!!", html);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("opsconsole.auth=")));
    }

    [Fact]
    public async Task SignIn_UnknownUserAndSystemUser_SameGenericError()
    {
        foreach (var email in new[] { "nobody@example.com", "system@opsconsole.local" })
        {
            var response = await SignIn.PostLoginAsync(SignIn.Anonymous(Factory), email, "whatever password");
            Assert.Contains("E-mail or password is wrong.", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
    }

    [Fact]
    public async Task SignIn_FiveWrongPasswords_LocksEvenTheRightOne()
    {
        for (var i = 0; i < 5; i++)
        {
            await SignIn.PostLoginAsync(SignIn.Anonymous(Factory), TestUsers.OnCall, "wrong password " + i);
        }
        var response = await SignIn.PostLoginAsync(SignIn.Anonymous(Factory), TestUsers.OnCall, TestUsers.Password);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("locked after too many failed sign-ins", html);
        Assert.Contains("(15 min)", html);
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
