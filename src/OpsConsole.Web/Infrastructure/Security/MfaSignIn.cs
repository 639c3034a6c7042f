using System.Globalization;
using Microsoft.AspNetCore.Identity;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Infrastructure.Security;

/// <summary>
/// The second sign-in step (an authenticator code or a recovery code) for the person whose password
/// was just accepted. Whoever reaches it knows the password, so wrong codes lock the account itself:
/// <see cref="MaxWrongCodes"/> in a row lock it for <see cref="SignInLimits.AccountLockoutMinutes"/>.
/// Every refusal is the same false to the caller; the log says which.
/// </summary>
public sealed class MfaSignIn(SignInLimits limits, MfaSettings settings, TimeProvider time, ILogger<MfaSignIn> log)
{
    public const int MaxWrongCodes = 5;
    private const string FailuresToken = "WrongCodes";

    public enum Outcome { SignedIn, Refused, NoPendingSignIn }

    public async Task<Outcome> WithCodeAsync(SignInManager<AppUser> signIn, string code, bool persistent, bool rememberBrowser)
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null)
        {
            return Outcome.NoPendingSignIn;
        }
        var result = await signIn.TwoFactorAuthenticatorSignInAsync(Totp.Normalize(code), persistent, rememberBrowser && settings.RememberBrowserDays > 0);
        return await AfterAsync(signIn.UserManager, user, result, "authenticator code");
    }

    public async Task<Outcome> WithRecoveryCodeAsync(SignInManager<AppUser> signIn, string code)
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null)
        {
            return Outcome.NoPendingSignIn;
        }
        var normalized = AppUserStore.NormalizeCode(code);
        // Identity's format: two groups of five; the store compares without the dash.
        var result = normalized.Length == 0 ? SignInResult.Failed : await signIn.TwoFactorRecoveryCodeSignInAsync(normalized);
        var outcome = await AfterAsync(signIn.UserManager, user, result, "recovery code");
        if (outcome == Outcome.SignedIn)
        {
            log.LogWarning("{Email} signed in with a recovery code; {Left} left", user.Email, await signIn.UserManager.CountRecoveryCodesAsync(user));
        }
        return outcome;
    }

    private async Task<Outcome> AfterAsync(UserManager<AppUser> users, AppUser user, SignInResult result, string what)
    {
        if (result.Succeeded)
        {
            await users.RemoveAuthenticationTokenAsync(user, AuthenticatorCodeProvider.LoginProvider, FailuresToken);
            log.LogInformation("{Email} passed the second step with an {What}", user.Email, what);
            return Outcome.SignedIn;
        }
        if (result.IsLockedOut)
        {
            log.LogWarning("Second step for locked account {Email} refused", user.Email);
            return Outcome.Refused;
        }
        var failures = int.TryParse(await users.GetAuthenticationTokenAsync(user, AuthenticatorCodeProvider.LoginProvider, FailuresToken), CultureInfo.InvariantCulture, out var f) ? f + 1 : 1;
        if (failures >= MaxWrongCodes)
        {
            await users.SetLockoutEndDateAsync(user, time.GetUtcNow().AddMinutes(limits.AccountLockoutMinutes));
            await users.RemoveAuthenticationTokenAsync(user, AuthenticatorCodeProvider.LoginProvider, FailuresToken);
            log.LogWarning("Account {Email} locked for {Minutes} minutes after {Failures} wrong second-step codes", user.Email, limits.AccountLockoutMinutes, failures);
        }
        else
        {
            await users.SetAuthenticationTokenAsync(user, AuthenticatorCodeProvider.LoginProvider, FailuresToken, failures.ToString(CultureInfo.InvariantCulture));
            log.LogWarning("Wrong {What} for {Email} ({Failures} of {Max})", what, user.Email, failures, MaxWrongCodes);
        }
        return Outcome.Refused;
    }
}
