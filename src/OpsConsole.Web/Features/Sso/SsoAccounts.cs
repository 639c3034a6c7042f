using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using OpsConsole.Web.Data;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Features.Audit;

namespace OpsConsole.Web.Features.Sso;

/// <summary>Who the identity provider says signed in: the claims the console uses, read once from the validated id_token.</summary>
/// <param name="EmailVerified">The provider's <c>email_verified</c> claim is true.</param>
public sealed record SsoIdentity(string Subject, string Email, string DisplayName, IReadOnlyList<string> Groups, bool EmailVerified = false)
{
    /// <summary>Identity's e-mail column.</summary>
    public const int MaxEmailLength = 256;

    /// <summary>The users table's display-name column.</summary>
    public const int MaxDisplayNameLength = 200;

    /// <returns>Null when the provider sent no subject or no e-mail address.</returns>
    public static SsoIdentity? From(ClaimsPrincipal principal, string groupsClaim)
    {
        var subject = principal.FindFirstValue("sub") ?? principal.FindFirstValue(ClaimTypes.NameIdentifier);
        var email = (principal.FindFirstValue("email") ?? principal.FindFirstValue(ClaimTypes.Email))?.Trim();
        // An address longer than Identity's column, or one with control characters, cannot be an account's.
        if (string.IsNullOrEmpty(subject) || string.IsNullOrEmpty(email) || email.Length > MaxEmailLength || email.Any(char.IsControl))
        {
            return null;
        }
        // The name is shown and stored as given, so it is cleaned and cut to the column (200); nothing left: the address.
        var name = PrintableText.Clean(principal.FindFirstValue("name") ?? principal.FindFirstValue(ClaimTypes.Name), MaxDisplayNameLength) is { Length: > 0 } n ? n : email;
        var groups = principal.FindAll(groupsClaim).Select(c => c.Value).Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        // A JSON true arrives as the claim value "true"; a string "true" some providers send reads the same.
        var verified = string.Equals(principal.FindFirstValue("email_verified"), "true", StringComparison.OrdinalIgnoreCase);
        return new SsoIdentity(subject, email, name, groups, verified);
    }
}

public enum SsoRefusal
{
    None,
    /// <summary>No subject or e-mail in the token.</summary>
    MissingClaims,
    EmailNotAllowed,
    /// <summary>None of the user's groups maps to a role; an existing account is locked.</summary>
    NoMappedGroup,
    /// <summary>The account is locked (by an Admin, or earlier for having no mapped group).</summary>
    Locked,
    /// <summary>The bootstrap admin, the system account, or an address already linked to another provider account.</summary>
    NotForSso,
    /// <summary>An account with this address exists, and the provider has not verified the address: not linked.</summary>
    EmailNotVerified,
}

/// <param name="UserId">The console account to sign in; null when refused.</param>
public sealed record SsoProvisioning(string? UserId, SsoRefusal Refusal)
{
    public static SsoProvisioning Refused(SsoRefusal why) => new(null, why);
}

/// <summary>
/// Turns a provider sign-in into a console account: creates it on first sign-in (no local password,
/// linked by the provider's <c>sub</c>), sets its roles from the mapped groups on every sign-in, and
/// locks it when no group maps any more. Every change is audited with the provider as its source.
/// </summary>
public sealed class SsoAccounts(IServiceScopeFactory scopes, SsoSettings settings, AuditLog audit, TimeProvider time, ILogger<SsoAccounts> log)
{
    private static readonly AuditActor Actor = new(null, "single sign-on");

    public async Task<SsoProvisioning> ProvisionAsync(SsoIdentity id, CancellationToken ct)
    {
        if (!settings.IsAllowedEmail(id.Email))
        {
            log.LogWarning("Single sign-on refused for {Email} (subject {Subject}): the e-mail domain is not in AllowedEmailDomains", id.Email, id.Subject);
            return SsoProvisioning.Refused(SsoRefusal.EmailNotAllowed);
        }
        if (settings.BootstrapAdminEmail is { } bootstrap && string.Equals(id.Email, bootstrap, StringComparison.OrdinalIgnoreCase))
        {
            // The break-glass account stays independent of the provider: never linked, its roles never synced.
            log.LogWarning("Single sign-on refused for {Email}: the bootstrap admin signs in with its password", id.Email);
            return SsoProvisioning.Refused(SsoRefusal.NotForSso);
        }
        var roles = settings.GroupRoles.RolesFor(id.Groups);

        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        await using var write = await audit.BeginAsync(db, ct);

        var user = await users.FindByLoginAsync(SsoSettings.Scheme, id.Subject);
        var linked = user is not null;
        if (user is null && await users.FindByEmailAsync(id.Email) is { } byEmail)
        {
            var logins = await users.GetLoginsAsync(byEmail);
            if (byEmail.IsSystem || logins.Any(l => l.LoginProvider == SsoSettings.Scheme))
            {
                log.LogWarning("Single sign-on refused for {Email} (subject {Subject}): that account is the system account or linked to another provider subject", id.Email, id.Subject);
                return SsoProvisioning.Refused(SsoRefusal.NotForSso);
            }
            if (!AddressTrusted(id))
            {
                // Whoever can set this address at the provider would otherwise become this account.
                log.LogWarning("Single sign-on refused for {Email} (subject {Subject}): an account with that address exists and the provider has not verified the address (email_verified)", id.Email, id.Subject);
                return SsoProvisioning.Refused(SsoRefusal.EmailNotVerified);
            }
            user = byEmail;
        }

        if (roles.Count == 0)
        {
            log.LogWarning("Single sign-on refused for {Email} (subject {Subject}): none of the groups [{Groups}] maps to a role",
                id.Email, id.Subject, string.Join(", ", id.Groups));
            if (user is not null && linked && !await users.IsLockedOutAsync(user))
            {
                await LockAsync(users, write, user, id, ct);
            }
            return SsoProvisioning.Refused(SsoRefusal.NoMappedGroup);
        }

        if (user is null)
        {
            user = new AppUser { UserName = id.Email, Email = id.Email, EmailConfirmed = true, DisplayName = id.DisplayName, CreatedAt = time.GetUtcNow().UtcDateTime };
            // No password: the provider is how this account signs in.
            Check(await users.CreateAsync(user));
            Check(await users.AddLoginAsync(user, new UserLoginInfo(SsoSettings.Scheme, id.Subject, settings.DisplayName)));
            Check(await users.AddToRolesAsync(user, roles));
            write.Record(Actor, "user.create", "user", user.Id, null, null, new { email = id.Email, displayName = user.DisplayName, roles, source = "sso", subject = id.Subject });
            await write.CommitAsync(ct);
            log.LogInformation("Single sign-on created {Email} with roles {Roles}", id.Email, string.Join(", ", roles));
            return new SsoProvisioning(user.Id, SsoRefusal.None);
        }

        if (await users.IsLockedOutAsync(user))
        {
            log.LogWarning("Single sign-on refused for locked account {Email}", id.Email);
            return SsoProvisioning.Refused(SsoRefusal.Locked);
        }
        if (!linked)
        {
            Check(await users.AddLoginAsync(user, new UserLoginInfo(SsoSettings.Scheme, id.Subject, settings.DisplayName)));
            write.Record(Actor, "user.sso-link", "user", user.Id, null, null, new { email = user.Email, subject = id.Subject });
        }
        if (linked)
        {
            await SyncProfileAsync(users, write, user, id);
        }
        var current = (await users.GetRolesAsync(user)).Order(StringComparer.Ordinal).ToList();
        if (!current.SequenceEqual(roles.Order(StringComparer.Ordinal)))
        {
            Check(await users.RemoveFromRolesAsync(user, current.Except(roles)));
            Check(await users.AddToRolesAsync(user, roles.Except(current)));
            // Other open sessions of this user pick up the new roles within a minute.
            Check(await users.UpdateSecurityStampAsync(user));
            write.Record(Actor, "user.roles", "user", user.Id, null, new { email = user.Email, roles = current }, new { email = user.Email, roles, source = "sso" });
            log.LogInformation("Single sign-on changed the roles of {Email} from [{Before}] to [{After}]", user.Email, string.Join(", ", current), string.Join(", ", roles));
        }
        await write.CommitAsync(ct);
        return new SsoProvisioning(user.Id, SsoRefusal.None);
    }

    /// <summary>An address may link or change an account: the provider verified it, or the setting trusts them all.</summary>
    private bool AddressTrusted(SsoIdentity id) => id.EmailVerified || settings.LinkUnverifiedEmails;

    /// <summary>
    /// Keeps the name and address the provider now gives this subject. A new address is taken only when
    /// the provider has verified it (or <c>LinkUnverifiedEmails</c> is on) and no other account holds it;
    /// otherwise the account keeps its address and the reason is logged.
    /// </summary>
    private async Task SyncProfileAsync(UserManager<AppUser> users, AuditedWrite write, AppUser user, SsoIdentity id)
    {
        var before = new { email = user.Email, displayName = user.DisplayName };
        var changed = false;
        if (!string.Equals(user.DisplayName, id.DisplayName, StringComparison.Ordinal))
        {
            user.DisplayName = id.DisplayName;
            changed = true;
        }
        if (!string.Equals(user.Email, id.Email, StringComparison.OrdinalIgnoreCase))
        {
            if (!AddressTrusted(id))
            {
                log.LogWarning("Single sign-on kept {Email} for subject {Subject}: the provider's new address {NewEmail} is not verified", user.Email, id.Subject, id.Email);
            }
            else if (await users.FindByEmailAsync(id.Email) is { } holder && holder.Id != user.Id)
            {
                log.LogWarning("Single sign-on kept {Email} for subject {Subject}: the provider's new address {NewEmail} belongs to another account", user.Email, id.Subject, id.Email);
            }
            else
            {
                user.Email = id.Email;
                user.UserName = id.Email;
                user.EmailConfirmed = true;
                changed = true;
            }
        }
        if (!changed)
        {
            return;
        }
        Check(await users.UpdateAsync(user));
        write.Record(Actor, "user.profile", "user", user.Id, null, before, new { email = user.Email, displayName = user.DisplayName, source = "sso" });
        log.LogInformation("Single sign-on updated the profile of subject {Subject}: {Before} → {After}", id.Subject, before, new { user.Email, user.DisplayName });
    }

    private async Task LockAsync(UserManager<AppUser> users, AuditedWrite write, AppUser user, SsoIdentity id, CancellationToken ct)
    {
        var before = new { email = user.Email, lockedUntil = user.LockoutEnd };
        Check(await users.SetLockoutEnabledAsync(user, true));
        Check(await users.SetLockoutEndDateAsync(user, DateTimeOffset.MaxValue));
        // Sessions still open elsewhere end at their next stamp check (within a minute).
        Check(await users.UpdateSecurityStampAsync(user));
        write.Record(Actor, "user.lock", "user", user.Id, null, before, new { email = user.Email, lockedUntil = user.LockoutEnd, reason = "no identity-provider group maps to a role", groups = id.Groups });
        await write.CommitAsync(ct);
        log.LogWarning("Locked {Email}: signed in by single sign-on with no group that maps to a role", user.Email);
    }

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException("Single sign-on could not update the account: " + string.Join(" ", result.Errors.Select(e => e.Description)));
        }
    }
}
