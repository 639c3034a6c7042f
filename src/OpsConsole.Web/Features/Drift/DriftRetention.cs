using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Drift;

/// <summary>Settings under <c>OpsConsole:Drift</c>.</summary>
public sealed class DriftOptions
{
    public const string Section = "OpsConsole:Drift";

    /// <summary>Stored check runs older than this are deleted (a path checked every minute stores 1,440 a day).</summary>
    public int RetentionDays { get; set; } = 90;
}

/// <summary>
/// Daily job: deletes drift runs past the retention, except each path's latest run (the dashboard's
/// verdict and the rollout gate read it). Deleting what is already gone is a no-op, so a retry is harmless.
/// </summary>
public sealed class DriftRetentionJob(IDbContextFactory<AppDbContext> dbFactory, IOptions<DriftOptions> options, TimeProvider time, ILogger<DriftRetentionJob> log)
{
    public const string Id = "drift-retention";

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var cutoff = time.GetUtcNow().UtcDateTime.AddDays(-options.Value.RetentionDays);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var deleted = await db.DriftCheckRuns
            .Where(r => r.CurrentTo < cutoff && r.Id != db.Set<DriftCheckRun>().Where(x => x.PathId == r.PathId).OrderByDescending(x => x.CurrentTo).ThenByDescending(x => x.Id).Select(x => x.Id).First())
            .ExecuteDeleteAsync(ct);
        if (deleted > 0)
        {
            log.LogInformation("Drift retention deleted {Count} runs older than {Days} days", deleted, options.Value.RetentionDays);
        }
        return deleted;
    }
}
