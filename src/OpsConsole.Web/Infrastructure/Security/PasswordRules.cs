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
