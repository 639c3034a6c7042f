using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Metrics;

namespace OpsConsole.Web.Features.Drift;

/// <summary>A stored drift run as the panel, its charts and the run page show it.</summary>
public sealed record DriftRunView(long Id, int PathId, DateTime ReferenceFrom, DateTime ReferenceTo, DateTime CurrentFrom, DateTime CurrentTo,
    string ReferenceKind, DateTime RanAt, string Verdict, IReadOnlyList<DriftStatistic> Statistics)
{
    public static DriftRunView From(DriftCheckRun r) =>
        new(r.Id, r.PathId, r.ReferenceFrom, r.ReferenceTo, r.CurrentFrom, r.CurrentTo, r.ReferenceKind, r.RanAt, r.Verdict, [.. r.Statistics]);
}

/// <summary>What the dashboard's drift panel shows: the path's policy, its latest run, and the runs of the range.</summary>
public sealed record DriftPanelData(DriftPolicy Policy, DriftRunView? Latest, IReadOnlyList<DriftRunView> Runs);

/// <summary>One stored run with the figures of both its windows, for the run page.</summary>
public sealed record DriftRunDetail(DriftRunView Run, PathMetrics Reference, PathMetrics Current);

/// <summary>Reads stored drift runs for the pages.</summary>
public sealed class DriftQueries(IDbContextFactory<AppDbContext> dbFactory, Metrics.MetricsQueries dashboard)
{
    /// <summary>At most this many runs are drawn (a day of one-minute checks is 1,440): the latest of the range.</summary>
    public const int MaxRuns = 500;

    public async Task<DriftPanelData> PanelAsync(int pathId, DateTime from, DateTime to, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var policy = (await db.Paths.AsNoTracking().FirstOrDefaultAsync(p => p.Id == pathId, ct))?.Drift ?? new();
        var latest = await db.DriftCheckRuns.AsNoTracking().Where(r => r.PathId == pathId)
            .OrderByDescending(r => r.CurrentTo).ThenByDescending(r => r.Id).FirstOrDefaultAsync(ct);
        var runs = await db.DriftCheckRuns.AsNoTracking().Where(r => r.PathId == pathId && r.CurrentTo >= from && r.CurrentTo <= to)
            .OrderByDescending(r => r.CurrentTo).Take(MaxRuns).ToListAsync(ct);
        runs.Reverse();
        return new DriftPanelData(policy, latest is null ? null : DriftRunView.From(latest), [.. runs.Select(DriftRunView.From)]);
    }

    /// <summary>The run <paramref name="id"/> of the path <paramref name="slug"/>, or null (another path's run is not found through this one).</summary>
    public async Task<DriftRunDetail?> RunAsync(string slug, long id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.DriftCheckRuns.AsNoTracking().Join(db.Paths.Where(p => p.Slug == slug), r => r.PathId, p => p.Id, (r, p) => r)
            .FirstOrDefaultAsync(r => r.Id == id, ct);
        if (run is null)
        {
            return null;
        }
        var reference = await dashboard.WindowAsync(run.PathId, run.ReferenceFrom, run.ReferenceTo, ct);
        var current = await dashboard.WindowAsync(run.PathId, run.CurrentFrom, run.CurrentTo, ct);
        return new DriftRunDetail(DriftRunView.From(run), reference.Metrics, current.Metrics);
    }
}
