using OpsConsole.Web.Infrastructure.Jobs;
using OpsConsole.Web.Features.Paths;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Drift;

/// <summary>The recurring drift check of one path: a thin job over <see cref="DriftCheckService"/>.</summary>
public sealed class DriftCheckJob(DriftCheckService drift)
{
    public static string IdOf(string slug) => "drift-check:" + slug;

    // Hangfire runs a job at least once; the service stores one run per window, so a retry is harmless.
    [AutomaticRetry(Attempts = 3)]
    public Task RunAsync(int pathId, CancellationToken ct) => drift.CheckAsync(pathId, ct);
}

public static class DriftFeature
{
    public static WebApplicationBuilder AddDrift(this WebApplicationBuilder builder)
    {
        builder.Services.AddRecurringJobs((_, services) => ScheduleAsync(services, CancellationToken.None));
        builder.Services.AddSingleton<DriftCheckService>();
        builder.Services.AddSingleton<DriftSchedule>();
        builder.Services.AddSingleton<Controls.IRolloutGateSource, LastDriftGate>();
        builder.Services.AddSingleton<IPathSavedHandler>(sp => sp.GetRequiredService<DriftSchedule>());
        builder.Services.AddSingleton<DriftQueries>();
        builder.Services.AddTransient<DriftRetentionJob>();
        builder.Services.AddOptions<DriftOptions>().Bind(builder.Configuration.GetSection(DriftOptions.Section))
            .Validate(o => o.RetentionDays >= 8, "OpsConsole:Drift:RetentionDays must be at least 8 (a week of history and the day being checked).")
            .ValidateOnStart();
        builder.Services.AddTransient<DriftCheckJob>();
        return builder;
    }

    /// <summary>One recurring job per path, re-registered at every start (Hangfire's storage is in memory).</summary>
    public static async Task ScheduleAsync(IServiceProvider services, CancellationToken ct)
    {
        services.GetRequiredService<IRecurringJobManager>().AddOrUpdate<DriftRetentionJob>(DriftRetentionJob.Id, j => j.RunAsync(CancellationToken.None), Cron.Daily(3, 17));
        var schedule = services.GetRequiredService<DriftSchedule>();
        await using var db = await services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(ct);
        foreach (var p in await db.Paths.AsNoTracking().Select(p => new { p.Id, p.Slug, p.Drift.IntervalMinutes }).ToListAsync(ct))
        {
            schedule.Apply(p.Id, p.Slug, p.IntervalMinutes);
        }
    }
}

/// <summary>
/// The per-path cron of the drift check. A path's interval divides the hour, so a check's windows
/// end on a boundary of it; a created path or a changed interval is scheduled at once, not at the next start.
/// </summary>
public sealed class DriftSchedule(IRecurringJobManager jobs) : IPathSavedHandler
{
    public static IReadOnlyList<int> Intervals => DriftPolicy.Intervals;

    /// <summary>A stored interval that is not one of <see cref="Intervals"/> (an older setting) becomes the largest one below it.</summary>
    public static int Normalize(int minutes) => Intervals.LastOrDefault(i => i <= minutes, Intervals[0]);

    public static string CronOf(int minutes) => Normalize(minutes) switch
    {
        1 => "* * * * *",
        60 => "0 * * * *",
        var m => $"*/{m} * * * *",
    };

    /// <summary>A saved path's check runs at its (possibly new) interval.</summary>
    public void OnSaved(OperatingPath path) => Apply(path.Id, path.Slug, path.Drift.IntervalMinutes);

    public void Apply(int pathId, string slug, int intervalMinutes) =>
        jobs.AddOrUpdate<DriftCheckJob>(DriftCheckJob.IdOf(slug), j => j.RunAsync(pathId, CancellationToken.None), CronOf(intervalMinutes));
}
