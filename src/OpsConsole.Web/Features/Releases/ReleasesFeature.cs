namespace OpsConsole.Web.Features.Releases;

public static class ReleasesFeature
{
    public static WebApplicationBuilder AddReleases(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ReleaseService>();
        return builder;
    }

    public static WebApplication MapReleases(this WebApplication app)
    {
        app.MapReleasesApi();
        return app;
    }
}
