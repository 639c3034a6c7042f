using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Infrastructure.Security;

/// <summary>
/// Identity's EF store, with the two-factor secrets kept out of clear text in AspNetUserTokens: the
/// authenticator key is encrypted (<see cref="SecretProtector"/>, its own purpose), recovery codes are
/// kept as salted PBKDF2 hashes, so a copy of the database yields neither.
/// </summary>
public sealed class AppUserStore(AppDbContext context, SecretProtector secrets, IdentityErrorDescriber? describer = null)
    : UserStore<AppUser, IdentityRole, AppDbContext>(context, describer)
{
    /// <summary>Identity's own token names (UserStoreBase keeps them private); the rows stay where Identity puts them.</summary>
    internal const string InternalLoginProvider = "[AspNetUserStore]";
    internal const string AuthenticatorKeyTokenName = "AuthenticatorKey";
    internal const string RecoveryCodeTokenName = "RecoveryCodes";

    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    /// <summary>A recovery code holds ~47 random bits; this makes each guess against a stolen row cost as much as 10,000 hashes.</summary>
    private const int Iterations = 10_000;

    public override async Task<string?> GetAuthenticatorKeyAsync(AppUser user, CancellationToken cancellationToken)
    {
        var stored = await GetTokenAsync(user, InternalLoginProvider, AuthenticatorKeyTokenName, cancellationToken);
        return stored is null ? null : secrets.Unprotect(SecretKind.AuthenticatorKey, stored);
    }

    public override Task SetAuthenticatorKeyAsync(AppUser user, string key, CancellationToken cancellationToken) =>
        SetTokenAsync(user, InternalLoginProvider, AuthenticatorKeyTokenName, secrets.Protect(SecretKind.AuthenticatorKey, key), cancellationToken);

    public override Task ReplaceCodesAsync(AppUser user, IEnumerable<string> recoveryCodes, CancellationToken cancellationToken) =>
        SetTokenAsync(user, InternalLoginProvider, RecoveryCodeTokenName, string.Join(';', recoveryCodes.Select(Hash)), cancellationToken);

    /// <summary>Removes the matching code, so the same code never signs in twice.</summary>
    public override async Task<bool> RedeemCodeAsync(AppUser user, string code, CancellationToken cancellationToken)
    {
        var entries = await StoredHashesAsync(user, cancellationToken);
        var normalized = NormalizeCode(code);
        if (normalized.Length == 0)
        {
            return false;
        }
        var match = entries.FirstOrDefault(e => Matches(e, normalized));
        if (match is null)
        {
            return false;
        }
        await SetTokenAsync(user, InternalLoginProvider, RecoveryCodeTokenName, string.Join(';', entries.Where(e => e != match)), cancellationToken);
        return true;
    }

    public override async Task<int> CountCodesAsync(AppUser user, CancellationToken cancellationToken) =>
        (await StoredHashesAsync(user, cancellationToken)).Count;

    /// <summary>Codes are compared without case, spaces or the dash, as people type them.</summary>
    public static string NormalizeCode(string? code) =>
        new((code ?? "").Where(char.IsAsciiLetterOrDigit).Select(char.ToUpperInvariant).ToArray());

    private async Task<List<string>> StoredHashesAsync(AppUser user, CancellationToken ct) =>
        ((await GetTokenAsync(user, InternalLoginProvider, RecoveryCodeTokenName, ct)) ?? "")
            .Split(';', StringSplitOptions.RemoveEmptyEntries).ToList();

    private static string Hash(string code)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        return Convert.ToBase64String(salt) + "." + Convert.ToBase64String(Derive(NormalizeCode(code), salt));
    }

    private static bool Matches(string entry, string normalizedCode)
    {
        var parts = entry.Split('.');
        if (parts.Length != 2)
        {
            // Identity's plain-text format from before this store: never accepted, so such codes must be regenerated.
            return false;
        }
        var expected = Convert.FromBase64String(parts[1]);
        return CryptographicOperations.FixedTimeEquals(expected, Derive(normalizedCode, Convert.FromBase64String(parts[0])));
    }

    private static byte[] Derive(string code, byte[] salt) =>
        Rfc2898DeriveBytes.Pbkdf2(code, salt, Iterations, HashAlgorithmName.SHA256, HashBytes);
}
