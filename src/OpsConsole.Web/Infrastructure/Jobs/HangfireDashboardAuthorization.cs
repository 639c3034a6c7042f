using Hangfire.Dashboard;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Infrastructure.Jobs;

/// <summary>
/// The Hangfire dashboard is for admins: the endpoint requires the console's Admin policy (sign-in
/// redirect, 403), and this filter checks again inside Hangfire, replacing its default
/// "local requests only" rule, which would let anyone on the machine in.
/// </summary>
public sealed class HangfireDashboardAuthorization : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context)
    {
        var user = context.GetHttpContext().User;
        return user.Identity?.IsAuthenticated == true && user.IsInRole(AppRoles.Admin);
    }
}
