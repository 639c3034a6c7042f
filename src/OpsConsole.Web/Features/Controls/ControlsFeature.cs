using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Realtime;

namespace OpsConsole.Web.Features.Controls;

public static class ControlsFeature
{
    /// <summary>API keys with <c>decisions:read</c> (the config push hub).</summary>
    public const string DecisionsPolicy = "ApiDecisionsRead";

    public static WebApplicationBuilder AddControls(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ControlsService>();
        builder.Services.AddSingleton<ConfigChangeNotifier>();
        builder.Services.AddAuthorizationBuilder().AddPolicy(DecisionsPolicy, p => p
            .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireClaim(ApiKeyAuthenticationHandler.ScopeClaim, ApiScopes.DecisionsRead));
        return builder;
    }

    public static WebApplication MapControls(this WebApplication app)
    {
        app.MapDecisionApi();
        app.MapHub<ConfigHub>(ConfigHub.Path);
        return app;
    }
}
