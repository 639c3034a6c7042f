using Hangfire.Dashboard;
using Microsoft.AspNetCore.Authorization;

namespace OpsConsole.Web.Infrastructure.Jobs;

/// <summary>
/// The Hangfire dashboard is for admins: the endpoint requires the console's Admin policy (sign-in
/// redirect, 403), and this filter asks the same policy again inside Hangfire, replacing its default
/// "local requests only" rule, which would let anyone on the machine in. It goes through the
/// authorization service by policy name so this low layer names no type of Security's.
/// </summary>
public sealed class HangfireDashboardAuthorization : IDashboardAsyncAuthorizationFilter
{
    public async Task<bool> AuthorizeAsync(DashboardContext context)
    {
        var http = context.GetHttpContext();
        var authorization = http.RequestServices.GetRequiredService<IAuthorizationService>();
        return http.User.Identity?.IsAuthenticated == true
            && (await authorization.AuthorizeAsync(http.User, Security.Policies.Admin)).Succeeded;
    }
}
