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
        builder.Services.AddSingleton<DriftCheckService>();
        builder.Services.AddTransient<DriftCheckJob>();
        return builder;
    }

    /// <summary>One recurring job per path, re-registered at every start (Hangfire's storage is in memory).</summary>
    public static async Task ScheduleAsync(IServiceProvider services, IRecurringJobManager jobs, CancellationToken ct)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(ct);
        foreach (var p in await db.Paths.AsNoTracking().Select(p => new { p.Id, p.Slug, p.Drift.IntervalMinutes }).ToListAsync(ct))
        {
            Schedule(jobs, p.Id, p.Slug, p.IntervalMinutes);
        }
    }

    public static void Schedule(IRecurringJobManager jobs, int pathId, string slug, int intervalMinutes)
    {
        var minutes = Math.Clamp(intervalMinutes / DriftCheckService.SlotMinutes * DriftCheckService.SlotMinutes, DriftCheckService.SlotMinutes, 60);
        jobs.AddOrUpdate<DriftCheckJob>(DriftCheckJob.IdOf(slug), j => j.RunAsync(pathId, CancellationToken.None), $"*/{minutes} * * * *");
    }
}
