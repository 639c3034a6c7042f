namespace OpsConsole.Web.Features.Traces;

/// <summary>The read side of traces: the trace tab, example traces of incidents, event scores.</summary>
public static class TraceReadFeature
{
    public static WebApplicationBuilder AddTraceReads(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TraceQueries>();
        return builder;
    }
}
