using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Infrastructure.Security;

/// <summary>
/// An open circuit re-checks the user's security stamp and session every minute, so a user who is
/// locked, whose roles changed or whose session was ended, loses the old rights in open tabs too.
/// </summary>
internal sealed class RevalidatingAuthStateProvider(ILoggerFactory loggerFactory, IServiceScopeFactory scopes, IOptions<IdentityOptions> identity,
    IEnumerable<IActiveSessions> sessions)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = await users.GetUserAsync(state.User);
        if (user is null || await users.IsLockedOutAsync(user))
        {
            return false;
        }
        // A session ended elsewhere (signed out everywhere, ended by an admin) closes its open pages too.
        foreach (var session in sessions)
        {
            if (!await session.IsActiveAsync(state.User, ct))
            {
                return false;
            }
        }
        if (!users.SupportsUserSecurityStamp)
        {
            return true;
        }
        var principalStamp = state.User.FindFirstValue(identity.Value.ClaimsIdentity.SecurityStampClaimType);
        return principalStamp == await users.GetSecurityStampAsync(user);
    }
}
