using Hangfire;
using OpsConsole.Web.Infrastructure.Jobs;

namespace OpsConsole.Web.Features.Quarantine;

/// <summary>The quarantine's pages, replay and hourly clean-up; the ingestion writer fills it.</summary>
public static class QuarantineFeature
{
    public static WebApplicationBuilder AddQuarantine(this WebApplicationBuilder builder)
    {
        builder.Services.AddRecurringJobs(jobs => jobs.AddOrUpdate<QuarantineCleanupJob>(QuarantineCleanupJob.Id, j => j.RunAsync(CancellationToken.None), Cron.Hourly()));
        builder.Services.AddSingleton<QuarantineService>();
        builder.Services.AddTransient<QuarantineCleanupJob>();
        return builder;
    }
}
