using System.Globalization;
using Microsoft.AspNetCore.Identity;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Infrastructure.Security;

/// <summary>
/// Checks authenticator-app codes (<see cref="Totp"/>) in place of Identity's own provider, which
/// accepts ±2 steps on the machine clock and the same code again. A code accepted once is spent: the
/// step is recorded in the user's token row, and a second use of that step (or an older one) fails,
/// including two uses racing each other, which Identity's concurrency stamp on the user row decides.
/// </summary>
public sealed class AuthenticatorCodeProvider(TimeProvider time) : IUserTwoFactorTokenProvider<AppUser>
{
    public const string Name = "OpsConsoleAuthenticator";
    internal const string LoginProvider = "[OpsConsole]";
    internal const string LastStepToken = "LastTotpStep";

    public async Task<bool> CanGenerateTwoFactorTokenAsync(UserManager<AppUser> manager, AppUser user) =>
        !string.IsNullOrEmpty(await manager.GetAuthenticatorKeyAsync(user));

    /// <summary>Codes come from the person's app; the server never makes one.</summary>
    public Task<string> GenerateAsync(string purpose, UserManager<AppUser> manager, AppUser user) => Task.FromResult(string.Empty);

    public async Task<bool> ValidateAsync(string purpose, string token, UserManager<AppUser> manager, AppUser user)
    {
        var key = await manager.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrEmpty(key))
        {
            return false;
        }
        var lastText = await manager.GetAuthenticationTokenAsync(user, LoginProvider, LastStepToken);
        long? last = long.TryParse(lastText, NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : null;
        var step = Totp.Match(Base32.Decode(key), Totp.Normalize(token), time.GetUtcNow(), last);
        if (step is null)
        {
            return false;
        }
        var spent = await manager.SetAuthenticationTokenAsync(user, LoginProvider, LastStepToken, step.Value.ToString(CultureInfo.InvariantCulture));
        return spent.Succeeded;
    }

    /// <summary>Forgets the spent step (with a new key the old steps mean nothing).</summary>
    public static Task<IdentityResult> ForgetAsync(UserManager<AppUser> manager, AppUser user) =>
        manager.RemoveAuthenticationTokenAsync(user, LoginProvider, LastStepToken);
}
