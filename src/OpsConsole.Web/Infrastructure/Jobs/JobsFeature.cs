using Hangfire;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Ingestion;

namespace OpsConsole.Web.Infrastructure.Jobs;

/// <summary>
/// Hangfire schedules the console's recurring work. Storage is in memory: jobs are re-registered
/// at every start, and anything that must survive a restart lives in the app database.
/// </summary>
public static class JobsFeature
{
    public const string DashboardPath = "/hangfire";

    public static WebApplicationBuilder AddJobs(this WebApplicationBuilder builder)
    {
        builder.Services.AddHangfire((services, c) => c
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseStorage(services.GetRequiredService<JobStorage>()));
        // One storage per host, registered after AddHangfire so it wins: Hangfire's own registration
        // hands out the process-wide JobStorage.Current, so two hosts starting together in one
        // process (the tests) could share one, and the first to stop disposed it under the other.
        builder.Services.AddSingleton<JobStorage>(_ => new Hangfire.InMemory.InMemoryStorage());
        // Tests switch the server off and run job classes directly, so no timer fires mid-test.
        if (builder.Configuration.GetValue("OpsConsole:Jobs:Enabled", true))
        {
            builder.Services.AddHangfireServer(o =>
            {
                o.WorkerCount = Math.Max(2, Environment.ProcessorCount);
                o.ServerName = "opsconsole-" + Environment.MachineName;
            });
        }
        return builder;
    }

    /// <summary>Every recurring job, in one place. Ids are constants so a restart updates rather than duplicates.</summary>
    public static WebApplication MapJobs(this WebApplication app)
    {
        var jobs = app.Services.GetRequiredService<IRecurringJobManager>();
        jobs.AddOrUpdate<QuarantineCleanupJob>(QuarantineCleanupJob.Id, j => j.RunAsync(CancellationToken.None), Cron.Hourly());
        jobs.AddOrUpdate<Features.Review.ReviewSlaJob>(Features.Review.ReviewSlaJob.Id, j => j.RunAsync(CancellationToken.None), Cron.Minutely());
        app.MapDashboardJobs(jobs);
        Features.Incidents.IncidentsFeature.MapIncidentJobs(jobs);
        Features.Audit.AuditFeature.MapAuditJobs(jobs);
        Features.Webhooks.WebhooksFeature.MapWebhookJobs(jobs);
        Features.Drift.DriftFeature.ScheduleAsync(app.Services, CancellationToken.None).GetAwaiter().GetResult();
        app.MapHangfireDashboard(DashboardPath, new Hangfire.DashboardOptions
        {
            Authorization = [new HangfireDashboardAuthorization()],
            DashboardTitle = "OpsConsole jobs",
            AppPath = "/",
            DisplayStorageConnectionString = false,
        }).RequireAuthorization(Infrastructure.Security.Policies.Admin);
        return app;
    }
}
