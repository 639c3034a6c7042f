using Hangfire;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Incidents;

/// <summary>The escalation sweep: a thin job over <see cref="IncidentService.EscalateDueAsync"/>.</summary>
public sealed class IncidentEscalationJob(IncidentService incidents, IConfiguration config)
{
    public const string Id = "incident-escalation";

    public Task<int> RunAsync(CancellationToken ct) =>
        incidents.EscalateDueAsync(TimeSpan.FromMinutes(config.GetValue("OpsConsole:Incidents:AckTimeoutMinutes", 30)), ct);
}

public static class IncidentsFeature
{
    public static WebApplicationBuilder AddIncidents(this WebApplicationBuilder builder)
    {
        var ack = builder.Configuration.GetValue("OpsConsole:Incidents:AckTimeoutMinutes", 30);
        if (ack is < 1 or > 1440)
        {
            throw new StartupRefusedException("OpsConsole:Incidents:AckTimeoutMinutes must be between 1 and 1440.");
        }
        builder.Services.AddSingleton<IncidentService>();
        builder.Services.AddSingleton<IncidentNotifier>();
        builder.Services.AddSingleton<IncidentQueries>();
        builder.Services.AddTransient<IncidentEscalationJob>();
        return builder;
    }

    public static void MapIncidentJobs(IRecurringJobManager jobs) =>
        jobs.AddOrUpdate<IncidentEscalationJob>(IncidentEscalationJob.Id, j => j.RunAsync(CancellationToken.None), Cron.Minutely());
}
