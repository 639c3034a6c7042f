namespace OpsConsole.Web.Features.Otlp;

using OpsConsole.Web.Features.Traces;

public static class TracesFeature
{
    public static WebApplicationBuilder AddTraces(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TraceIngestion>();
        builder.Services.AddSingleton<TraceSettingsService>();
        return builder;
    }

    public static WebApplication MapTraces(this WebApplication app)
    {
        app.MapTracesApi();
        return app;
    }
}
