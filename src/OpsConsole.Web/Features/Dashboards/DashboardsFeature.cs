using OpsConsole.Web.Infrastructure.Jobs;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Features.Dashboards;

public static class DashboardsFeature
{
    /// <summary>The command line that recomputes rollups from raw events: <c>rebuild-rollups [slug…]</c>.</summary>
    public const string RebuildCommand = "rebuild-rollups";

    public static WebApplicationBuilder AddDashboards(this WebApplicationBuilder builder)
    {
        builder.Services.AddRecurringJobs(jobs => jobs.AddOrUpdate<RollupCompaction>(RollupCompaction.Id, j => j.RunAsync(CancellationToken.None), Cron.Hourly(7)));
        builder.Services.AddOptions<Metrics.RollupOptions>().Bind(builder.Configuration.GetSection(Metrics.RollupOptions.Section))
            .Validate(o => o.MinuteBucketsHours >= 2 && o.HourBucketsDays >= 62 && o.HourBucketsDays * 24 > o.MinuteBucketsHours,
                "OpsConsole:Dashboards: MinuteBucketsHours must be at least 2 (the 1-hour view and its previous hour) and HourBucketsDays at least 62 (the 30-day view and its previous period).")
            .ValidateOnStart();
        builder.Services.AddSingleton<DashboardService>();
        builder.Services.AddSingleton<ReleaseFiguresQuery>();
        builder.Services.AddSingleton<FailurePatternService>();
        builder.Services.AddTransient<RollupCompaction>();
        return builder;
    }

    /// <summary>
    /// Recomputes the rollups of the named paths (every path when none is named) from raw events
    /// and decisions, then compacts them; prints what it did. Returns the process exit code.
    /// </summary>
    public static async Task<int> RebuildAsync(IServiceProvider services, IReadOnlyList<string> slugs, TextWriter output, CancellationToken ct)
    {
        var dbFactory = services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var paths = await db.Paths.AsNoTracking().Where(p => slugs.Count == 0 || slugs.Contains(p.Slug)).Select(p => new { p.Id, p.Slug }).ToListAsync(ct);
        var unknown = slugs.Except(paths.Select(p => p.Slug)).ToList();
        if (unknown.Count > 0)
        {
            output.WriteLine($"No such path: {string.Join(", ", unknown)}. Nothing was changed.");
            return 2;
        }
        foreach (var p in paths)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await RollupRebuild.RebuildAsync(db, p.Id, ct);
            output.WriteLine($"{p.Slug}: rollups rebuilt from raw events in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s.");
        }
        var merged = await services.GetRequiredService<RollupCompaction>().RunAsync(ct);
        output.WriteLine($"Compacted {merged} buckets into hour and day buckets.");
        return 0;
    }
}
