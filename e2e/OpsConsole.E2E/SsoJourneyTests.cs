using System.Diagnostics;

namespace OpsConsole.E2E;

/// <summary>
/// The test OpenID Connect provider and a console configured to use it: the client secret is
/// protected with the console's own `protect-secret oidc` first, so the sign-in works only if the
/// verb's value opens in the console.
/// </summary>
public class SsoFixture : IAsyncLifetime
{
    private const string ClientSecret = "e2e-client-secret-4b9d-71c2";

    private readonly string _dataDir = Directory.CreateTempSubdirectory("opsconsole-e2e-sso").FullName;
    private ConsoleProcess? _app;
    private IPlaywright? _playwright;

    public TestIdpProcess Idp { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public string BaseUrl { get; private set; } = "";
    public string ProtectedSecret { get; private set; } = "";
    public string AppLog => _app?.Log ?? "";

    /// <summary>The issuer the provider claims to be; null for its own address.</summary>
    protected virtual string? IdpIssuer => null;

    public async ValueTask InitializeAsync()
    {
        var consolePort = ConsoleProcess.FreePort();
        var idpPort = ConsoleProcess.FreePort();
        while (idpPort == consolePort)
        {
            idpPort = ConsoleProcess.FreePort();
        }
        Idp = await TestIdpProcess.StartAsync(idpPort, $"http://127.0.0.1:{consolePort}/signin-oidc", ClientSecret, IdpIssuer);

        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__OpsConsole"] = $"Data Source={Path.Combine(_dataDir, "opsconsole.db")}",
            ["OpsConsole__Demo__Enabled"] = "true",
            ["OpsConsole__Demo__Traffic__HistoryDays"] = "0",
            ["OpsConsole__Demo__Canary"] = "false",
            ["OpsConsole__SignIn__AttemptsPerMinute"] = "60",
        };
        ProtectedSecret = await ProtectSecretAsync(environment, ClientSecret);
        environment["OpsConsole__Sso__Enabled"] = "true";
        environment["OpsConsole__Sso__DisplayName"] = "Contoso";
        environment["OpsConsole__Sso__Authority"] = Idp.Authority;
        environment["OpsConsole__Sso__RequireHttpsMetadata"] = "false";
        environment["OpsConsole__Sso__ClientId"] = TestIdpProcess.ClientId;
        environment["OpsConsole__Sso__ProtectedClientSecret"] = ProtectedSecret;
        environment["OpsConsole__Sso__Scopes__0"] = "openid";
        environment["OpsConsole__Sso__Scopes__1"] = "profile";
        environment["OpsConsole__Sso__Scopes__2"] = "email";
        environment["OpsConsole__Sso__Scopes__3"] = "groups";
        environment["OpsConsole__Sso__GroupRoles__ops-oncall"] = "OnCall";
        environment["OpsConsole__Sso__GroupRoles__ops-owners"] = "PathOwner";
        environment["OpsConsole__Sso__AllowedEmailDomains__0"] = "contoso.test";
        // The demo accounts' domain, for the provider's users who carry a demo account's address.
        environment["OpsConsole__Sso__AllowedEmailDomains__1"] = "opsconsole.local";
        _app = await ConsoleProcess.StartAsync(environment, port: consolePort);
        BaseUrl = _app.BaseUrl;
        (_playwright, Browser) = await AppFixture.LaunchChromiumAsync();
    }

    /// <summary>Runs `protect-secret oidc` against the console's database and key ring, the secret on standard input.</summary>
    private static async Task<string> ProtectSecretAsync(IReadOnlyDictionary<string, string> environment, string secret)
    {
        var psi = new ProcessStartInfo("dotnet", [AppFixture.WebDll, "protect-secret", "oidc"])
        {
            WorkingDirectory = AppFixture.WebDir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["OpsConsole__Jobs__Enabled"] = "false";
        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }
        using var process = Process.Start(psi)!;
        await process.StandardInput.WriteAsync(secret);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        var output = (await stdout).Trim();
        if (process.ExitCode != 0 || !output.StartsWith("dp1:", StringComparison.Ordinal) || output.Contains('\n') || output.Contains(secret, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"protect-secret oidc exited with {process.ExitCode}:\n{output}\n{await stderr}");
        }
        return output;
    }

    public async Task<IPage> NewPageAsync(int width = 1280, int height = 800)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseUrl, ViewportSize = new() { Width = width, Height = height } });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        _playwright?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
        if (Idp is not null)
        {
            await Idp.DisposeAsync();
        }
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A provider that signs its tokens as another issuer than the authority the console was given.</summary>
public sealed class SsoWrongIssuerFixture : SsoFixture
{
    protected override string? IdpIssuer => "http://idp.elsewhere.test/";
}

public static class SsoPageExtensions
{
    /// <summary>Clicks "Sign in with Contoso" and signs in at the provider's form as <paramref name="user"/>.</summary>
    public static async Task SignInThroughProviderAsync(this IPage page, SsoFixture app, string user, string returnUrl = "/")
    {
        await page.GotoAsync("/account/login?ReturnUrl=" + Uri.EscapeDataString(returnUrl));
        await page.ClickAsync("[data-testid=sso-signin]");
        try
        {
            await page.WaitForURLAsync(url => url.StartsWith(app.Idp.Authority + "login", StringComparison.Ordinal));
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"Not at the provider's sign-in form but at {page.Url}:\n{app.AppLog[^Math.Min(app.AppLog.Length, 4000)..]}\n{app.Idp.Log[^Math.Min(app.Idp.Log.Length, 4000)..]}", ex);
        }
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", TestIdpProcess.UserPassword);
        await page.ClickAsync("#idp-submit");
    }
}

public sealed class SsoJourneyTests(SsoFixture app) : IClassFixture<SsoFixture>
{
    /// <summary>Signs in at the provider as <paramref name="user"/>, is sent back to the sign-in page with the refusal's <paramref name="code"/>, and reads the message shown.</summary>
    private async Task<(IPage Page, string? Message)> SignInRefusedAsync(string user, string code)
    {
        var page = await app.NewPageAsync();
        await page.SignInThroughProviderAsync(app, user);
        await page.WaitForURLAsync($"**/account/login?sso={code}");
        return (page, await page.Locator("[data-testid=login-error]").TextContentAsync());
    }

    /// <summary>Back at the incidents page, signed in as <paramref name="email"/>, with exactly the OnCall navigation.</summary>
    private async Task AtIncidentsAsOnCallAsync(IPage page, string email)
    {
        await page.WaitForURLAsync(url => url.StartsWith(app.BaseUrl + "/incidents", StringComparison.Ordinal));
        await page.WaitForInteractiveAsync();
        Assert.Equal(email, (await page.Locator("[data-testid=signed-in-user]").TextContentAsync())?.Trim());
        var nav = await page.Locator("[data-nav]").EvaluateAllAsync<string[]>("els => els.map(e => e.getAttribute('data-nav'))");
        // Exactly what the demo's on-call user sees (SignInJourneyTests): the OnCall role and nothing more.
        Assert.Equal(["paths", "incidents", "settings"], nav);
    }

    [Fact]
    public async Task SsoSignIn_OnCallGroup_LandsSignedInWithTheOnCallNavigation()
    {
        var page = await app.NewPageAsync();

        await page.SignInThroughProviderAsync(app, "alice", "/incidents");

        await AtIncidentsAsOnCallAsync(page, "alice@contoso.test");
        await page.GotoAsync("/admin/users");
        Assert.Contains("/account/access-denied", page.Url);
        Assert.Contains("alice@contoso.test signed in by single sign-on", app.AppLog);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SsoSignIn_NoMappedGroup_RefusedWithAMessageOnTheSignInPage()
    {
        var (page, message) = await SignInRefusedAsync("nina", "no-role");

        Assert.Contains("None of your groups gives access to OpsConsole", message);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SsoSignIn_EmailOutsideTheAllowedDomains_Refused()
    {
        var (page, message) = await SignInRefusedAsync("eve", "domain");

        Assert.Contains("not from a domain allowed", message);
        await page.Context.CloseAsync();
    }

    /// <summary>
    /// A real token whose nonce is not the one this browser was given. The provider's sign-in form posts back the
    /// authorization request it was reached from (a redirect, which Playwright does not route); the post is
    /// rewritten on its way, so the provider signs an id_token carrying another nonce and only the nonce is wrong.
    /// </summary>
    [Fact]
    public async Task SsoSignIn_IdTokenWithAnotherNonce_RefusedAndLogged()
    {
        var page = await app.NewPageAsync();
        var rewritten = 0;
        await page.Context.RouteAsync(url => url.StartsWith(app.Idp.Authority + "login", StringComparison.Ordinal), async route =>
        {
            if (route.Request.Method != "POST")
            {
                await route.ContinueAsync();
                return;
            }
            var form = System.Web.HttpUtility.ParseQueryString(route.Request.PostData ?? "");
            var returnUrl = form["returnUrl"] ?? "";
            var query = System.Web.HttpUtility.ParseQueryString(returnUrl[(returnUrl.IndexOf('?') + 1)..]);
            Assert.False(string.IsNullOrEmpty(query["nonce"]), "The console sent no nonce: " + returnUrl);
            query["nonce"] = "forged-nonce-" + Guid.NewGuid().ToString("N");
            form["returnUrl"] = returnUrl[..returnUrl.IndexOf('?')] + "?" + query;
            Interlocked.Increment(ref rewritten);
            await route.ContinueAsync(new() { PostData = System.Text.Encoding.UTF8.GetBytes(form.ToString()!) });
        });
        var logBefore = app.AppLog.Length;

        await page.SignInThroughProviderAsync(app, "alice");
        try
        {
            await page.WaitForURLAsync("**/account/login?sso=failed");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"Not refused ({rewritten} rewritten) but at {page.Url}:\n{app.AppLog[logBefore..]}\n{app.Idp.Log[^Math.Min(app.Idp.Log.Length, 3000)..]}", ex);
        }

        Assert.True(rewritten >= 1);
        Assert.Contains("Single sign-on did not complete", await page.Locator("[data-testid=login-error]").TextContentAsync());
        var log = app.AppLog[logBefore..];
        Assert.Contains("Single sign-on callback refused", log);
        Assert.Contains("nonce", log, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("alice@contoso.test signed in by single sign-on", log);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SsoSignIn_ExistingAccountWithAVerifiedAddress_LinkedAndSignedIn()
    {
        var page = await app.NewPageAsync();

        await page.SignInThroughProviderAsync(app, "rita", "/incidents");

        // The demo reviewer's own account, now with the role its provider group maps to.
        await AtIncidentsAsOnCallAsync(page, "reviewer@opsconsole.local");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SsoSignIn_ExistingAccountWithAnUnverifiedAddress_RefusedNotLinked()
    {
        var (page, message) = await SignInRefusedAsync("mallory", "unverified");

        Assert.Contains("has not verified that address", message);
        Assert.Contains("has not verified the address (email_verified)", app.AppLog);
        await page.ScreenshotViewportAsync("signin-sso-unverified-1280");
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData(1280, 800, "signin-sso-1280")]
    [InlineData(390, 844, "signin-sso-390")]
    public async Task SignInPage_SsoOn_ShowsTheProviderButton(int width, int height, string screenshot)
    {
        var page = await app.NewPageAsync(width, height);
        await page.GotoAsync("/account/login");

        var button = page.Locator("[data-testid=sso-signin]");
        Assert.Equal("Sign in with Contoso", (await button.TextContentAsync())?.Trim());
        var box = await button.BoundingBoxAsync();
        Assert.NotNull(box);
        Assert.True(box.X >= 0 && box.X + box.Width <= width, $"The button is outside the {width} px viewport: {box.X}+{box.Width}");
        Assert.DoesNotContain(app.ProtectedSecret, await page.ContentAsync());
        await page.ScreenshotAsync(screenshot);
        await page.Context.CloseAsync();
    }
}

public sealed class SsoWrongIssuerJourneyTests(SsoWrongIssuerFixture app) : IClassFixture<SsoWrongIssuerFixture>
{
    [Fact]
    public async Task SsoSignIn_TokenFromAnUnexpectedIssuer_RefusedAndLogged()
    {
        var page = await app.NewPageAsync();

        await page.SignInThroughProviderAsync(app, "alice");
        try
        {
            await page.WaitForURLAsync("**/account/login?sso=failed");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"Not refused but at {page.Url}:\n{app.AppLog[^Math.Min(app.AppLog.Length, 3000)..]}\n{app.Idp.Log[^Math.Min(app.Idp.Log.Length, 3000)..]}", ex);
        }

        Assert.Contains("Single sign-on did not complete", await page.Locator("[data-testid=login-error]").TextContentAsync());
        Assert.Contains("Single sign-on callback refused", app.AppLog);
        Assert.Contains("Unexpected issuer 'http://idp.elsewhere.test/'", app.AppLog);
        await page.Context.CloseAsync();
    }
}
