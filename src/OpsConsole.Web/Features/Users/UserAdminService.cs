using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Sessions;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Users;

public sealed record UserRow(string Id, string Email, string DisplayName, IReadOnlyList<string> Roles, DateTimeOffset? LockedUntil, int FailedAttempts, DateTime CreatedAt, bool MfaEnrolled = false)
{
    public bool IsLocked(DateTimeOffset now) => LockedUntil is { } until && until > now;
}

/// <summary>
/// Admin operations on accounts. Each runs in its own DI scope (a fresh UserManager and context)
/// because an interactive circuit lives for hours and must not hold a tracking context that long.
/// </summary>
public sealed class UserAdminService(IServiceScopeFactory scopes, AuditLog audit, TimeProvider time, SessionService sessions)
{
    public async Task<IReadOnlyList<UserRow>> ListAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var users = await db.Users.AsNoTracking().Where(u => !u.IsSystem).OrderBy(u => u.Email).ToListAsync(ct);
        var roles = await db.UserRoles.Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => new { ur.UserId, r.Name }).ToListAsync(ct);
        var byUser = roles.ToLookup(r => r.UserId, r => r.Name!);
        return users.Select(u => new UserRow(u.Id, u.Email ?? "", u.DisplayName, byUser[u.Id].Order().ToList(), u.LockoutEnd, u.AccessFailedCount, u.CreatedAt, u.TwoFactorEnabled)).ToList();
    }

    public Task<CommandResult> CreateAsync(string email, string displayName, string password, IReadOnlyCollection<string> roles, ClaimsPrincipal actor, CancellationToken ct) =>
        RunAsync(actor, ct, async (users, write) =>
        {
            email = email.Trim();
            if (!System.Net.Mail.MailAddress.TryCreate(email, out _))
            {
                return CommandResult.Fail("Enter a valid e-mail address.");
            }
            if (roles.Any(r => !AppRoles.All.Contains(r)))
            {
                return CommandResult.Fail("Unknown role.");
            }
            if (await users.FindByEmailAsync(email) is not null)
            {
                return CommandResult.Fail($"A user with e-mail {email} already exists.");
            }
            var user = new AppUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = displayName.Trim(), CreatedAt = time.GetUtcNow().UtcDateTime };
            var created = await users.CreateAsync(user, password);
            if (!created.Succeeded)
            {
                return Errors(created);
            }
            var added = await users.AddToRolesAsync(user, roles);
            if (!added.Succeeded)
            {
                return Errors(added);
            }
            write.Record(AuditActor.From(actor), "user.create", "user", user.Id, null, null, new { email, displayName = user.DisplayName, roles = roles.Order().ToList() });
            return CommandResult.Ok();
        });

    public Task<CommandResult> SetRolesAsync(string userId, IReadOnlyCollection<string> roles, ClaimsPrincipal actor, CancellationToken ct) =>
        RunAsync(actor, ct, async (users, write) =>
        {
            var user = await users.FindByIdAsync(userId);
            if (user is null || user.IsSystem)
            {
                return CommandResult.Fail("That user does not exist.");
            }
            if (roles.Any(r => !AppRoles.All.Contains(r)))
            {
                return CommandResult.Fail("Unknown role.");
            }
            var current = await users.GetRolesAsync(user);
            if (current.Contains(AppRoles.Admin) && !roles.Contains(AppRoles.Admin))
            {
                if (user.Id == actor.UserId())
                {
                    return CommandResult.Fail("You cannot remove your own Admin role.");
                }
                if ((await users.GetUsersInRoleAsync(AppRoles.Admin)).Count <= 1)
                {
                    return CommandResult.Fail("This is the last Admin; give another user the Admin role first.");
                }
            }
            var remove = await users.RemoveFromRolesAsync(user, current.Except(roles));
            var add = remove.Succeeded ? await users.AddToRolesAsync(user, roles.Except(current)) : remove;
            if (!add.Succeeded)
            {
                return Errors(add);
            }
            // A changed role must take effect on the user's next request, not at cookie expiry.
            await users.UpdateSecurityStampAsync(user);
            write.Record(AuditActor.From(actor), "user.roles", "user", user.Id, null, new { email = user.Email, roles = current.Order().ToList() }, new { email = user.Email, roles = roles.Order().ToList() });
            return CommandResult.Ok();
        });

    public Task<CommandResult> SetLockedAsync(string userId, bool locked, ClaimsPrincipal actor, CancellationToken ct) =>
        RunAsync(actor, ct, async (users, write) =>
        {
            var user = await users.FindByIdAsync(userId);
            if (user is null || user.IsSystem)
            {
                return CommandResult.Fail("That user does not exist.");
            }
            if (locked && user.Id == actor.UserId())
            {
                return CommandResult.Fail("You cannot lock your own account.");
            }
            var before = new { email = user.Email, lockedUntil = user.LockoutEnd };
            var result = locked
                ? await users.SetLockoutEndDateAsync(user, DateTimeOffset.MaxValue)
                : await users.SetLockoutEndDateAsync(user, null);
            if (result.Succeeded && !locked)
            {
                result = await users.ResetAccessFailedCountAsync(user);
            }
            if (result.Succeeded && locked)
            {
                result = await users.UpdateSecurityStampAsync(user);
            }
            if (!result.Succeeded)
            {
                return Errors(result);
            }
            write.Record(AuditActor.From(actor), locked ? "user.lock" : "user.unlock", "user", user.Id, null, before, new { email = user.Email, lockedUntil = user.LockoutEnd });
            return CommandResult.Ok();
        });

    public Task<CommandResult> ResetPasswordAsync(string userId, string newPassword, ClaimsPrincipal actor, CancellationToken ct) =>
        RunAsync(actor, ct, async (users, write) =>
        {
            var user = await users.FindByIdAsync(userId);
            if (user is null || user.IsSystem)
            {
                return CommandResult.Fail("That user does not exist.");
            }
            var token = await users.GeneratePasswordResetTokenAsync(user);
            var result = await users.ResetPasswordAsync(user, token, newPassword);
            if (!result.Succeeded)
            {
                return Errors(result);
            }
            // The secret itself is never written to the log.
            write.Record(AuditActor.From(actor), "user.password-reset", "user", user.Id, null, null, new { email = user.Email });
            return CommandResult.Ok();
        });

    /// <summary>Ends every sign-in of a user at once (their open pages within a minute); audited.</summary>
    public async Task<CommandResult<int>> SignOutEverywhereAsync(string userId, ClaimsPrincipal actor, CancellationToken ct)
    {
        if (!Permissions.May(actor, ConsoleAction.Administer))
        {
            return CommandResult<int>.Fail("Only an Admin can manage users.");
        }
        var by = AuditActor.From(actor);
        return await sessions.EndAllAsync(userId, by, userId == actor.UserId() ? "signed out everywhere" : $"ended by {by.Name}", ct);
    }

    /// <summary>For a lost phone: the user's authenticator and recovery codes are removed and their sessions end; they enrol again at next sign-in.</summary>
    public Task<CommandResult> ResetAuthenticatorAsync(string userId, ClaimsPrincipal actor, CancellationToken ct) =>
        RunAsync(actor, ct, async (users, write) =>
        {
            var user = await users.FindByIdAsync(userId);
            if (user is null || user.IsSystem)
            {
                return CommandResult.Fail("That user does not exist.");
            }
            var enrolled = await users.GetTwoFactorEnabledAsync(user);
            var left = enrolled ? await users.CountRecoveryCodesAsync(user) : 0;
            var result = await MfaEnrolment.ResetAsync(users, user);
            if (!result.Succeeded)
            {
                return Errors(result);
            }
            write.Record(AuditActor.From(actor), "user.mfa-reset", "user", user.Id, null,
                new { email = user.Email, mfaEnrolled = enrolled, recoveryCodesLeft = left }, new { email = user.Email, mfaEnrolled = false, recoveryCodesLeft = 0 });
            return CommandResult.Ok();
        });

    private async Task<CommandResult> RunAsync(ClaimsPrincipal actor, CancellationToken ct, Func<UserManager<AppUser>, AuditedWrite, Task<CommandResult>> work)
    {
        if (!Permissions.May(actor, ConsoleAction.Administer))
        {
            return CommandResult.Fail("Only an Admin can manage users.");
        }
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        await using var write = await audit.BeginAsync(db, ct);
        var result = await work(users, write);
        if (result.Succeeded)
        {
            await write.CommitAsync(ct);
        }
        return result;
    }

    /// <summary>Identity's refusals (a password rule, a taken name), each under its code, so a dialog lists them one per line.</summary>
    private static CommandResult Errors(IdentityResult r)
    {
        var errors = new Dictionary<string, string>();
        foreach (var e in r.Errors)
        {
            var key = string.IsNullOrEmpty(e.Code) ? nameof(IdentityError) : e.Code;
            errors[key] = errors.TryGetValue(key, out var earlier) ? earlier + " " + e.Description : e.Description;
        }
        return errors.Count > 0 ? CommandResult.Invalid(errors) : CommandResult.Fail("The account change was refused.");
    }
}
