using OpsConsole.Web.Infrastructure.Jobs;
using Hangfire;
using Microsoft.Extensions.Options;
using OpsConsole.Web.Data;
using OpsConsole.Web.Realtime;

namespace OpsConsole.Web.Features.Incidents;

/// <summary>Settings under <c>OpsConsole:Incidents</c>.</summary>
public sealed class IncidentsOptions
{
    public const string Section = "OpsConsole:Incidents";

    /// <summary>An incident not acknowledged within this many minutes (1–1440) is escalated to the path's owners.</summary>
    public int AckTimeoutMinutes { get; set; } = 30;
}

/// <summary>The escalation sweep: a thin job over <see cref="IncidentService.EscalateDueAsync"/>.</summary>
public sealed class IncidentEscalationJob(IncidentService incidents, IOptions<IncidentsOptions> options)
{
    public const string Id = "incident-escalation";

    public Task<int> RunAsync(CancellationToken ct) =>
        incidents.EscalateDueAsync(TimeSpan.FromMinutes(options.Value.AckTimeoutMinutes), ct);
}

public static class IncidentsFeature
{
    public static WebApplicationBuilder AddIncidents(this WebApplicationBuilder builder)
    {
        builder.Services.AddRecurringJobs(MapIncidentJobs);
        var section = builder.Configuration.GetSection(IncidentsOptions.Section);
        builder.Services.AddOptions<IncidentsOptions>().Bind(section);
        // Checked here rather than on first use, so a wrong value stops the start with a readable message.
        if ((section.Get<IncidentsOptions>() ?? new()).AckTimeoutMinutes is < 1 or > 1440)
        {
            throw new StartupRefusedException("OpsConsole:Incidents:AckTimeoutMinutes must be between 1 and 1440.");
        }
        builder.Services.AddSingleton<IncidentService>();
        builder.Services.AddSingleton<Controls.IRolloutGateSource, OpenIncidentGate>();
        builder.Services.AddNotifier<IncidentNotifier>();
        builder.Services.AddSingleton<IncidentQueries>();
        builder.Services.AddTransient<IncidentEscalationJob>();
        return builder;
    }

    public static void MapIncidentJobs(IRecurringJobManager jobs) =>
        jobs.AddOrUpdate<IncidentEscalationJob>(IncidentEscalationJob.Id, j => j.RunAsync(CancellationToken.None), Cron.Minutely());
}
