using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Infrastructure.Security;

/// <summary>Settings under <c>OpsConsole:Mfa</c>.</summary>
public sealed class MfaSettings
{
    public const string Section = "OpsConsole:Mfa";
    /// <summary>The enrolment and recovery-code page.</summary>
    public const string EnrolPath = "/account/mfa";

    /// <summary>Roles whose members must enrol an authenticator before anything else; Admin always is one.</summary>
    public string[] RequiredRoles { get; set; } = [];
    /// <summary>How long "remember this browser" skips the second step; 0 turns the choice off.</summary>
    public int RememberBrowserDays { get; set; } = 30;
    /// <summary>The name authenticator apps show beside the account.</summary>
    public string Issuer { get; set; } = "OpsConsole";

    /// <summary>The required roles as validated: known role names, Admin included, each once.</summary>
    public IReadOnlyList<string> Roles { get; private set; } = [AppRoles.Admin];

    public static MfaSettings From(IConfiguration configuration)
    {
        var settings = configuration.GetSection(Section).Get<MfaSettings>() ?? new();
        var unknown = settings.RequiredRoles.FirstOrDefault(r => !AppRoles.All.Contains(r?.Trim(), StringComparer.Ordinal));
        string? problem = settings switch
        {
            _ when unknown is not null => $"RequiredRoles names '{unknown}', which is not a role (roles: {string.Join(", ", AppRoles.All)})",
            { RememberBrowserDays: < 0 or > 365 } => "RememberBrowserDays must be between 0 (off) and 365",
            _ when string.IsNullOrWhiteSpace(settings.Issuer) || settings.Issuer.Length > 64 || settings.Issuer.Contains(':')
                => "Issuer must be 1 to 64 characters without ':'",
            _ => null,
        };
        if (problem is not null)
        {
            throw new StartupRefusedException($"{Section}:{problem}.");
        }
        settings.Roles = settings.RequiredRoles.Select(r => r.Trim()).Append(AppRoles.Admin).Distinct().Order(StringComparer.Ordinal).ToList();
        return settings;
    }

    /// <summary>
    /// A signed-in person (by the console's own cookie) in a required role who has not enrolled yet.
    /// Principals of API keys and of tests built without Identity are never this.
    /// </summary>
    public bool MustEnrol(ClaimsPrincipal user) =>
        user.Identity is { IsAuthenticated: true, AuthenticationType: var type } && type == IdentityConstants.ApplicationScheme
        && !user.HasClaim(MfaClaims.Enrolled, "true")
        && Roles.Any(user.IsInRole);
}

public static class MfaClaims
{
    /// <summary>Set by <see cref="AppClaimsPrincipalFactory"/> when the user has an authenticator; refreshed with the security stamp.</summary>
    public const string Enrolled = "opsconsole:mfa";
}
