using Microsoft.AspNetCore.Diagnostics;

namespace OpsConsole.Web.Infrastructure;

public static class SecurityHeaders
{
    // Blazor Server needs no inline script or eval; MudBlazor and ApexCharts set inline styles,
    // and the circuit talks over a WebSocket to the same origin.
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "font-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; object-src 'none'; " +
        "base-uri 'self'; form-action 'self'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((ctx, next) =>
        {
            ctx.Response.OnStarting(() =>
            {
                var h = ctx.Response.Headers;
                h.ContentSecurityPolicy = ContentSecurityPolicy;
                h.XContentTypeOptions = "nosniff";
                h.XFrameOptions = "DENY";
                h["Referrer-Policy"] = "strict-origin-when-cross-origin";
                h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
                h["Cross-Origin-Opener-Policy"] = "same-origin";
                return Task.CompletedTask;
            });
            return next(ctx);
        });

    /// <summary>
    /// The friendly "not found" page is for browsers asking for a page. API calls and form posts
    /// keep their own status and body; re-running a refused POST would also re-run its checks.
    /// </summary>
    public static IApplicationBuilder UseStatusCodePagesOnlyForPageRequests(this IApplicationBuilder app) =>
        app.Use((ctx, next) =>
        {
            if (!HttpMethods.IsGet(ctx.Request.Method) || ctx.Request.Path.StartsWithSegments("/api")
                || ctx.Request.Path.StartsWithSegments("/health") || ctx.Request.Path.StartsWithSegments("/_blazor"))
            {
                if (ctx.Features.Get<IStatusCodePagesFeature>() is { } feature)
                {
                    feature.Enabled = false;
                }
            }
            return next(ctx);
        });
}
