using System.Collections.Frozen;
using Microsoft.AspNetCore.Identity;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Infrastructure.Security;

/// <summary>
/// Length is what makes a password strong (NIST SP 800-63B): at least 12 characters, long
/// passphrases welcome, no composition rules. The upper bound only stops absurd inputs.
/// </summary>
public sealed class MaxLengthPasswordValidator : IPasswordValidator<AppUser>
{
    public const int MinLength = 12;
    public const int MaxLength = 128;

    public Task<IdentityResult> ValidateAsync(UserManager<AppUser> manager, AppUser user, string? password) =>
        Task.FromResult(password is { Length: > MaxLength }
            ? IdentityResult.Failed(new IdentityError { Code = "PasswordTooLong", Description = $"Passwords must be at most {MaxLength} characters." })
            : IdentityResult.Success);
}

/// <summary>
/// Refuses what a guesser tries first, whatever its length (NIST SP 800-63B 3.1.1.2, ASVS 5.0
/// V6.2): a password from a list of common and breached ones (also with only digits or symbols
/// around it, as in <c>password1234</c>), one character repeated, or one containing the account's
/// e-mail, user name or the e-mail's local part. Registered with Identity, so every path that sets
/// a password (new user, reset, bootstrap admin, demo users) goes through it.
/// </summary>
public sealed class CommonPasswordValidator : IPasswordValidator<AppUser>
{
    private const string ResourceName = "OpsConsole.Web.common-passwords.txt";
    private static readonly Lazy<FrozenSet<string>> List = new(Load);

    /// <summary>The shipped list, lowercased; see the header of common-passwords.txt for its source.</summary>
    public static FrozenSet<string> CommonPasswords => List.Value;

    public Task<IdentityResult> ValidateAsync(UserManager<AppUser> manager, AppUser user, string? password)
    {
        if (string.IsNullOrEmpty(password))
        {
            // Missing and too-short passwords are the length rule's to report.
            return Task.FromResult(IdentityResult.Success);
        }
        var errors = new List<IdentityError>();
        if (password.All(c => c == password[0]))
        {
            errors.Add(new IdentityError { Code = "PasswordRepeated", Description = "A password cannot be one character repeated." });
        }
        else if (IsCommon(password))
        {
            errors.Add(new IdentityError
            {
                Code = "PasswordCommon",
                Description = "This password is in a list of common and breached passwords, so it is among the first an attacker tries. Choose another, for example a few unrelated words.",
            });
        }
        if (ContainsAccountName(password, user))
        {
            errors.Add(new IdentityError { Code = "PasswordContainsAccount", Description = "A password cannot contain the account's e-mail address or user name." });
        }
        return Task.FromResult(errors.Count == 0 ? IdentityResult.Success : IdentityResult.Failed([.. errors]));
    }

    public static bool IsCommon(string password)
    {
        var lower = password.ToLowerInvariant();
        if (CommonPasswords.Contains(lower))
        {
            return true;
        }
        // "monkey2024!!" is "monkey" to a guesser: digits and symbols around a listed word add little.
        var core = lower.AsSpan().Trim("0123456789!@#$%^&*()-_=+.,;:?/\\|~`'\"[]{}<> ");
        return core.Length >= 4 && core.Length < lower.Length && CommonPasswords.GetAlternateLookup<ReadOnlySpan<char>>().Contains(core);
    }

    private static bool ContainsAccountName(string password, AppUser user)
    {
        var email = user.Email ?? "";
        var at = email.IndexOf('@');
        string?[] names = [email, user.UserName, at >= 3 ? email[..at] : null];
        return names.Any(n => !string.IsNullOrWhiteSpace(n) && n.Length >= 3 && password.Contains(n, StringComparison.OrdinalIgnoreCase));
    }

    private static FrozenSet<string> Load()
    {
        using var stream = typeof(CommonPasswordValidator).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing.");
        using var reader = new StreamReader(stream);
        var words = new List<string>(30_000);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && !line.StartsWith('#'))
            {
                words.Add(line.Trim().ToLowerInvariant());
            }
        }
        return words.ToFrozenSet(StringComparer.Ordinal);
    }
}
