using Hangfire;
using OpsConsole.Web.Infrastructure.Jobs;

namespace OpsConsole.Web.Features.Releases;

/// <summary>The guarded canary's looks: a thin job over <see cref="CanaryService"/>, every minute.</summary>
public sealed class CanaryLookJob(CanaryService canary)
{
    public const string Id = "canary-looks";

    // Overlapping looks (a slow database, several instances) would only store two looks; the lock keeps one.
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 50)]
    public Task RunAsync(CancellationToken ct) => canary.LookAllAsync(ct);
}

public static class ReleasesFeature
{
    public static WebApplicationBuilder AddReleases(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ReleaseService>();
        builder.Services.AddSingleton<CanaryService>();
        builder.Services.AddTransient<CanaryLookJob>();
        builder.Services.AddRecurringJobs(jobs => jobs.AddOrUpdate<CanaryLookJob>(CanaryLookJob.Id, j => j.RunAsync(CancellationToken.None), Cron.Minutely()));
        return builder;
    }

    public static WebApplication MapReleases(this WebApplication app)
    {
        app.MapReleasesApi();
        app.MapCanaryApi();
        return app;
    }
}
