using Microsoft.Extensions.Configuration;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Sso;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Features.Sso;

public sealed class SsoSettingsTests
{
    private static readonly Dictionary<string, string?> Valid = new()
    {
        ["OpsConsole:Sso:Enabled"] = "true",
        ["OpsConsole:Sso:DisplayName"] = "Contoso",
        ["OpsConsole:Sso:Authority"] = "https://login.contoso.test/realms/ops/",
        ["OpsConsole:Sso:ClientId"] = "opsconsole",
        ["OpsConsole:Sso:ProtectedClientSecret"] = "dp1:sealed",
        ["OpsConsole:Sso:GroupRoles:ops-oncall"] = "OnCall",
        ["OpsConsole:Sso:GroupRoles:ops-admins"] = "Admin",
    };

    private static SsoSettings Read(Dictionary<string, string?> settings, List<string>? warnings = null, Func<string, string>? unprotect = null) =>
        SsoSettings.From(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), unprotect ?? (s => s == "dp1:sealed" ? "the-secret" : s), warnings ?? []);

    private static Dictionary<string, string?> ValidWith(params (string Key, string? Value)[] changes)
    {
        var settings = new Dictionary<string, string?>(Valid);
        foreach (var (key, value) in changes)
        {
            settings["OpsConsole:Sso:" + key] = value;
        }
        return settings;
    }

    private static string Refusal(Dictionary<string, string?> settings) => Assert.Throws<StartupRefusedException>(() => Read(settings)).Message;

    [Fact]
    public void From_NothingSet_IsOff()
    {
        var settings = Read([]);

        Assert.False(settings.Enabled);
        Assert.True(settings.MayUsePassword("anyone@example.com"));
    }

    [Fact]
    public void From_ValidSettings_OpensTheProtectedSecretAndUsesDefaults()
    {
        var warnings = new List<string>();
        var settings = Read(Valid, warnings);

        Assert.True(settings.Enabled);
        Assert.Equal("the-secret", settings.ClientSecret);
        Assert.Equal(["openid", "profile", "email"], settings.Scopes);
        Assert.Equal("groups", settings.GroupsClaim);
        Assert.Equal([AppRoles.Admin, AppRoles.OnCall], settings.GroupRoles.RolesFor(["ops-admins", "ops-oncall"]));
        Assert.Empty(warnings);
    }

    [Fact]
    public void From_PlainClientSecret_AcceptedWithAWarningNamingTheVerb()
    {
        var warnings = new List<string>();
        var settings = Read(ValidWith(("ProtectedClientSecret", null), ("ClientSecret", "plain-secret")), warnings);

        Assert.Equal("plain-secret", settings.ClientSecret);
        Assert.Contains(warnings, w => w.Contains("protect-secret oidc", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Authority", null, "Authority is required")]
    [InlineData("Authority", "login.contoso.test", "absolute http(s) URL")]
    [InlineData("Authority", "http://login.contoso.test/", "must use https")]
    [InlineData("ClientId", " ", "ClientId is required")]
    [InlineData("ProtectedClientSecret", null, "ProtectedClientSecret (or ClientSecret) is required")]
    [InlineData("ProtectedClientSecret", "not-protected", "printed by `protect-secret oidc`")]
    [InlineData("ClientSecret", "also-plain", "not both")]
    [InlineData("GroupRoles:ops-leads", "Owner", "GroupRoles: group 'ops-leads' maps to 'Owner', which is not a role")]
    [InlineData("Scopes:0", "profile", "must include 'openid'")]
    [InlineData("AllowedEmailDomains:0", "user@contoso.test", "is not a domain name")]
    [InlineData("GroupsClaim", " ", "GroupsClaim must name")]
    public void From_WrongSetting_RefusesTheStartNamingIt(string key, string? value, string expected)
    {
        var message = Refusal(ValidWith((key, value)));

        Assert.StartsWith("OpsConsole:Sso: ", message);
        Assert.Contains(expected, message);
    }

    [Fact]
    public void From_HttpAuthorityWithoutHttpsMetadata_Accepted()
    {
        var settings = Read(ValidWith(("Authority", "http://127.0.0.1:5001/"), ("RequireHttpsMetadata", "false")));

        Assert.Equal(["http://127.0.0.1:5001/", "http://127.0.0.1:5001"], settings.ValidIssuers);
    }

    [Fact]
    public void From_SecretThisConsoleCannotOpen_Refused()
    {
        var ex = Assert.Throws<StartupRefusedException>(() => Read(Valid, unprotect: _ => throw new System.Security.Cryptography.CryptographicException("bad key")));

        Assert.Contains("cannot be opened with this console's Data Protection keys", ex.Message);
    }

    [Fact]
    public void From_LocalPasswordsOffWithoutSso_Refused()
    {
        var message = Refusal(new() { ["OpsConsole:Sso:DisableLocalPasswords"] = "true" });

        Assert.Contains("only valid when Enabled is true", message);
    }

    [Fact]
    public void From_LinkUnverifiedEmails_OffUnlessSet()
    {
        Assert.False(Read(ValidWith()).LinkUnverifiedEmails);
        Assert.True(Read(ValidWith(("LinkUnverifiedEmails", "true"))).LinkUnverifiedEmails);
    }

    [Fact]
    public void MayUsePassword_LocalPasswordsOff_OnlyTheBootstrapAdmin()
    {
        var config = ValidWith(("DisableLocalPasswords", "true"));
        config["OpsConsole:Bootstrap:AdminEmail"] = "root@contoso.test";
        var settings = Read(config);

        Assert.True(settings.MayUsePassword("ROOT@contoso.test "));
        Assert.False(settings.MayUsePassword("alice@contoso.test"));
    }

    [Fact]
    public void From_LocalPasswordsOffWithoutBootstrapAdmin_WarnsThatNobodyHasAPassword()
    {
        var warnings = new List<string>();
        var settings = Read(ValidWith(("DisableLocalPasswords", "true")), warnings);

        Assert.False(settings.MayUsePassword("root@contoso.test"));
        Assert.Contains(warnings, w => w.Contains("no account may sign in with a password", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("alice@contoso.test", true)]
    [InlineData("alice@CONTOSO.test", true)]
    [InlineData("alice@eu.contoso.test", false)]
    [InlineData("alice@contoso.test.evil.example", false)]
    [InlineData("contoso.test", false)]
    public void IsAllowedEmail_DomainList_MatchesTheWholeDomain(string email, bool allowed)
    {
        var settings = Read(ValidWith(("AllowedEmailDomains:0", "@contoso.test"), ("AllowedEmailDomains:1", "fabrikam.test")));

        Assert.Equal(allowed, settings.IsAllowedEmail(email));
    }
}
