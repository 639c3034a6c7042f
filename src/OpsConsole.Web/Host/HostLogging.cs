namespace OpsConsole.Web.Host;

internal static class HostLogging
{
    /// <summary>One line per event for people at a terminal; JSON (with scopes) for log shippers elsewhere.</summary>
    public static WebApplicationBuilder AddHostLogging(this WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        if (builder.Environment.IsDevelopment())
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
        }
        else
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }
        return builder;
    }
}
