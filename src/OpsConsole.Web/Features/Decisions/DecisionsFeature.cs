using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Realtime;

namespace OpsConsole.Web.Features.Decisions;

/// <summary>
/// What AI services ask: the decision and config API, and the config hub that tells them when to
/// ask again. Controls and Incidents change the answers; this feature serves them.
/// </summary>
public static class DecisionsFeature
{
    /// <summary>API keys with <c>decisions:read</c> (the config push hub).</summary>
    public const string DecisionsPolicy = Infrastructure.Security.Policies.ApiDecisionsRead;

    public static WebApplicationBuilder AddDecisions(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DecisionBudget>();
        builder.Services.AddNotifier<ConfigChangeNotifier>();
        builder.AddClusterHub<ConfigHub>();
        builder.Services.AddSingleton<Paths.IPathConfigPublisher>(sp => sp.GetRequiredService<ConfigChangeNotifier>());
        builder.Services.AddAuthorizationBuilder().AddPolicy(DecisionsPolicy, p => p
            .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireClaim(ApiKeyAuthenticationHandler.ScopeClaim, ApiScopes.DecisionsRead));
        return builder;
    }

    public static WebApplication MapDecisions(this WebApplication app)
    {
        app.MapDecisionApi();
        app.MapHub<ConfigHub>(ConfigHub.Path);
        return app;
    }
}
