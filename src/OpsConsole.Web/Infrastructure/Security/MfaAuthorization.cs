using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Infrastructure.Security;

/// <summary>Adds <see cref="MfaClaims.Enrolled"/> for users with an authenticator, so authorization knows without a query.</summary>
public sealed class AppClaimsPrincipalFactory(UserManager<AppUser> users, RoleManager<IdentityRole> roles, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<AppUser, IdentityRole>(users, roles, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(AppUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        if (await UserManager.GetTwoFactorEnabledAsync(user))
        {
            identity.AddClaim(new Claim(MfaClaims.Enrolled, "true"));
        }
        return identity;
    }
}

/// <summary>Marks the policy of the pages an unenrolled person may still reach: the enrolment page itself.</summary>
public sealed class MfaEnrolmentExempt : IAuthorizationRequirement, IAuthorizationHandler
{
    public static readonly MfaEnrolmentExempt Instance = new();

    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        if (context.User.Identity?.IsAuthenticated == true && context.PendingRequirements.Contains(this))
        {
            context.Succeed(this);
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// Runs in every authorization (the fallback policy, every named or inline policy, Blazor's
/// AuthorizeRouteView, hub methods): a person in a role that needs a second factor and has not
/// enrolled one is refused everything but the enrolment page, whatever else the policy grants.
/// </summary>
public sealed class MfaEnrolmentHandler(MfaSettings settings) : IAuthorizationHandler
{
    public const string Reason = "Multi-factor enrolment is required: set up an authenticator app first.";

    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        if (!context.Requirements.Contains(MfaEnrolmentExempt.Instance) && settings.MustEnrol(context.User))
        {
            context.Fail(new AuthorizationFailureReason(this, Reason));
        }
        return Task.CompletedTask;
    }
}
