namespace OpsConsole.Web.Features.Metrics;

public static class MetricsFeature
{
    /// <summary>The read side of the rollups (the write side is called inside the ingest and review transactions).</summary>
    public static WebApplicationBuilder AddMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<MetricsQueries>();
        builder.Services.AddSingleton<FreshnessQueries>();
        builder.Services.AddSingleton<Paths.IPathBreakdownHandler, RollupSegments>();
        return builder;
    }
}
