using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Users;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Features.Users;

/// <summary>Two-factor sign-in through the real pages: enrolment, the second step, recovery codes, lockout, admin reset, secrets at rest.</summary>
[Trait("Category", "Integration")]
public sealed partial class MfaSignInTests : IntegrationTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex("data-testid=\"mfa-error\"[^>]*>([^<]*)<")]
    private static partial Regex ErrorPattern();

    /// <summary>The admin enrolled (by the first sign-in), and a fresh browser at the second step.</summary>
    private async Task<(HttpClient Browser, string SecondStepUrl)> AtSecondStepAsync(string email = TestUsers.Admin)
    {
        if (Factory.Authenticators.KeyOf(email) is null)
        {
            (await SignIn.AsAsync(Factory, email)).Dispose();
        }
        var (browser, _) = SignIn.NewClient(Factory);
        var response = await SignIn.PostLoginAsync(browser, email, TestUsers.Password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.Equal("/account/login-2fa", location.IsAbsoluteUri ? location.AbsolutePath : location.OriginalString.Split('?')[0]);
        return (browser, location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString);
    }

    private static async Task<HttpResponseMessage> PostCodeAsync(HttpClient browser, string url, string code, bool recovery = false)
    {
        url = recovery ? url + "&recovery=true" : url;
        var page = await browser.GetStringAsync(url, Ct);
        return await browser.PostAsync(url, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "second-step",
            ["__RequestVerificationToken"] = SignIn.AntiforgeryToken(page),
            ["Input.Code"] = code,
        }), Ct);
    }

    private static async Task<string?> ErrorOfAsync(HttpResponseMessage response)
    {
        var m = ErrorPattern().Match(await response.Content.ReadAsStringAsync(Ct));
        return m.Success ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;
    }

    [Fact]
    public async Task AdminWithoutMfa_SignsInWithPassword_IsSentToEnrolmentForEveryPage()
    {
        var browser = await SignIn.PasswordOnlyAsync(Factory, TestUsers.Admin);

        var home = await browser.GetAsync("/admin/users", Ct);

        Assert.Equal(HttpStatusCode.Redirect, home.StatusCode);
        Assert.Equal("/account/mfa?returnUrl=%2Fadmin%2Fusers", home.Headers.Location!.OriginalString);
        var page = await browser.GetStringAsync("/account/mfa", Ct);
        Assert.Contains("data-testid=\"mfa-qr\"", page);
        Assert.Contains("src=\"data:image/png;base64,", page);
        Assert.Contains("Your role needs a second factor", page);
    }

    [Fact]
    public async Task AdminWithoutMfa_Api_Gets403ProblemSayingEnrolmentIsRequired()
    {
        var browser = await SignIn.PasswordOnlyAsync(Factory, TestUsers.Admin);

        var response = await browser.GetAsync("/api/v1/audit/verify", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("enrolment is required", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Enrolment_ThenAdminPages_Open()
    {
        var admin = await SignIn.AsAsync(Factory, TestUsers.Admin);

        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/admin/users", Ct)).StatusCode);
        Assert.Equal(10, Factory.Authenticators.RecoveryCodesOf(TestUsers.Admin).Count);
        var after = await admin.GetStringAsync("/account/mfa", Ct);
        // Shown once: the page now counts them and shows none of them.
        Assert.Contains("10 of 10 recovery codes left", after);
        Assert.DoesNotContain(Factory.Authenticators.RecoveryCodesOf(TestUsers.Admin)[0], after);
        Assert.DoesNotContain("data-testid=\"mfa-key\"", after);
    }

    [Fact]
    public async Task Enrolment_WrongCode_SaysSoAndStaysOff()
    {
        var browser = await SignIn.PasswordOnlyAsync(Factory, TestUsers.Admin);
        var page = await browser.GetStringAsync("/account/mfa", Ct);

        var response = await browser.PostAsync("/account/mfa", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "enable",
            ["__RequestVerificationToken"] = SignIn.AntiforgeryToken(page),
            ["Enable.Code"] = "000000",
        }), Ct);

        Assert.Contains("That code is not right", await response.Content.ReadAsStringAsync(Ct));
        Assert.False(await Db.QueryAsync(Factory, db => db.Users.Where(u => u.Email == TestUsers.Admin).Select(u => u.TwoFactorEnabled).SingleAsync(Ct)));
    }

    [Fact]
    public async Task SecondStep_RightCode_SignsIn()
    {
        var (browser, url) = await AtSecondStepAsync();

        var response = await PostCodeAsync(browser, url, await Factory.Authenticators.NextCodeAsync(TestUsers.Admin));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/admin/users", Ct)).StatusCode);
    }

    [Fact]
    public async Task SecondStep_CodeAlreadyUsed_IsRefused()
    {
        var (browser, url) = await AtSecondStepAsync();
        var key = Factory.Authenticators.KeyOf(TestUsers.Admin)!;
        var code = await Factory.Authenticators.NextCodeAsync(TestUsers.Admin);
        Assert.Equal(HttpStatusCode.Redirect, (await PostCodeAsync(browser, url, code)).StatusCode);

        var (again, againUrl) = await AtSecondStepAsync();
        var replay = await PostCodeAsync(again, againUrl, code);

        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal(LoginTwoFactorRefused, await ErrorOfAsync(replay));
        // The code's neighbour one step back is older than the one used: spent as well.
        var step = TestTotp.StepAt(DateTimeOffset.UtcNow);
        var older = await PostCodeAsync(again, againUrl, TestTotp.CodeAt(key, step - 1));
        Assert.Equal(LoginTwoFactorRefused, await ErrorOfAsync(older));
    }

    private const string LoginTwoFactorRefused = "That code is not valid, was already used, or the account is locked. Try again, or ask an Admin.";

    [Fact]
    public async Task SecondStep_FiveWrongCodes_LockTheAccount_EvenTheRightCodeIsRefused()
    {
        var (browser, url) = await AtSecondStepAsync();

        for (var i = 0; i < MfaSignIn.MaxWrongCodes; i++)
        {
            var wrong = await PostCodeAsync(browser, url, "00000" + i);
            Assert.Equal(LoginTwoFactorRefused, await ErrorOfAsync(wrong));
        }
        var right = await PostCodeAsync(browser, url, await Factory.Authenticators.NextCodeAsync(TestUsers.Admin));

        Assert.Equal(LoginTwoFactorRefused, await ErrorOfAsync(right));
        var lockedUntil = await Db.QueryAsync(Factory, db => db.Users.Where(u => u.Email == TestUsers.Admin).Select(u => u.LockoutEnd).SingleAsync(Ct));
        Assert.True(lockedUntil > DateTimeOffset.UtcNow.AddMinutes(10));
    }

    [Fact]
    public async Task SecondStep_FourWrongCodesThenRight_SignsInAndStartsCountingAgain()
    {
        var (browser, url) = await AtSecondStepAsync();
        for (var i = 0; i < MfaSignIn.MaxWrongCodes - 1; i++)
        {
            await PostCodeAsync(browser, url, "99999" + i);
        }

        var right = await PostCodeAsync(browser, url, await Factory.Authenticators.NextCodeAsync(TestUsers.Admin));

        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        Assert.Null(await Db.QueryAsync(Factory, db => db.Users.Where(u => u.Email == TestUsers.Admin).Select(u => u.LockoutEnd).SingleAsync(Ct)));
    }

    [Fact]
    public async Task SecondStep_RecoveryCode_SignsInOnce_ReplayIsRefused()
    {
        var (browser, url) = await AtSecondStepAsync();
        var code = Factory.Authenticators.RecoveryCodesOf(TestUsers.Admin)[3];

        // As typed from paper: lower case, without the dash.
        var first = await PostCodeAsync(browser, url, code.ToLowerInvariant().Replace("-", "", StringComparison.Ordinal), recovery: true);
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/admin/users", Ct)).StatusCode);

        var (again, againUrl) = await AtSecondStepAsync();
        var replay = await PostCodeAsync(again, againUrl, code, recovery: true);

        Assert.Equal(LoginTwoFactorRefused, await ErrorOfAsync(replay));
        Assert.Contains("9 of 10 recovery codes left", await (await SignIn.AsAsync(Factory, TestUsers.Admin)).GetStringAsync("/account/mfa", Ct));
    }

    [Fact]
    public async Task SecondStep_WithoutRightPassword_SendsToSignIn()
    {
        var browser = SignIn.Anonymous(Factory);

        var response = await browser.GetAsync("/account/login-2fa?returnUrl=%2F&rememberMe=false", Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.EndsWith("/account/login", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task RememberedBrowser_SkipsTheSecondStep_OtherBrowserDoesNot()
    {
        (await SignIn.AsAsync(Factory, TestUsers.Admin)).Dispose();
        (await SignIn.AsAsync(Factory, TestUsers.Admin)).Dispose();
        var remembered = Factory.Authenticators.RememberedCookie(TestUsers.Admin);
        Assert.NotNull(remembered);

        var (browser, cookies) = SignIn.NewClient(Factory);
        cookies.Add(remembered);
        var response = await SignIn.PostLoginAsync(browser, TestUsers.Admin, TestUsers.Password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.DoesNotContain("login-2fa", response.Headers.Location!.OriginalString);

        var (stranger, _) = SignIn.NewClient(Factory);
        var other = await SignIn.PostLoginAsync(stranger, TestUsers.Admin, TestUsers.Password);
        Assert.Contains("/account/login-2fa", other.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Tokens_AtRest_HoldNeitherTheKeyNorAnyRecoveryCodeInClear()
    {
        (await SignIn.AsAsync(Factory, TestUsers.Admin)).Dispose();
        var key = Factory.Authenticators.KeyOf(TestUsers.Admin)!;
        var codes = Factory.Authenticators.RecoveryCodesOf(TestUsers.Admin);
        var id = await Principals.IdOfAsync(Factory, TestUsers.Admin);

        var rows = await Db.QueryAsync(Factory, db => db.UserTokens.AsNoTracking().Where(t => t.UserId == id).ToListAsync(Ct));

        Assert.Contains(rows, r => r.Name == "AuthenticatorKey" && r.Value!.StartsWith(SecretProtector.Prefix, StringComparison.Ordinal));
        Assert.Contains(rows, r => r.Name == "RecoveryCodes" && r.Value!.Split(';').Length == 10);
        var all = string.Join("\n", rows.Select(r => r.Value)).ToUpperInvariant();
        Assert.DoesNotContain(key.ToUpperInvariant(), all);
        foreach (var code in codes)
        {
            Assert.DoesNotContain(code.ToUpperInvariant(), all);
            Assert.DoesNotContain(code.Replace("-", "", StringComparison.Ordinal).ToUpperInvariant(), all);
        }
    }

    [Fact]
    public async Task AdminReset_UserMustEnrolAgain_AuditedAndOldCodesDead()
    {
        (await SignIn.AsAsync(Factory, TestUsers.Admin)).Dispose();
        var oldKey = Factory.Authenticators.KeyOf(TestUsers.Admin)!;
        var owner2 = await Principals.ForAsync(Factory, TestUsers.Owner2);
        // Owner2 is no admin and is refused; an admin acts (the service checks the role).
        var actor = Principals.Admin("second-admin");
        var service = Factory.Services.GetRequiredService<UserAdminService>();
        var id = await Principals.IdOfAsync(Factory, TestUsers.Admin);

        Assert.False((await service.ResetAuthenticatorAsync(id, owner2, Ct)).Succeeded);
        Assert.True((await service.ResetAuthenticatorAsync(id, actor, Ct)).Succeeded);

        var audit = await Db.QueryAsync(Factory, db => db.AuditEntries.Where(a => a.Action == "user.mfa-reset" && a.TargetId == id).ToListAsync(Ct));
        Assert.Single(audit);
        var browser = await SignIn.PasswordOnlyAsync(Factory, TestUsers.Admin);
        var home = await browser.GetAsync("/", Ct);
        Assert.StartsWith("/account/mfa", home.Headers.Location!.OriginalString);
        var page = await browser.GetStringAsync("/account/mfa", Ct);
        Assert.DoesNotContain(string.Join(' ', oldKey.ToLowerInvariant().Chunk(4).Select(c => new string(c))), page);
        var tokens = await Db.QueryAsync(Factory, db => db.UserTokens.Where(t => t.UserId == id && t.Name == "RecoveryCodes").CountAsync(Ct));
        Assert.Equal(0, tokens);
    }

    [Fact]
    public async Task Provider_ControlledClock_WindowAndSingleUse()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_015));
        var provider = new AuthenticatorCodeProvider(clock);
        await using var scope = Factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = (await users.FindByEmailAsync(TestUsers.Viewer))!;
        await users.ResetAuthenticatorKeyAsync(user);
        var key = (await users.GetAuthenticatorKeyAsync(user))!;
        var step = TestTotp.StepAt(clock.GetUtcNow());
        Task<bool> Valid(long s) => provider.ValidateAsync("TwoFactor", TestTotp.CodeAt(key, s), users, user);

        Assert.False(await Valid(step + 2));
        Assert.True(await Valid(step - 1));
        Assert.False(await Valid(step - 1));
        Assert.True(await Valid(step + 1));
        Assert.False(await Valid(step));
        clock.Advance(TimeSpan.FromSeconds(60));
        Assert.True(await Valid(step + 2));
    }
}
