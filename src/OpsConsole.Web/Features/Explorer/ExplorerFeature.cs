namespace OpsConsole.Web.Features.Explorer;

public static class ExplorerFeature
{
    /// <summary>The event search and detail pages' reads (the stored events, newest first, by cursor).</summary>
    public static WebApplicationBuilder AddExplorer(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<EventExplorerService>();
        return builder;
    }
}
