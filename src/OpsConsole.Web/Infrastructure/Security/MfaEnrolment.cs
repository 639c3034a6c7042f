using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using OpsConsole.Web.Data;
using QRCoder;

namespace OpsConsole.Web.Infrastructure.Security;

/// <summary>What the enrolment page shows before the first code: the key as a QR code and as text.</summary>
public sealed record AuthenticatorSetup(string Key, string GroupedKey, string OtpAuthUri, string QrDataUri);

/// <summary>
/// A person's own authenticator: set it up (the key is made here and stored encrypted), turn it on
/// with a first code, and make new recovery codes. Recovery codes are returned once and kept only
/// as hashes. Turning it on updates the security stamp, so other sessions of the person sign in
/// again (this one is refreshed). A person's own changes are logged like sign-ins; an Admin's
/// reset of someone else's authenticator is audited (UserAdminService).
/// </summary>
public sealed class MfaEnrolment(UserManager<AppUser> users, SignInManager<AppUser> signIn, MfaSettings settings, ILogger<MfaEnrolment> log)
{
    public const int RecoveryCodeCount = 10;

    public Task<AppUser?> UserAsync(ClaimsPrincipal principal) => users.GetUserAsync(principal);

    public Task<bool> IsEnrolledAsync(AppUser user) => users.GetTwoFactorEnabledAsync(user);

    public Task<int> RecoveryCodesLeftAsync(AppUser user) => users.CountRecoveryCodesAsync(user);

    /// <summary>The key to show; made on first visit. Making it changes the security stamp, so this session's cookie is renewed.</summary>
    public async Task<AuthenticatorSetup> SetupAsync(AppUser user)
    {
        var key = await users.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrEmpty(key))
        {
            await users.ResetAuthenticatorKeyAsync(user);
            await AuthenticatorCodeProvider.ForgetAsync(users, user);
            await signIn.RefreshSignInAsync(user);
            key = await users.GetAuthenticatorKeyAsync(user) ?? throw new InvalidOperationException("No authenticator key after reset.");
        }
        var uri = OtpAuthUri(settings.Issuer, user.Email ?? user.UserName ?? user.Id, key);
        return new AuthenticatorSetup(key, GroupKey(key), uri, QrDataUri(uri));
    }

    /// <summary>Turns the authenticator on if <paramref name="code"/> is a current code of the shown key; the recovery codes, or null.</summary>
    public async Task<IReadOnlyList<string>?> EnableAsync(AppUser user, string code)
    {
        if (!await users.VerifyTwoFactorTokenAsync(user, users.Options.Tokens.AuthenticatorTokenProvider, Totp.Normalize(code)))
        {
            log.LogWarning("{Email} typed a wrong first code while enrolling an authenticator", user.Email);
            return null;
        }
        Check(await users.SetTwoFactorEnabledAsync(user, true));
        var codes = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, RecoveryCodeCount))?.ToList() ?? [];
        await signIn.RefreshSignInAsync(user);
        log.LogInformation("{Email} enrolled an authenticator; {Count} recovery codes made", user.Email, codes.Count);
        return codes;
    }

    /// <summary>New recovery codes; the old ones stop working.</summary>
    public async Task<IReadOnlyList<string>> NewRecoveryCodesAsync(AppUser user)
    {
        if (!await users.GetTwoFactorEnabledAsync(user))
        {
            throw new InvalidOperationException("Recovery codes belong to an enrolled authenticator.");
        }
        var codes = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, RecoveryCodeCount))?.ToList() ?? [];
        log.LogInformation("{Email} made {Count} new recovery codes; the old ones are void", user.Email, codes.Count);
        return codes;
    }

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException("The account change was refused: " + string.Join(" ", result.Errors.Select(e => e.Description)));
        }
    }

    /// <summary>
    /// Takes a user's authenticator away (key, recovery codes, spent step) and turns two-factor off; the
    /// new security stamp ends their sessions within a minute, and a required role sends them to enrol again.
    /// </summary>
    public static async Task<IdentityResult> ResetAsync(UserManager<AppUser> users, AppUser user)
    {
        var result = await users.SetTwoFactorEnabledAsync(user, false);
        foreach (var (provider, name) in new[]
        {
            (AppUserStore.InternalLoginProvider, AppUserStore.AuthenticatorKeyTokenName),
            (AppUserStore.InternalLoginProvider, AppUserStore.RecoveryCodeTokenName),
            (AuthenticatorCodeProvider.LoginProvider, AuthenticatorCodeProvider.LastStepToken),
        })
        {
            if (result.Succeeded)
            {
                result = await users.RemoveAuthenticationTokenAsync(user, provider, name);
            }
        }
        return result.Succeeded ? await users.UpdateSecurityStampAsync(user) : result;
    }

    /// <summary>A cookie issued before enrolment (or by another instance) lacks the claim; renew it so it matches the account.</summary>
    public Task RefreshAsync(AppUser user) => signIn.RefreshSignInAsync(user);

    /// <summary>Google Authenticator's Key Uri Format: otpauth://totp/Issuer:account?secret=…&amp;issuer=…</summary>
    public static string OtpAuthUri(string issuer, string account, string key) =>
        $"otpauth://totp/{Uri.EscapeDataString(issuer)}:{Uri.EscapeDataString(account)}?secret={key.Replace(" ", "", StringComparison.Ordinal).TrimEnd('=')}&issuer={Uri.EscapeDataString(issuer)}&algorithm=SHA1&digits={Totp.Digits}&period={Totp.StepSeconds}";

    /// <summary>"abcd efgh …": blocks of four, lower case, easier to type from the screen.</summary>
    public static string GroupKey(string key) =>
        string.Join(' ', key.ToLowerInvariant().Chunk(4).Select(c => new string(c)));

    /// <summary>The QR code as a PNG data URI, drawn here: the key never leaves the server for a QR service.</summary>
    public static string QrDataUri(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        using var png = new PngByteQRCode(data);
        return "data:image/png;base64," + Convert.ToBase64String(png.GetGraphic(6));
    }
}
