using OpsConsole.Web.Data;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Sso;

/// <summary>Settings under <c>OpsConsole:Sso</c>, as bound; <see cref="SsoSettings.From"/> checks them and gives the trusted form.</summary>
public sealed class SsoOptions
{
    public const string Section = "OpsConsole:Sso";

    public bool Enabled { get; set; }
    public string DisplayName { get; set; } = "single sign-on";
    public string? Authority { get; set; }
    public string? ClientId { get; set; }
    /// <summary>Plain text: accepted, with a warning at start recommending <see cref="ProtectedClientSecret"/>.</summary>
    public string? ClientSecret { get; set; }
    /// <summary>A value printed by <c>protect-secret oidc</c> (Data Protection under the OIDC client secret's purpose).</summary>
    public string? ProtectedClientSecret { get; set; }
    /// <summary>Null keeps the default; binding a list to a non-empty default would append to it.</summary>
    public List<string>? Scopes { get; set; }
    public string GroupsClaim { get; set; } = "groups";
    /// <summary>IdP group → role name, or several role names separated by commas.</summary>
    public Dictionary<string, string> GroupRoles { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    public List<string> AllowedEmailDomains { get; set; } = [];
    public bool DisableLocalPasswords { get; set; }
    public bool RequireHttpsMetadata { get; set; } = true;
    /// <summary>
    /// Link an existing console account by an e-mail address the provider has not marked verified
    /// (<c>email_verified</c>). Off: such a sign-in is refused, as anyone able to set that address at the
    /// provider would otherwise take the account over. Turn on only for a provider that never sends the
    /// claim and whose addresses its users cannot choose.
    /// </summary>
    public bool LinkUnverifiedEmails { get; set; }
}

/// <summary>The checked SSO settings the console runs with. <see cref="Enabled"/> false means the rest is unset.</summary>
public sealed record SsoSettings(
    bool Enabled,
    string DisplayName,
    Uri? Authority,
    string ClientId,
    string? ClientSecret,
    IReadOnlyList<string> Scopes,
    string GroupsClaim,
    GroupRoleMap GroupRoles,
    IReadOnlyList<string> AllowedEmailDomains,
    bool DisableLocalPasswords,
    bool RequireHttpsMetadata,
    string? BootstrapAdminEmail,
    bool LinkUnverifiedEmails = false)
{
    /// <summary>The authentication scheme; also the login provider name in AspNetUserLogins.</summary>
    public const string Scheme = "oidc";
    public static readonly IReadOnlyList<string> DefaultScopes = ["openid", "profile", "email"];

    public static readonly SsoSettings Off = new(false, "", null, "", null, DefaultScopes, "groups", GroupRoleMap.Empty, [], false, true, null);

    /// <summary>
    /// Reads and checks <c>OpsConsole:Sso</c>. Every mistake stops the start with a message naming the
    /// setting; <paramref name="unprotect"/> opens <see cref="SsoOptions.ProtectedClientSecret"/>.
    /// </summary>
    /// <param name="warnings">Receives what is allowed but unwise (a plain client secret).</param>
    public static SsoSettings From(IConfiguration configuration, Func<string, string> unprotect, ICollection<string> warnings)
    {
        var o = configuration.GetSection(SsoOptions.Section).Get<SsoOptions>() ?? new();
        var bootstrapAdmin = configuration["OpsConsole:Bootstrap:AdminEmail"]?.Trim() is { Length: > 0 } e ? e : null;
        if (!o.Enabled)
        {
            if (o.DisableLocalPasswords)
            {
                throw Refused("DisableLocalPasswords is only valid when Enabled is true: without single sign-on nobody could sign in.");
            }
            return Off;
        }
        if (string.IsNullOrWhiteSpace(o.Authority))
        {
            throw Refused("Authority is required when single sign-on is enabled (the identity provider's issuer URL, e.g. https://login.example.com/realms/ops).");
        }
        if (!Uri.TryCreate(o.Authority.Trim(), UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http"))
        {
            throw Refused($"Authority must be an absolute http(s) URL; '{o.Authority}' is not.");
        }
        if (o.RequireHttpsMetadata && authority.Scheme != Uri.UriSchemeHttps)
        {
            throw Refused($"Authority must use https ('{o.Authority}'); only a test provider may use http, with RequireHttpsMetadata=false.");
        }
        if (string.IsNullOrWhiteSpace(o.ClientId))
        {
            throw Refused("ClientId is required when single sign-on is enabled.");
        }
        var hasPlain = !string.IsNullOrEmpty(o.ClientSecret);
        var hasProtected = !string.IsNullOrEmpty(o.ProtectedClientSecret);
        if (hasPlain && hasProtected)
        {
            throw Refused("Set either ClientSecret or ProtectedClientSecret, not both.");
        }
        if (!hasPlain && !hasProtected)
        {
            throw Refused("ProtectedClientSecret (or ClientSecret) is required: the console signs in at the provider as a confidential client.");
        }
        string secret;
        if (hasProtected)
        {
            if (!SecretProtector.IsProtected(o.ProtectedClientSecret))
            {
                throw Refused($"ProtectedClientSecret must be a value printed by `protect-secret oidc` (it starts with '{SecretProtector.Prefix}'). Put a plain secret in ClientSecret instead.");
            }
            try
            {
                secret = unprotect(o.ProtectedClientSecret!);
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                throw Refused("ProtectedClientSecret cannot be opened with this console's Data Protection keys. Run `protect-secret oidc` again with the same database and key settings as the console.");
            }
        }
        else
        {
            secret = o.ClientSecret!;
            warnings.Add($"{SsoOptions.Section}:ClientSecret is plain text in the settings. Store it protected instead: run `dotnet OpsConsole.Web.dll protect-secret oidc` and put the printed value in {SsoOptions.Section}:ProtectedClientSecret.");
        }
        var scopes = (o.Scopes is { Count: > 0 } given ? given : DefaultScopes).Select(s => s.Trim()).Where(s => s.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (!scopes.Contains("openid"))
        {
            throw Refused("Scopes must include 'openid'.");
        }
        if (string.IsNullOrWhiteSpace(o.GroupsClaim))
        {
            throw Refused("GroupsClaim must name the claim that carries the user's groups (default 'groups').");
        }
        var map = GroupRoleMap.Parse(o.GroupRoles, p => Refused("GroupRoles: " + p));
        var domains = new List<string>();
        foreach (var raw in o.AllowedEmailDomains)
        {
            var domain = raw.Trim().TrimStart('@').ToLowerInvariant();
            if (domain.Length == 0 || domain.Contains('@') || Uri.CheckHostName(domain) != UriHostNameType.Dns)
            {
                throw Refused($"AllowedEmailDomains: '{raw}' is not a domain name (write it as example.com).");
            }
            domains.Add(domain);
        }
        if (o.DisableLocalPasswords && bootstrapAdmin is null)
        {
            warnings.Add($"{SsoOptions.Section}:DisableLocalPasswords is on and OpsConsole:Bootstrap:AdminEmail is not set: no account may sign in with a password, so if the identity provider is down nobody can sign in.");
        }
        var displayName = string.IsNullOrWhiteSpace(o.DisplayName) ? "single sign-on" : o.DisplayName.Trim();
        return new SsoSettings(true, displayName, authority, o.ClientId.Trim(), secret, scopes, o.GroupsClaim.Trim(), map, domains,
            o.DisableLocalPasswords, o.RequireHttpsMetadata, bootstrapAdmin, o.LinkUnverifiedEmails);
    }

    /// <summary>The issuer the provider's tokens must carry: the authority itself, as OpenID Connect Discovery requires.</summary>
    public IReadOnlyList<string> ValidIssuers => Authority is null ? [] : [Authority.AbsoluteUri, Authority.AbsoluteUri.TrimEnd('/')];

    /// <summary>Whether this e-mail address may sign in by single sign-on (any address when no domains are listed).</summary>
    public bool IsAllowedEmail(string email)
    {
        var at = email.LastIndexOf('@');
        if (at <= 0 || at == email.Length - 1)
        {
            return false;
        }
        return AllowedEmailDomains.Count == 0 || AllowedEmailDomains.Contains(email[(at + 1)..].ToLowerInvariant(), StringComparer.Ordinal);
    }

    /// <summary>Whether this address may use the password form: always without SSO, else only the bootstrap admin when local passwords are off.</summary>
    public bool MayUsePassword(string email) =>
        !DisableLocalPasswords || (BootstrapAdminEmail is not null && string.Equals(email.Trim(), BootstrapAdminEmail, StringComparison.OrdinalIgnoreCase));

    private static StartupRefusedException Refused(string problem) => new($"{SsoOptions.Section}: {problem}");
}
