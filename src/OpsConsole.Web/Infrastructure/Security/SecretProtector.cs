using Microsoft.AspNetCore.DataProtection;

namespace OpsConsole.Web.Infrastructure.Security;

/// <summary>The kinds of secret the console keeps; each is encrypted under its own purpose, so one kind's ciphertext never opens as another's.</summary>
public enum SecretKind
{
    /// <summary>A path's webhook signing secret.</summary>
    WebhookSecret,
    /// <summary>The OpenID Connect client secret given in settings.</summary>
    OidcClientSecret,
    /// <summary>A user's TOTP authenticator key.</summary>
    AuthenticatorKey,
}

/// <summary>
/// Encrypts secrets at rest with ASP.NET Core Data Protection (the console's key ring: beside the
/// SQLite file, or in the shared PostgreSQL database). A stored value is <see cref="Prefix"/> + the
/// protected payload; a value without the prefix is legacy plain text, read as is until it is migrated.
/// </summary>
public sealed class SecretProtector(IDataProtectionProvider provider)
{
    /// <summary>Marks a value this class wrote; plain text never starts with it (secrets are checked on entry).</summary>
    public const string Prefix = "dp1:";

    public static string Purpose(SecretKind kind) => kind switch
    {
        SecretKind.WebhookSecret => "OpsConsole.Secrets.Webhook.v1",
        SecretKind.OidcClientSecret => "OpsConsole.Secrets.OidcClient.v1",
        SecretKind.AuthenticatorKey => "OpsConsole.Secrets.Authenticator.v1",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static bool IsProtected(string? stored) => stored is not null && stored.StartsWith(Prefix, StringComparison.Ordinal);

    public string Protect(SecretKind kind, string plain)
    {
        ArgumentNullException.ThrowIfNull(plain);
        return Prefix + provider.CreateProtector(Purpose(kind)).Protect(plain);
    }

    /// <summary>The plain secret; legacy plain text comes back unchanged.</summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The value was protected under another purpose or a key ring this console no longer has.</exception>
    public string Unprotect(SecretKind kind, string stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return IsProtected(stored) ? provider.CreateProtector(Purpose(kind)).Unprotect(stored[Prefix.Length..]) : stored;
    }
}
