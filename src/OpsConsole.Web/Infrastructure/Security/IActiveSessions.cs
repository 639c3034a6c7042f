using System.Security.Claims;

namespace OpsConsole.Web.Infrastructure.Security;

/// <summary>Whether a signed-in principal's session is still open; asked by open pages every minute (see <see cref="RevalidatingAuthStateProvider"/>).</summary>
public interface IActiveSessions
{
    ValueTask<bool> IsActiveAsync(ClaimsPrincipal user, CancellationToken ct);
}
