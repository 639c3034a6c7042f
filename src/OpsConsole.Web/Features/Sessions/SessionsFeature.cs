using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Sessions;

/// <summary>
/// Sessions hook into the sign-in cookie itself, so every way of signing in (password, second
/// factor, single sign-on) opens one and every request of an ended one is refused.
/// </summary>
public static class SessionsFeature
{
    public static WebApplicationBuilder AddSessions(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<SessionTracker>();
        services.AddSingleton<IActiveSessions>(sp => sp.GetRequiredService<SessionTracker>());
        services.AddSingleton<SessionService>();
        services.PostConfigure<CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme, o =>
        {
            var signingIn = o.Events.OnSigningIn;
            var validate = o.Events.OnValidatePrincipal;
            var signingOut = o.Events.OnSigningOut;
            o.Events.OnSigningIn = async ctx =>
            {
                await signingIn(ctx);
                await OpenAsync(ctx);
            };
            o.Events.OnValidatePrincipal = async ctx =>
            {
                var tracker = ctx.HttpContext.RequestServices.GetRequiredService<SessionTracker>();
                if (ctx.Principal is { } p && !await tracker.IsOpenAsync(p, fresh: false, ctx.HttpContext.RequestAborted))
                {
                    ctx.RejectPrincipal();
                    await ctx.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
                    return;
                }
                await validate(ctx);
            };
            o.Events.OnSigningOut = async ctx =>
            {
                await signingOut(ctx);
                var tracker = ctx.HttpContext.RequestServices.GetRequiredService<SessionTracker>();
                await tracker.EndCurrentAsync(ctx.HttpContext.User, CancellationToken.None);
            };
        });
        // The minutely security-stamp check rebuilds the principal from the user; it keeps its session.
        services.Configure<SecurityStampValidatorOptions>(o =>
        {
            var refreshing = o.OnRefreshingPrincipal;
            o.OnRefreshingPrincipal = async ctx =>
            {
                if (refreshing is not null)
                {
                    await refreshing(ctx);
                }
                if (SessionClaims.SessionIdOf(ctx.CurrentPrincipal) is { } id && ctx.NewPrincipal?.Identity is ClaimsIdentity identity
                    && identity.FindFirst(SessionClaims.SessionId) is null)
                {
                    identity.AddClaim(new Claim(SessionClaims.SessionId, id));
                }
            };
        });
        return builder;
    }

    private static async Task OpenAsync(CookieSigningInContext ctx)
    {
        var principal = ctx.Principal;
        if (principal?.FindFirstValue(ClaimTypes.NameIdentifier) is not { } userId)
        {
            return;
        }
        // Identity re-issues the cookie of a signed-in user (after enrolling a second factor, say): same browser, same session.
        if (SessionClaims.SessionIdOf(ctx.HttpContext.User) is { } current && ctx.HttpContext.User.FindFirstValue(ClaimTypes.NameIdentifier) == userId)
        {
            if (principal.Identity is ClaimsIdentity identity && identity.FindFirst(SessionClaims.SessionId) is null)
            {
                identity.AddClaim(new Claim(SessionClaims.SessionId, current));
            }
            return;
        }
        var tracker = ctx.HttpContext.RequestServices.GetRequiredService<SessionTracker>();
        await tracker.OpenAsync(principal, userId, MethodOf(principal), ctx.HttpContext, CancellationToken.None);
    }

    /// <summary>"password", "password+mfa" or the external provider, from the claims Identity puts in at sign-in.</summary>
    internal static string MethodOf(ClaimsPrincipal principal)
    {
        var amr = principal.FindAll("amr").Select(c => c.Value).ToList();
        var external = principal.FindFirstValue(ClaimTypes.AuthenticationMethod);
        var method = external is { Length: > 0 } ? "sso:" + external
            : amr.Contains("mfa") ? "password+mfa"
            : amr.Contains("pwd") ? "password"
            : "other";
        return method.Length > 32 ? method[..32] : method;
    }
}
