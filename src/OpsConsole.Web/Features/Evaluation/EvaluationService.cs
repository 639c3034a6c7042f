using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure;

namespace OpsConsole.Web.Features.Evaluation;

/// <summary>A stored dataset version as the API answers it.</summary>
public sealed record DatasetVersionView(string Dataset, int Version, int Cases, string Source, DateTime CreatedAt, string CreatedBy, bool Created);

/// <summary>A stored run with its comparison, as the API answers it (and CI reads <see cref="FailCi"/>).</summary>
public sealed record EvaluationAnswer(
    long Id, string RunId, string Release, string Dataset, int DatasetVersion, string Verdict, bool FailCi, bool Complete, int Cases, int Passed,
    long? BaselineRunId, EvaluationResult? Comparison, IReadOnlyList<RejectedCase> Rejected, bool Created, string? Note);

/// <summary>
/// Golden sets (versioned, immutable) and evaluation runs compared case by case with the baseline:
/// the run an owner pinned for that dataset version, else the stable release's latest complete run on
/// it (the tolerance is the path's policy's). The verdict rules are
/// <see cref="EvaluationStatistics.Verdict"/>'s; a candidate without a baseline run is
/// <c>incomplete</c> (nothing shows it safe), a run of the stable release itself is the
/// <c>baseline</c> for later ones. The caller has checked that the actor may.
/// </summary>
public sealed class EvaluationService(IDbContextFactory<AppDbContext> dbFactory, AuditLog audit, TimeProvider time)
{
    public const double DefaultAlpha = EvaluationStatistics.DefaultAlpha;
    /// <summary>The pass-rate drop a significant regression must exceed (2 points) unless the path's policy sets another.</summary>
    public const double DefaultTolerance = 0.02;
    public const string BaselineVerdict = "baseline";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Stores a new version of <paramref name="name"/> (made when missing); the same cases as the latest version return it unchanged.</summary>
    public async Task<CommandResult<DatasetVersionView>> CreateVersionAsync(string slug, string name, IReadOnlyList<DatasetCase> cases, string source, AuditActor actor, CancellationToken ct)
    {
        if (DatasetJsonl.CheckName(name) is { } problem)
        {
            return CommandResult<DatasetVersionView>.Invalid("dataset", problem);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var write = await audit.BeginAsync(db, ct);
        var path = await db.Paths.AsNoTracking().FirstOrDefaultAsync(p => p.Slug == slug, ct);
        if (path is null)
        {
            return CommandResult<DatasetVersionView>.Fail($"Path '{slug}' does not exist.");
        }
        var now = time.GetUtcNow().UtcDateTime;
        var dataset = await db.EvalDatasets.FirstOrDefaultAsync(d => d.PathId == path.Id && d.Name == name, ct);
        if (dataset is null)
        {
            dataset = new EvalDataset { PathId = path.Id, Name = name, CreatedAt = now };
            db.EvalDatasets.Add(dataset);
            await db.SaveChangesAsync(ct);
        }
        var latest = await db.EvalDatasetVersions.Where(v => v.DatasetId == dataset.Id).OrderByDescending(v => v.Version).FirstOrDefaultAsync(ct);
        if (latest is not null && Same(await CasesAsync(db, latest.Id, ct), cases))
        {
            return CommandResult<DatasetVersionView>.Ok(new DatasetVersionView(name, latest.Version, latest.CaseCount, latest.Source, latest.CreatedAt, latest.CreatedByName, false));
        }
        var version = new EvalDatasetVersion
        {
            DatasetId = dataset.Id,
            Version = (latest?.Version ?? 0) + 1,
            CreatedAt = now,
            CreatedByName = actor.Name,
            Source = source,
            CaseCount = cases.Count,
        };
        db.EvalDatasetVersions.Add(version);
        await db.SaveChangesAsync(ct);
        db.EvalCases.AddRange(cases.Select(c => new EvalCase { VersionId = version.Id, CaseId = c.CaseId, Input = c.Input, Expected = c.Expected, Critical = c.Critical, Tags = [.. c.Tags] }));
        write.Record(actor, "dataset.version", "dataset", $"{name}@{version.Version}", slug, null,
            new { dataset = name, version = version.Version, cases = cases.Count, critical = cases.Count(c => c.Critical), source });
        await write.CommitAsync(ct);
        return CommandResult<DatasetVersionView>.Ok(new DatasetVersionView(name, version.Version, version.CaseCount, source, now, actor.Name, true));
    }

    private static bool Same(IReadOnlyList<DatasetCase> a, IReadOnlyList<DatasetCase> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.CaseId == p.Second.CaseId && p.First.Input == p.Second.Input && p.First.Expected == p.Second.Expected
            && p.First.Critical == p.Second.Critical && p.First.Tags.SequenceEqual(p.Second.Tags));

    private static async Task<IReadOnlyList<DatasetCase>> CasesAsync(AppDbContext db, long versionId, CancellationToken ct) =>
        (await db.EvalCases.AsNoTracking().Where(c => c.VersionId == versionId).OrderBy(c => c.Id).ToListAsync(ct))
            .Select(c => new DatasetCase(c.CaseId, c.Input, c.Expected, c.Critical, c.Tags)).ToList();

    /// <summary>A version's cases in their order, or null when the path, dataset or version does not exist.</summary>
    public async Task<IReadOnlyList<DatasetCase>?> ExportAsync(string slug, string name, int version, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var id = await VersionIdAsync(db, slug, name, version, ct);
        return id is { } v ? await CasesAsync(db, v, ct) : null;
    }

    private static Task<long?> VersionIdAsync(AppDbContext db, string slug, string name, int version, CancellationToken ct) =>
        (from p in db.Paths
         join d in db.EvalDatasets on p.Id equals d.PathId
         join v in db.EvalDatasetVersions on d.Id equals v.DatasetId
         where p.Slug == slug && d.Name == name && v.Version == version
         select (long?)v.Id).FirstOrDefaultAsync(ct);

    /// <summary>
    /// Stores a run and compares it with the baseline. Idempotent by <see cref="EvaluationInput.RunId"/>:
    /// the same id again answers the stored run. Refused as a whole (field errors) only for what makes
    /// the run meaningless (no run id, unknown release or dataset version); bad cases are rejected one by one.
    /// </summary>
    public async Task<CommandResult<EvaluationAnswer>> SubmitAsync(string slug, EvaluationInput input, AuditActor actor, CancellationToken ct)
    {
        var errors = new Dictionary<string, string>();
        var runId = input.RunId?.Trim();
        if (string.IsNullOrEmpty(runId) || runId.Length > EvaluationInput.MaxRunIdLength || runId.Any(char.IsControl))
        {
            errors["runId"] = $"runId is 1–{EvaluationInput.MaxRunIdLength} characters without control characters: CI's id of this run.";
        }
        if (string.IsNullOrWhiteSpace(input.Release))
        {
            errors["release"] = "Name the release that was evaluated.";
        }
        if (DatasetJsonl.CheckName(input.Dataset) is { } nameProblem)
        {
            errors["dataset"] = nameProblem;
        }
        if (input.DatasetVersion is not ({ } dv and > 0))
        {
            errors["datasetVersion"] = "Name the dataset version (1, 2, …).";
        }
        if (input.Cases is null)
        {
            errors["cases"] = "Send the per-case results in 'cases'.";
        }
        if (errors.Count > 0)
        {
            return CommandResult<EvaluationAnswer>.Invalid(errors);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var path = await db.Paths.AsNoTracking().FirstOrDefaultAsync(p => p.Slug == slug, ct);
        if (path is null)
        {
            return CommandResult<EvaluationAnswer>.Fail($"Path '{slug}' does not exist.");
        }
        if (await db.EvaluationRuns.AsNoTracking().FirstOrDefaultAsync(r => r.PathId == path.Id && r.ClientRunId == runId, ct) is { } existing)
        {
            return CommandResult<EvaluationAnswer>.Ok(await AnswerAsync(db, existing, [], created: false, ct));
        }
        var release = input.Release!.Trim();
        if (!await db.Releases.AnyAsync(r => r.Id == release && r.PathId == path.Id, ct))
        {
            return CommandResult<EvaluationAnswer>.Invalid("release", $"Path '{slug}' has no release '{(release.Length > 64 ? release[..64] + "…" : release)}'.");
        }
        var versionId = await VersionIdAsync(db, slug, input.Dataset!, input.DatasetVersion!.Value, ct);
        if (versionId is null)
        {
            return CommandResult<EvaluationAnswer>.Invalid("datasetVersion", $"Path '{slug}' has no dataset '{input.Dataset}' version {input.DatasetVersion}.");
        }
        var expected = await db.EvalCases.AsNoTracking().Where(c => c.VersionId == versionId).Select(c => new { c.CaseId, c.Critical }).ToListAsync(ct);
        var known = expected.Select(c => c.CaseId).ToHashSet(StringComparer.Ordinal);
        var (accepted, rejected) = CaseResults.Check(input.Cases!, known);

        await using var write = await audit.BeginAsync(db, ct);
        // Inside the write lock: a retry of the same run that raced this one finds it now.
        if (await db.EvaluationRuns.AsNoTracking().FirstOrDefaultAsync(r => r.PathId == path.Id && r.ClientRunId == runId, ct) is { } raced)
        {
            return CommandResult<EvaluationAnswer>.Ok(await AnswerAsync(db, raced, [], created: false, ct));
        }
        var run = new EvaluationRun
        {
            PathId = path.Id,
            ReleaseId = release,
            DatasetVersionId = versionId.Value,
            ClientRunId = runId!,
            ReceivedAt = time.GetUtcNow().UtcDateTime,
            SubmittedBy = actor.Name,
            Complete = accepted.Count == known.Count,
            Cases = accepted.Count,
            Passed = accepted.Count(a => a.Pass),
        };
        var policy = await db.EvaluationPolicies.AsNoTracking().FirstOrDefaultAsync(p => p.PathId == path.Id, ct);
        var critical = expected.Where(c => c.Critical).Select(c => c.CaseId).ToHashSet(StringComparer.Ordinal);
        EvaluationResult? comparison = null;
        if (release == path.StableReleaseId)
        {
            run.Verdict = run.Complete && !accepted.Any(a => critical.Contains(a.CaseId) && !a.Pass) ? BaselineVerdict
                : accepted.Any(a => critical.Contains(a.CaseId) && !a.Pass) ? EvaluationVerdicts.Regressed : EvaluationVerdicts.Incomplete;
        }
        else
        {
            // An owner's pinned run is the baseline for its dataset version; otherwise stable's latest complete run.
            var baseline = (policy?.PinnedBaselineRunId is { } pinned
                    ? await db.EvaluationRuns.AsNoTracking().FirstOrDefaultAsync(r => r.Id == pinned && r.DatasetVersionId == versionId && r.Complete, ct)
                    : null)
                ?? await db.EvaluationRuns.AsNoTracking()
                    .Where(r => r.DatasetVersionId == versionId && r.ReleaseId == path.StableReleaseId && r.Complete)
                    .OrderByDescending(r => r.Id).FirstOrDefaultAsync(ct);
            if (baseline is null)
            {
                // Without a baseline nothing shows the candidate safe; a failed critical case still shows it unsafe.
                run.Verdict = accepted.Any(a => critical.Contains(a.CaseId) && !a.Pass) ? EvaluationVerdicts.Regressed : EvaluationVerdicts.Incomplete;
            }
            else
            {
                run.BaselineRunId = baseline.Id;
                var before = await db.EvalCaseResults.AsNoTracking().Where(r => r.RunId == baseline.Id)
                    .ToDictionaryAsync(r => r.CaseId, StringComparer.Ordinal, ct);
                var pairs = accepted.Where(a => before.ContainsKey(a.CaseId)).Select(a =>
                {
                    var b = before[a.CaseId];
                    return new EvaluationCase(a.CaseId, b.Pass, a.Pass, critical.Contains(a.CaseId), b.Score, a.Score);
                }).ToList();
                comparison = EvaluationStatistics.Verdict(pairs, known, DefaultAlpha, policy?.Tolerance ?? DefaultTolerance);
                run.Verdict = comparison.Verdict;
                run.ResultJson = JsonSerializer.Serialize(comparison, Json);
            }
        }
        db.EvaluationRuns.Add(run);
        await db.SaveChangesAsync(ct);
        foreach (var a in accepted)
        {
            a.RunId = run.Id;
        }
        db.EvalCaseResults.AddRange(accepted);
        write.Record(actor, "evaluation.run", "evaluation", run.Id.ToString(), slug, null, new
        {
            runId,
            release,
            dataset = input.Dataset,
            datasetVersion = input.DatasetVersion,
            run.Verdict,
            run.Cases,
            run.Passed,
            rejected = rejected.Count,
            run.BaselineRunId,
        });
        await write.CommitAsync(ct);
        return CommandResult<EvaluationAnswer>.Ok(await AnswerAsync(db, run, rejected, created: true, ct));
    }

    private static async Task<EvaluationAnswer> AnswerAsync(AppDbContext db, EvaluationRun run, IReadOnlyList<RejectedCase> rejected, bool created, CancellationToken ct)
    {
        var version = await db.EvalDatasetVersions.AsNoTracking().Where(v => v.Id == run.DatasetVersionId)
            .Join(db.EvalDatasets, v => v.DatasetId, d => d.Id, (v, d) => new { d.Name, v.Version }).FirstAsync(ct);
        var comparison = run.ResultJson is null ? null : JsonSerializer.Deserialize<EvaluationResult>(run.ResultJson, Json);
        var failCi = run.Verdict is EvaluationVerdicts.Regressed or EvaluationVerdicts.Incomplete;
        var note = run.Verdict switch
        {
            BaselineVerdict => "A run of the stable release: candidates on this dataset version are compared with it.",
            EvaluationVerdicts.Incomplete when run.BaselineRunId is null && run.Complete => "No complete run of the stable release on this dataset version to compare with: run it first.",
            EvaluationVerdicts.Incomplete => "Cases of the dataset version are missing from the run.",
            _ => null,
        };
        return new EvaluationAnswer(run.Id, run.ClientRunId, run.ReleaseId, version.Name, version.Version, run.Verdict, failCi, run.Complete, run.Cases, run.Passed,
            run.BaselineRunId, comparison, rejected, created, note);
    }
}
