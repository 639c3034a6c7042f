using MudBlazor.Services;
using OpsConsole.Web.Components;
using OpsConsole.Web.Infrastructure;

namespace OpsConsole.Web.Host;

/// <summary>What every request goes through before and after the features: the web host itself.</summary>
internal static class HostPlumbing
{
    public static WebApplicationBuilder AddHostPlumbing(this WebApplicationBuilder builder)
    {
        // The console handles JSON batches of at most 4 MB; nothing it serves needs more.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 5 * 1024 * 1024);
        builder.AddHostLogging().AddHostHttps();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull);
        return builder;
    }

    /// <summary>The middleware, in order: HTTPS and proxies, headers, status pages, then who the caller is and what they may do.</summary>
    public static WebApplication UseHostPipeline(this WebApplication app)
    {
        app.UseHostHttps();
        app.UseSecurityHeaders();
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseStatusCodePagesOnlyForPageRequests();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseAntiforgery();
        app.MapStaticAssets().AllowAnonymous();
        app.MapOpenApi().AllowAnonymous();
        return app;
    }

    /// <summary>The pages: every feature's routable components, found by the router.</summary>
    public static WebApplication MapPages(this WebApplication app)
    {
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
