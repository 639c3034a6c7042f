using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Features.Evaluation;

public sealed record DatasetSummary(string Name, int LatestVersion, int Cases, string Source, DateTime CreatedAt, string CreatedBy, bool Golden, int Runs);

public sealed record VersionSummary(int Version, int Cases, string Source, DateTime CreatedAt, string CreatedBy);

public sealed record RunSummary(long Id, string RunId, string Release, int DatasetVersion, string Verdict, bool Complete, int Cases, int Passed,
    DateTime ReceivedAt, string SubmittedBy, long? BaselineRunId, bool Pinned)
{
    public double PassRate => Cases == 0 ? 0 : (double)Passed / Cases;
}

public sealed record DatasetPageData(string Name, IReadOnlyList<VersionSummary> Versions, int Version, IReadOnlyList<DatasetCase> Cases, IReadOnlyList<RunSummary> Runs, bool Golden);

/// <summary>How a case moved from the baseline to the run.</summary>
public static class CaseChange
{
    public const string Regression = "regression";
    public const string Improvement = "improvement";
    public const string BothPass = "both pass";
    public const string BothFail = "both fail";
    public const string New = "no baseline";
    public const string Missing = "missing";
}

public sealed record CompareRow(
    string CaseId, string Input, string? Expected, bool Critical, IReadOnlyList<string> Tags, string Change,
    bool? BaselinePass, bool? Pass, string? BaselineOutput, string? Output, double? BaselineScore, double? Score);

public sealed record ComparePageData(RunSummary Run, string Dataset, RunSummary? Baseline, EvaluationResult? Comparison, IReadOnlyList<CompareRow> Rows, string? Note);

/// <summary>The reads of the golden-set and evaluation pages.</summary>
public sealed class EvaluationQueries(IDbContextFactory<AppDbContext> dbFactory)
{
    public async Task<IReadOnlyList<DatasetSummary>?> DatasetsAsync(string slug, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pathId = await PathIdAsync(db, slug, ct);
        if (pathId is null)
        {
            return null;
        }
        var golden = await GoldenAsync(db, pathId.Value, ct);
        var datasets = await db.EvalDatasets.AsNoTracking().Where(d => d.PathId == pathId).ToListAsync(ct);
        var ids = datasets.Select(d => d.Id).ToList();
        var versions = await db.EvalDatasetVersions.AsNoTracking().Where(v => ids.Contains(v.DatasetId)).ToListAsync(ct);
        var runs = await db.EvaluationRuns.AsNoTracking().Where(r => r.PathId == pathId).GroupBy(r => r.DatasetVersionId)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var rows = datasets.Select(d =>
        {
            var mine = versions.Where(v => v.DatasetId == d.Id).ToList();
            var v = mine.MaxBy(x => x.Version);
            return new
            {
                d.Name,
                Version = v?.Version ?? 0,
                Cases = v?.CaseCount ?? 0,
                Source = v?.Source ?? "",
                CreatedAt = v?.CreatedAt ?? d.CreatedAt,
                CreatedBy = v?.CreatedByName ?? "",
                Runs = mine.Sum(x => runs.GetValueOrDefault(x.Id)),
            };
        });
        return rows.OrderBy(r => r.Name, StringComparer.Ordinal)
            .Select(r => new DatasetSummary(r.Name, r.Version, r.Cases, r.Source, r.CreatedAt, r.CreatedBy, r.Name == golden, r.Runs)).ToList();
    }

    public async Task<EvaluationPolicy?> PolicyAsync(string slug, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pathId = await PathIdAsync(db, slug, ct);
        return pathId is null ? null : await db.EvaluationPolicies.AsNoTracking().FirstOrDefaultAsync(p => p.PathId == pathId, ct);
    }

    /// <summary>A dataset with one version's cases (the latest when <paramref name="version"/> is null) and its runs, newest first.</summary>
    public async Task<DatasetPageData?> DatasetAsync(string slug, string name, int? version, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pathId = await PathIdAsync(db, slug, ct);
        var dataset = pathId is null ? null : await db.EvalDatasets.AsNoTracking().FirstOrDefaultAsync(d => d.PathId == pathId && d.Name == name, ct);
        if (dataset is null)
        {
            return null;
        }
        var versions = await db.EvalDatasetVersions.AsNoTracking().Where(v => v.DatasetId == dataset.Id).OrderByDescending(v => v.Version).ToListAsync(ct);
        var chosen = version is { } n ? versions.FirstOrDefault(v => v.Version == n) : versions.FirstOrDefault();
        if (chosen is null)
        {
            return null;
        }
        var cases = (await db.EvalCases.AsNoTracking().Where(c => c.VersionId == chosen.Id).OrderBy(c => c.Id).ToListAsync(ct))
            .Select(c => new DatasetCase(c.CaseId, c.Input, c.Expected, c.Critical, c.Tags)).ToList();
        var versionIds = versions.ToDictionary(v => v.Id, v => v.Version);
        var policy = await db.EvaluationPolicies.AsNoTracking().FirstOrDefaultAsync(p => p.PathId == pathId, ct);
        var runs = (await db.EvaluationRuns.AsNoTracking().Where(r => versionIds.Keys.Contains(r.DatasetVersionId)).OrderByDescending(r => r.Id).Take(200).ToListAsync(ct))
            .Select(r => Summary(r, versionIds[r.DatasetVersionId], policy)).ToList();
        return new DatasetPageData(dataset.Name, versions.Select(v => new VersionSummary(v.Version, v.CaseCount, v.Source, v.CreatedAt, v.CreatedByName)).ToList(),
            chosen.Version, cases, runs, policy?.GoldenDataset == dataset.Name);
    }

    /// <summary>Where a release stands at the evaluation gate, with its runs (newest first).</summary>
    public async Task<(EvaluationGateStatus Gate, IReadOnlyList<(string Dataset, RunSummary Run)> Runs)?> ReleaseAsync(string slug, string releaseId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pathId = await PathIdAsync(db, slug, ct);
        if (pathId is null)
        {
            return null;
        }
        var gate = await EvaluationGate.CheckAsync(db, pathId.Value, releaseId, ct);
        var policy = await db.EvaluationPolicies.AsNoTracking().FirstOrDefaultAsync(p => p.PathId == pathId, ct);
        var runs = await (from r in db.EvaluationRuns
                          join v in db.EvalDatasetVersions on r.DatasetVersionId equals v.Id
                          join d in db.EvalDatasets on v.DatasetId equals d.Id
                          where r.PathId == pathId && r.ReleaseId == releaseId
                          orderby r.Id descending
                          select new { r, v.Version, d.Name }).Take(20).ToListAsync(ct);
        return (gate, runs.Select(x => (x.Name, Summary(x.r, x.Version, policy))).ToList());
    }

    /// <summary>A run against its baseline, case by case: critical cases pinned first, then regressions, improvements, failing, passing, missing.</summary>
    public async Task<ComparePageData?> CompareAsync(string slug, long runId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pathId = await PathIdAsync(db, slug, ct);
        var run = pathId is null ? null : await db.EvaluationRuns.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId && r.PathId == pathId, ct);
        if (run is null)
        {
            return null;
        }
        var version = await db.EvalDatasetVersions.AsNoTracking().Where(v => v.Id == run.DatasetVersionId)
            .Join(db.EvalDatasets, v => v.DatasetId, d => d.Id, (v, d) => new { d.Name, v.Version }).FirstAsync(ct);
        var policy = await db.EvaluationPolicies.AsNoTracking().FirstOrDefaultAsync(p => p.PathId == pathId, ct);
        var baseline = run.BaselineRunId is { } b ? await db.EvaluationRuns.AsNoTracking().FirstOrDefaultAsync(r => r.Id == b, ct) : null;
        var cases = await db.EvalCases.AsNoTracking().Where(c => c.VersionId == run.DatasetVersionId).OrderBy(c => c.Id).ToListAsync(ct);
        var results = await db.EvalCaseResults.AsNoTracking().Where(r => r.RunId == run.Id).ToDictionaryAsync(r => r.CaseId, StringComparer.Ordinal, ct);
        var before = baseline is null ? new Dictionary<string, EvalCaseResult>(StringComparer.Ordinal)
            : await db.EvalCaseResults.AsNoTracking().Where(r => r.RunId == baseline.Id).ToDictionaryAsync(r => r.CaseId, StringComparer.Ordinal, ct);
        var rows = cases.Select(c =>
        {
            results.TryGetValue(c.CaseId, out var now);
            before.TryGetValue(c.CaseId, out var then);
            var change = now is null ? CaseChange.Missing
                : then is null ? CaseChange.New
                : then.Pass && !now.Pass ? CaseChange.Regression
                : !then.Pass && now.Pass ? CaseChange.Improvement
                : now.Pass ? CaseChange.BothPass : CaseChange.BothFail;
            return new CompareRow(c.CaseId, c.Input, c.Expected, c.Critical, c.Tags, change, then?.Pass, now?.Pass, then?.Output, now?.Output, then?.Score, now?.Score);
        }).OrderBy(Rank).ToList();
        var comparison = run.ResultJson is null ? null : JsonSerializer.Deserialize<EvaluationResult>(run.ResultJson, EvaluationService.Json);
        var note = baseline is null
            ? run.Verdict == EvaluationService.BaselineVerdict ? "This is a run of the stable release: later runs are compared with it." : "No baseline run to compare with."
            : null;
        return new ComparePageData(Summary(run, version.Version, policy), version.Name,
            baseline is null ? null : Summary(baseline, version.Version, policy), comparison, rows, note);
    }

    /// <summary>The order a person reads a comparison in: critical cases pinned (failing ones first), then regressions first.</summary>
    public static int Rank(CompareRow row) => row.Critical
        ? row.Pass == true ? 1 : 0
        : row.Change switch
        {
            CaseChange.Regression => 2,
            CaseChange.Improvement => 3,
            CaseChange.BothFail => 4,
            CaseChange.New => 5,
            CaseChange.Missing => 6,
            _ => 7,
        };

    private static RunSummary Summary(EvaluationRun r, int version, EvaluationPolicy? policy) =>
        new(r.Id, r.ClientRunId, r.ReleaseId, version, r.Verdict, r.Complete, r.Cases, r.Passed, r.ReceivedAt, r.SubmittedBy, r.BaselineRunId, policy?.PinnedBaselineRunId == r.Id);

    private static Task<int?> PathIdAsync(AppDbContext db, string slug, CancellationToken ct) =>
        db.Paths.Where(p => p.Slug == slug).Select(p => (int?)p.Id).FirstOrDefaultAsync(ct);

    private static Task<string?> GoldenAsync(AppDbContext db, int pathId, CancellationToken ct) =>
        db.EvaluationPolicies.Where(p => p.PathId == pathId).Select(p => p.GoldenDataset).FirstOrDefaultAsync(ct);
}
