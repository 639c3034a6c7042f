using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpsConsole.Tests.Features.Audit;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Sso;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Features.Sso;

/// <summary>
/// The console with SSO configured against a provider that is not there: everything up to and
/// after the provider's answer (accounts, the callback's refusals, the sign-in page, passwords off).
/// The sign-in through a real provider is the e2e journey (SsoJourneyTests).
/// </summary>
[Trait("Category", "Integration")]
public sealed class SsoIntegrationTests : IAsyncLifetime
{
    private readonly SsoFactory _factory = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class SsoFactory : OpsConsoleFactory
    {
        public SsoFactory()
        {
            // Port 1 on loopback refuses at once: a provider that cannot be reached.
            With("OpsConsole:Sso:Enabled", "true");
            With("OpsConsole:Sso:DisplayName", "Contoso");
            With("OpsConsole:Sso:Authority", "http://127.0.0.1:1/");
            With("OpsConsole:Sso:RequireHttpsMetadata", "false");
            With("OpsConsole:Sso:ClientId", "opsconsole");
            With("OpsConsole:Sso:ClientSecret", ClientSecret);
            With("OpsConsole:Sso:GroupRoles:ops-oncall", "OnCall");
            With("OpsConsole:Sso:GroupRoles:ops-owners", "PathOwner,Reviewer");
            With("OpsConsole:Sso:AllowedEmailDomains:0", "contoso.test");
            // The demo users' domain, so the bootstrap admin's refusal is for being the bootstrap admin.
            With("OpsConsole:Sso:AllowedEmailDomains:1", "opsconsole.local");
            With("OpsConsole:Sso:DisableLocalPasswords", "true");
            With("OpsConsole:Bootstrap:AdminEmail", TestUsers.Admin);
        }

        public const string ClientSecret = "never-shown-client-secret-7f3a";

        public AuditCheckpointJobTests.LogCapture Logs { get; } = new();

        protected override void ConfigureTestServices(IServiceCollection services) => services.AddSingleton<ILoggerProvider>(Logs);

        public bool Logged(LogLevel level, string fragment) =>
            Logs.Records.Any(r => r.Level == level && r.State.Any(kv => kv.Value?.ToString()?.Contains(fragment, StringComparison.Ordinal) == true
                || (kv.Key == "{OriginalFormat}" && kv.Value?.ToString()?.Contains(fragment, StringComparison.Ordinal) == true)));
    }

    public ValueTask InitializeAsync()
    {
        _factory.CreateClient().Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private SsoAccounts Accounts => _factory.Services.GetRequiredService<SsoAccounts>();

    private async Task<(AppUser? User, IList<string> Roles, IList<UserLoginInfo> Logins)> UserAsync(string email)
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = await users.FindByEmailAsync(email);
        return user is null ? (null, [], []) : (user, await users.GetRolesAsync(user), await users.GetLoginsAsync(user));
    }

    private async Task<List<string>> AuditActionsAsync(string userId)
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        return await db.AuditEntries.Where(e => e.TargetId == userId).OrderBy(e => e.Id).Select(e => e.Action).ToListAsync(Ct);
    }

    [Fact]
    public async Task ProvisionAsync_FirstSignIn_CreatesALinkedUserWithTheMappedRolesAndNoPassword()
    {
        var result = await Accounts.ProvisionAsync(new SsoIdentity("sub-alice", "alice@contoso.test", "Alice", ["staff", "ops-oncall"]), Ct);

        Assert.Equal(SsoRefusal.None, result.Refusal);
        var (user, roles, logins) = await UserAsync("alice@contoso.test");
        Assert.NotNull(user);
        Assert.Equal(result.UserId, user.Id);
        Assert.Equal("Alice", user.DisplayName);
        Assert.Null(user.PasswordHash);
        Assert.Equal([AppRoles.OnCall], roles);
        Assert.Equal(("oidc", "sub-alice"), (logins.Single().LoginProvider, logins.Single().ProviderKey));
        Assert.Equal(["user.create"], await AuditActionsAsync(user.Id));
    }

    [Fact]
    public async Task ProvisionAsync_GroupsChanged_ReSyncsRolesAndAuditsTheChange()
    {
        var first = await Accounts.ProvisionAsync(new SsoIdentity("sub-olga", "olga@contoso.test", "Olga", ["ops-oncall"]), Ct);
        var stamp = (await UserAsync("olga@contoso.test")).User!.SecurityStamp;

        var again = await Accounts.ProvisionAsync(new SsoIdentity("sub-olga", "olga@contoso.test", "Olga", ["ops-owners"]), Ct);
        var unchanged = await Accounts.ProvisionAsync(new SsoIdentity("sub-olga", "olga@contoso.test", "Olga", ["ops-owners"]), Ct);

        Assert.Equal(first.UserId, again.UserId);
        Assert.Equal(first.UserId, unchanged.UserId);
        var (user, roles, _) = await UserAsync("olga@contoso.test");
        Assert.Equal([AppRoles.PathOwner, AppRoles.Reviewer], roles.Order());
        Assert.NotEqual(stamp, user!.SecurityStamp);
        // One entry for the change; the sign-in that changed nothing wrote none.
        Assert.Equal(["user.create", "user.roles"], await AuditActionsAsync(user.Id));
    }

    [Fact]
    public async Task ProvisionAsync_NoGroupMapsAnyMore_RefusedAndTheAccountLocked()
    {
        await Accounts.ProvisionAsync(new SsoIdentity("sub-nina", "nina@contoso.test", "Nina", ["ops-oncall"]), Ct);
        var stamp = (await UserAsync("nina@contoso.test")).User!.SecurityStamp;

        var result = await Accounts.ProvisionAsync(new SsoIdentity("sub-nina", "nina@contoso.test", "Nina", ["staff"]), Ct);
        // Getting a group back does not undo the lock: an Admin unlocks.
        var later = await Accounts.ProvisionAsync(new SsoIdentity("sub-nina", "nina@contoso.test", "Nina", ["ops-oncall"]), Ct);

        Assert.Equal(SsoRefusal.NoMappedGroup, result.Refusal);
        Assert.Equal(SsoRefusal.Locked, later.Refusal);
        var user = (await UserAsync("nina@contoso.test")).User!;
        Assert.Equal(DateTimeOffset.MaxValue, user.LockoutEnd);
        Assert.NotEqual(stamp, user.SecurityStamp);
        Assert.Equal(["user.create", "user.lock"], await AuditActionsAsync(user.Id));
        Assert.True(_factory.Logged(LogLevel.Warning, "none of the groups"));
    }

    [Fact]
    public async Task ProvisionAsync_NewUserWithoutMappedGroup_RefusedAndNotCreated()
    {
        var result = await Accounts.ProvisionAsync(new SsoIdentity("sub-x", "x@contoso.test", "X", ["staff"]), Ct);

        Assert.Equal(SsoRefusal.NoMappedGroup, result.Refusal);
        Assert.Null((await UserAsync("x@contoso.test")).User);
    }

    [Fact]
    public async Task ProvisionAsync_EmailOutsideTheAllowedDomains_RefusedAndNotCreated()
    {
        var result = await Accounts.ProvisionAsync(new SsoIdentity("sub-eve", "eve@elsewhere.test", "Eve", ["ops-oncall"]), Ct);

        Assert.Equal(SsoRefusal.EmailNotAllowed, result.Refusal);
        Assert.Null((await UserAsync("eve@elsewhere.test")).User);
        Assert.True(_factory.Logged(LogLevel.Warning, "not in AllowedEmailDomains"));
    }

    [Fact]
    public async Task ProvisionAsync_BootstrapAdminEmail_RefusedAndItsRolesUntouched()
    {
        var result = await Accounts.ProvisionAsync(new SsoIdentity("sub-root", TestUsers.Admin, "Root", ["ops-oncall"]), Ct);

        Assert.Equal(SsoRefusal.NotForSso, result.Refusal);
        var (_, roles, logins) = await UserAsync(TestUsers.Admin);
        Assert.Contains(AppRoles.Admin, roles);
        Assert.Empty(logins);
    }

    [Fact]
    public async Task ProvisionAsync_ExistingAccountUnverifiedEmail_RefusedNotLinkedAndLogged()
    {
        // Anyone able to set this address at the provider would otherwise become the owner.
        var result = await Accounts.ProvisionAsync(new SsoIdentity("sub-mallory", TestUsers.Owner, "Mallory", ["ops-owners"], EmailVerified: false), Ct);

        Assert.Equal((SsoRefusal.EmailNotVerified, (string?)null), (result.Refusal, result.UserId));
        var (user, roles, logins) = await UserAsync(TestUsers.Owner);
        Assert.Empty(logins);
        Assert.NotEqual("Mallory", user!.DisplayName);
        Assert.DoesNotContain("user.sso-link", await AuditActionsAsync(user.Id));
        Assert.True(_factory.Logged(LogLevel.Warning, "has not verified the address"));
    }

    [Fact]
    public async Task ProvisionAsync_ExistingAccountVerifiedEmail_LinkedOnceWithTheMappedRoles()
    {
        var (before, beforeRoles, _) = await UserAsync(TestUsers.Reviewer);

        var first = await Accounts.ProvisionAsync(new SsoIdentity("sub-rita", TestUsers.Reviewer, "Rita R.", ["ops-oncall"], EmailVerified: true), Ct);
        var second = await Accounts.ProvisionAsync(new SsoIdentity("sub-rita", TestUsers.Reviewer, "Rita R.", ["ops-oncall"], EmailVerified: true), Ct);
        // The same address from another subject: the account is taken.
        var other = await Accounts.ProvisionAsync(new SsoIdentity("sub-someone-else", TestUsers.Reviewer, "X", ["ops-oncall"], EmailVerified: true), Ct);

        Assert.Equal((SsoRefusal.None, before!.Id), (first.Refusal, first.UserId));
        Assert.Equal((SsoRefusal.None, before.Id), (second.Refusal, second.UserId));
        Assert.Equal(SsoRefusal.NotForSso, other.Refusal);
        Assert.Contains(AppRoles.Reviewer, beforeRoles);
        var (_, roles, logins) = await UserAsync(TestUsers.Reviewer);
        Assert.Equal([AppRoles.OnCall], roles);
        Assert.Equal("sub-rita", logins.Single().ProviderKey);
        Assert.Single(await AuditActionsAsync(before.Id), a => a == "user.sso-link");
    }

    [Fact]
    public async Task ProvisionAsync_LinkUnverifiedEmailsOn_ExistingAccountLinked()
    {
        var settings = _factory.Services.GetRequiredService<SsoSettings>() with { LinkUnverifiedEmails = true };
        var accounts = ActivatorUtilities.CreateInstance<SsoAccounts>(_factory.Services, settings);

        var result = await accounts.ProvisionAsync(new SsoIdentity("sub-oscar", TestUsers.OnCall, "Oscar", ["ops-oncall"], EmailVerified: false), Ct);

        var (user, _, logins) = await UserAsync(TestUsers.OnCall);
        Assert.Equal((SsoRefusal.None, user!.Id), (result.Refusal, result.UserId));
        Assert.Equal("sub-oscar", logins.Single().ProviderKey);
    }

    [Fact]
    public async Task ProvisionAsync_ProviderChangesNameAndAddress_ProfileFollowsWhenVerifiedAndFree()
    {
        await Accounts.ProvisionAsync(new SsoIdentity("sub-paul", "paul@contoso.test", "Paul", ["ops-oncall"], EmailVerified: true), Ct);

        // New name, address not verified: the name follows, the address stays.
        await Accounts.ProvisionAsync(new SsoIdentity("sub-paul", "paul.new@contoso.test", "Paul Pan", ["ops-oncall"], EmailVerified: false), Ct);
        var (kept, _, _) = await UserAsync("paul@contoso.test");
        Assert.Equal("Paul Pan", kept!.DisplayName);
        Assert.True(_factory.Logged(LogLevel.Warning, "is not verified"));

        // An address another account holds: kept, logged.
        await Accounts.ProvisionAsync(new SsoIdentity("sub-paul", TestUsers.Viewer, "Paul Pan", ["ops-oncall"], EmailVerified: true), Ct);
        Assert.NotNull((await UserAsync("paul@contoso.test")).User);
        Assert.True(_factory.Logged(LogLevel.Warning, "belongs to another account"));

        // Verified and free: the account takes it, and signs in under it (user name too).
        var moved = await Accounts.ProvisionAsync(new SsoIdentity("sub-paul", "paul.new@contoso.test", "Paul Pan", ["ops-oncall"], EmailVerified: true), Ct);
        var (user, _, _) = await UserAsync("paul.new@contoso.test");
        Assert.Equal((kept.Id, kept.Id), (moved.UserId, user!.Id));
        Assert.Equal("paul.new@contoso.test", user.UserName);
        Assert.Null((await UserAsync("paul@contoso.test")).User);
        Assert.Equal(["user.create", "user.profile", "user.profile"], await AuditActionsAsync(user.Id));
    }

    [Fact]
    public async Task ProvisionAsync_HostileNameFromTheProvider_StoredCleanedOnCreateAndOnSync()
    {
        static System.Security.Claims.ClaimsPrincipal Token(string name) => new(new System.Security.Claims.ClaimsIdentity(
            [new("sub", "sub-hostile"), new("email", "hostile@contoso.test"), new("email_verified", "true"), new("name", name), new("groups", "ops-oncall")], "test"));
        var first = SsoIdentity.From(Token("H\u0000" + new string('x', 5000)), "groups")!;
        var again = SsoIdentity.From(Token("\u202eRenamed\ud800 " + new string('y', 300)), "groups")!;

        Assert.Equal(SsoRefusal.None, (await Accounts.ProvisionAsync(first, Ct)).Refusal);
        Assert.Equal(SsoRefusal.None, (await Accounts.ProvisionAsync(again, Ct)).Refusal);

        var (user, _, _) = await UserAsync("hostile@contoso.test");
        Assert.Equal(again.DisplayName, user!.DisplayName);
        Assert.True(user.DisplayName.Length <= 200);
        Assert.StartsWith("Renamed ", user.DisplayName);
    }

    [Fact]
    public async Task CompletePage_UnverifiedOutcome_ShowsItsMessage()
    {
        using var client = SignIn.Anonymous(_factory);
        var html = await client.GetStringAsync("/account/login?sso=unverified", Ct);

        Assert.Contains("has not verified that address, so it was not linked", System.Net.WebUtility.HtmlDecode(html));
    }

    [Theory]
    [InlineData("/signin-oidc?code=abc&state=forged-state")]
    [InlineData("/signin-oidc?code=abc")]
    [InlineData("/signin-oidc?error=access_denied&state=forged-state")]
    public async Task Callback_ForgedOrMissingState_SentToSignInWithAMessageAndLogged(string callback)
    {
        var client = SignIn.Anonymous(_factory);

        var response = await client.GetAsync(callback, Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login?sso=failed", response.Headers.Location?.OriginalString);
        Assert.True(_factory.Logged(LogLevel.Warning, "Single sign-on callback refused"));
        var page = await client.GetStringAsync(response.Headers.Location, Ct);
        Assert.Contains("Single sign-on did not complete", page);
    }

    [Fact]
    public async Task Challenge_ProviderUnreachable_SentToSignInWithAMessage()
    {
        var response = await SignIn.Anonymous(_factory).GetAsync("/account/sso?returnUrl=%2Fpaths", Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login?sso=failed", response.Headers.Location?.OriginalString);
        Assert.True(_factory.Logged(LogLevel.Warning, "could not start"));
    }

    [Fact]
    public async Task Complete_WithoutAProviderSignIn_SentToSignIn()
    {
        var response = await SignIn.Anonymous(_factory).GetAsync("/account/sso/complete?returnUrl=%2F", Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login?sso=failed", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task SignInPage_SsoOn_ShowsTheButtonAndNeverTheClientSecret()
    {
        var html = await SignIn.Anonymous(_factory).GetStringAsync("/account/login?ReturnUrl=%2Fpaths", Ct);

        Assert.Contains("Sign in with Contoso", html);
        Assert.Contains("href=\"/account/sso?returnUrl=%2Fpaths\" class=\"signin-button signin-sso\" data-enhance-nav=\"false\"", html);
        Assert.Contains("only the bootstrap admin may use it", html);
        Assert.DoesNotContain(SsoFactory.ClientSecret, html);
    }

    [Fact]
    public async Task PasswordSignIn_LocalPasswordsOff_RefusedForOthersAllowedForTheBootstrapAdmin()
    {
        var owner = await SignIn.PostLoginAsync(SignIn.Anonymous(_factory), TestUsers.Owner, TestUsers.Password);
        var admin = await SignIn.PostLoginAsync(SignIn.Anonymous(_factory), TestUsers.Admin, TestUsers.Password);

        Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
        Assert.Contains("E-mail or password is wrong", await owner.Content.ReadAsStringAsync(Ct));
        Assert.True(_factory.Logged(LogLevel.Warning, "local passwords are turned off"));
        Assert.Equal(HttpStatusCode.Redirect, admin.StatusCode);
    }
}
