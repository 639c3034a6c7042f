using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Features.Evaluation;

/// <summary>Where a release stands at the evaluation gate, as the release page, the rollout gates and a refused start say it.</summary>
public sealed record EvaluationGateStatus(bool InForce, bool Passed, bool Waived, string Summary, string? Dataset, long? RunId, string? Verdict, DateTime? RunAt)
{
    /// <summary>The gate holds the release back: in force, not passed, not waived.</summary>
    public bool Blocks => InForce && !Passed;
}

/// <summary>
/// The evaluation gate: a candidate enters its first canary step only when its latest run on the
/// path's designated golden set (any version) is <c>improved</c> or <c>tied</c> (a run of the
/// stable release itself, <c>baseline</c>, passes too). <c>regressed</c>, <c>incomplete</c> or no
/// run at all blocks, unless the path's policy waives the gate. A path without a designated golden
/// set has the gate out of force, and every page says so.
/// </summary>
public static class EvaluationGate
{
    public const string Name = "evaluation on the golden set";

    public static bool Passes(string verdict) => verdict is EvaluationVerdicts.Improved or EvaluationVerdicts.Tied or EvaluationService.BaselineVerdict;

    public static async Task<EvaluationGateStatus> CheckAsync(AppDbContext db, int pathId, string releaseId, CancellationToken ct)
    {
        var policy = await db.EvaluationPolicies.AsNoTracking().FirstOrDefaultAsync(p => p.PathId == pathId, ct);
        if (policy?.GoldenDataset is not { } golden)
        {
            return new EvaluationGateStatus(false, true, false, "No golden set is designated for this path: the evaluation gate is not in force.", null, null, null, null);
        }
        var run = await (from r in db.EvaluationRuns
                         join v in db.EvalDatasetVersions on r.DatasetVersionId equals v.Id
                         join d in db.EvalDatasets on v.DatasetId equals d.Id
                         where r.PathId == pathId && r.ReleaseId == releaseId && d.Name == golden
                         orderby r.Id descending
                         select new { r.Id, r.Verdict, r.ReceivedAt, v.Version }).FirstOrDefaultAsync(ct);
        var passed = run is not null && Passes(run.Verdict);
        var summary = run is null
            ? $"No evaluation run of this release on the golden set '{golden}'."
            : $"Latest run on '{golden}' v{run.Version}: {run.Verdict} ({run.ReceivedAt:yyyy-MM-dd HH:mm} UTC).";
        if (!passed && policy.GateWaived)
        {
            return new EvaluationGateStatus(true, true, true, summary + $" The gate is waived by the path's policy: {policy.WaiverReason}", golden, run?.Id, run?.Verdict, run?.ReceivedAt);
        }
        return new EvaluationGateStatus(true, passed, false, summary, golden, run?.Id, run?.Verdict, run?.ReceivedAt);
    }
}

/// <summary>The evaluation gate in a path's rollout gates: the candidate in canary (if any) must pass it.</summary>
public sealed class EvaluationRolloutGate : IRolloutGateSource
{
    public int Order => 30;

    public async Task<GateResult?> CheckAsync(AppDbContext db, OperatingPath path, RolloutGates gates, CancellationToken ct)
    {
        if (path.CandidateReleaseId is not { } candidate)
        {
            return await db.EvaluationPolicies.AsNoTracking().AnyAsync(p => p.PathId == path.Id && p.GoldenDataset != null, ct)
                ? new GateResult(EvaluationGate.Name, true, "no candidate release in canary", null, null, "candidate's latest run")
                : null;
        }
        var status = await EvaluationGate.CheckAsync(db, path.Id, candidate, ct);
        if (!status.InForce)
        {
            return null;
        }
        return new GateResult(EvaluationGate.Name, status.Passed, $"candidate {candidate[..Math.Min(12, candidate.Length)]}: {status.Summary}", null, null, "candidate's latest run")
        {
            Link = status.RunId is { } id ? $"/paths/{path.Slug}/evaluations/{id}" : $"/paths/{path.Slug}/datasets",
        };
    }
}
