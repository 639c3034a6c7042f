namespace OpsConsole.Web.Features.Paths;

public static class PathsFeature
{
    public static WebApplicationBuilder AddPaths(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<PathService>();
        builder.Services.AddSingleton<PathCatalog>();
        builder.Services.AddSingleton<WebhookSecrets>();
        return builder;
    }
}
