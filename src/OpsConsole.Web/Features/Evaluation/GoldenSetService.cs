using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Evaluation;

/// <summary>An edit of a dataset's latest version: cases taken out by id, cases added, critical flags changed.</summary>
public sealed record DatasetEdit(IReadOnlyCollection<string> Remove, IReadOnlyList<DatasetCase> Add, IReadOnlyDictionary<string, bool> Critical);

/// <summary>A path's evaluation policy as a form sends it.</summary>
public sealed record PolicyInput(string? GoldenDataset, double? Tolerance, bool GateWaived, string? WaiverReason);

/// <summary>
/// The owners' side of golden sets: new versions grown from labels or made by editing the latest
/// one, the path's evaluation policy (designated golden set, tolerance, waiver) and a pinned
/// baseline run. Owners and admins of the path; every change is audited (versions by
/// <see cref="EvaluationService.CreateVersionAsync"/>).
/// </summary>
public sealed class GoldenSetService(IDbContextFactory<AppDbContext> dbFactory, EvaluationService evaluations, AuditLog audit, Permissions permissions, TimeProvider time)
{
    /// <summary>At most this many of the newest matching labels are read for one build.</summary>
    public const int MaxLabelsRead = 100_000;

    private Task<bool> MayAsync(ClaimsPrincipal user, string slug, CancellationToken ct) => permissions.MayAsync(user, PathAction.Edit, slug, ct);

    private const string NotAllowed = "Only the path's owners and admins manage its golden sets.";

    /// <summary>What a build from labels would make now (nothing is stored); null when the path does not exist.</summary>
    public async Task<LabelBuild?> PreviewFromLabelsAsync(string slug, LabelFilter filter, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pathId = await db.Paths.Where(p => p.Slug == slug).Select(p => (int?)p.Id).FirstOrDefaultAsync(ct);
        return pathId is { } id ? DatasetFromLabels.Build(await LabelsAsync(db, id, filter, ct)) : null;
    }

    private static async Task<List<LabelSource>> LabelsAsync(AppDbContext db, int pathId, LabelFilter filter, CancellationToken ct)
    {
        var query = from l in db.Labels
                    join e in db.InferenceEvents on new { l.PathId, l.EventId } equals new { e.PathId, e.EventId }
                    where l.PathId == pathId && l.SupersededByLabelId == null
                    select new { l, e.Input, e.Output, e.ReleaseId };
        if (filter.From is { } from)
        {
            query = query.Where(x => x.l.DecidedAt >= from);
        }
        if (filter.To is { } to)
        {
            query = query.Where(x => x.l.DecidedAt < to);
        }
        if (!string.IsNullOrWhiteSpace(filter.Release))
        {
            var release = filter.Release.Trim();
            query = query.Where(x => x.ReleaseId == release);
        }
        var rows = await query.OrderByDescending(x => x.l.Id).Take(MaxLabelsRead)
            .Select(x => new { x.l.Id, x.l.EventId, x.Input, Output = x.l.OriginalOutput ?? x.Output, x.l.Decision, x.l.CorrectedOutput, x.l.ReasonTags, x.l.DecidedAt })
            .ToListAsync(ct);
        var tag = filter.ReasonTag?.Trim();
        return rows.Where(r => string.IsNullOrEmpty(tag) || r.ReasonTags.Contains(tag, StringComparer.OrdinalIgnoreCase))
            .Select(r => new LabelSource(r.Id, r.EventId, r.Input, r.Output, r.Decision, r.CorrectedOutput, r.ReasonTags, r.DecidedAt)).ToList();
    }

    /// <summary>A new version of <paramref name="name"/> (made when missing) from the labels the filter selects.</summary>
    public async Task<CommandResult<DatasetVersionView>> CreateFromLabelsAsync(string slug, string name, LabelFilter filter, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!await MayAsync(user, slug, ct))
        {
            return CommandResult<DatasetVersionView>.Fail(NotAllowed);
        }
        if (filter is { From: { } from, To: { } to } && from >= to)
        {
            return CommandResult<DatasetVersionView>.Invalid("to", "The end of the window must be after its start.");
        }
        var build = await PreviewFromLabelsAsync(slug, filter, ct);
        if (build is null)
        {
            return CommandResult<DatasetVersionView>.Fail($"Path '{slug}' does not exist.");
        }
        if (build.Cases.Count == 0)
        {
            return CommandResult<DatasetVersionView>.Invalid("filter", build.Labels == 0
                ? "No decided label matches these filters."
                : $"{build.Labels:N0} labels match, but none has an input the set can hold (without input: {build.WithoutInput:N0}, too long: {build.TooLong:N0}).");
        }
        return await evaluations.CreateVersionAsync(slug, name, build.Cases, "labels", AuditActor.From(user), ct);
    }

    /// <summary>A new version of <paramref name="name"/> from an uploaded file's cases (parsed by <see cref="DatasetJsonl.Parse"/>).</summary>
    public async Task<CommandResult<DatasetVersionView>> UploadAsync(string slug, string name, IReadOnlyList<DatasetCase> cases, ClaimsPrincipal user, CancellationToken ct) =>
        !await MayAsync(user, slug, ct) ? CommandResult<DatasetVersionView>.Fail(NotAllowed)
        : cases.Count == 0 ? CommandResult<DatasetVersionView>.Invalid("file", "The file has no cases.")
        : await evaluations.CreateVersionAsync(slug, name, cases, "upload", AuditActor.From(user), ct);

    /// <summary>
    /// A new version made from version <paramref name="baseVersion"/> with the edit applied. Refused
    /// when a newer version exists (someone else saved meanwhile) or an added case is invalid or
    /// repeats an id; the version is not changed in place (versions are immutable).
    /// </summary>
    public async Task<CommandResult<DatasetVersionView>> EditAsync(string slug, string name, int baseVersion, DatasetEdit edit, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!await MayAsync(user, slug, ct))
        {
            return CommandResult<DatasetVersionView>.Fail(NotAllowed);
        }
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var latest = await (from p in db.Paths
                                join d in db.EvalDatasets on p.Id equals d.PathId
                                join v in db.EvalDatasetVersions on d.Id equals v.DatasetId
                                where p.Slug == slug && d.Name == name
                                orderby v.Version descending
                                select (int?)v.Version).FirstOrDefaultAsync(ct);
            if (latest is null)
            {
                return CommandResult<DatasetVersionView>.Fail($"Path '{slug}' has no dataset '{name}'.");
            }
            if (latest != baseVersion)
            {
                return CommandResult<DatasetVersionView>.Outdated($"Version {latest} was saved since you opened version {baseVersion}: reload and edit the latest.");
            }
        }
        var current = await evaluations.ExportAsync(slug, name, baseVersion, ct) ?? [];
        var removed = edit.Remove.ToHashSet(StringComparer.Ordinal);
        var cases = current.Where(c => !removed.Contains(c.CaseId))
            .Select(c => edit.Critical.TryGetValue(c.CaseId, out var critical) ? c with { Critical = critical } : c).ToList();
        var ids = cases.Select(c => c.CaseId).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < edit.Add.Count; i++)
        {
            var added = edit.Add[i];
            if (DatasetJsonl.Check(added) is { } problem)
            {
                return CommandResult<DatasetVersionView>.Invalid($"add[{i}]", problem);
            }
            if (!ids.Add(added.CaseId))
            {
                return CommandResult<DatasetVersionView>.Invalid($"add[{i}]", $"caseId '{added.CaseId}' is already in the set.");
            }
            cases.Add(added);
        }
        if (cases.Count == 0)
        {
            return CommandResult<DatasetVersionView>.Invalid("cases", "A version needs at least one case.");
        }
        if (cases.Count > DatasetJsonl.MaxCases)
        {
            return CommandResult<DatasetVersionView>.Invalid("cases", $"A version holds at most {DatasetJsonl.MaxCases:N0} cases.");
        }
        return await evaluations.CreateVersionAsync(slug, name, cases, "edit", AuditActor.From(user), ct);
    }

    /// <summary>Sets the path's evaluation policy; waiving the gate needs a reason.</summary>
    public async Task<CommandResult> SetPolicyAsync(string slug, PolicyInput input, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!await MayAsync(user, slug, ct))
        {
            return CommandResult.Fail("Only the path's owners and admins set its evaluation policy.");
        }
        var errors = new Dictionary<string, string>();
        var tolerance = input.Tolerance ?? EvaluationService.DefaultTolerance;
        if (!double.IsFinite(tolerance) || tolerance is < 0 or > 0.5)
        {
            errors["tolerance"] = "The tolerance is a pass-rate drop between 0 and 0.5 (0.02 = two points).";
        }
        var golden = string.IsNullOrWhiteSpace(input.GoldenDataset) ? null : input.GoldenDataset.Trim();
        if (input.GateWaived && Controls.ControlsService.CheckReason(input.WaiverReason, "why the gate is waived") is { } reasonProblem)
        {
            errors["waiverReason"] = reasonProblem;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var path = await db.Paths.AsNoTracking().FirstOrDefaultAsync(p => p.Slug == slug, ct);
        if (path is null)
        {
            return CommandResult.Fail($"Path '{slug}' does not exist.");
        }
        if (golden is not null && !await db.EvalDatasets.AnyAsync(d => d.PathId == path.Id && d.Name == golden, ct))
        {
            errors["goldenDataset"] = $"Path '{slug}' has no dataset '{golden}'.";
        }
        if (errors.Count > 0)
        {
            return CommandResult.Invalid(errors);
        }
        await using var write = await audit.BeginAsync(db, ct);
        var policy = await db.EvaluationPolicies.FirstOrDefaultAsync(p => p.PathId == path.Id, ct);
        var before = policy is null ? null : new { policy.GoldenDataset, policy.Tolerance, policy.GateWaived, policy.WaiverReason };
        if (policy is null)
        {
            policy = new EvaluationPolicy { PathId = path.Id };
            db.EvaluationPolicies.Add(policy);
        }
        policy.GoldenDataset = golden;
        policy.Tolerance = tolerance;
        policy.GateWaived = input.GateWaived;
        policy.WaiverReason = input.GateWaived ? input.WaiverReason!.Trim() : null;
        policy.UpdatedAt = time.GetUtcNow().UtcDateTime;
        policy.UpdatedByName = AuditActor.From(user).Name;
        write.Record(AuditActor.From(user), "evaluation.policy", "path", slug, slug, before,
            new { policy.GoldenDataset, policy.Tolerance, policy.GateWaived, policy.WaiverReason });
        await write.CommitAsync(ct);
        return CommandResult.Ok();
    }

    /// <summary>Pins a complete run of this path as the baseline for later runs on its dataset version; null unpins.</summary>
    public async Task<CommandResult> PinBaselineAsync(string slug, long? runId, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!await MayAsync(user, slug, ct))
        {
            return CommandResult.Fail("Only the path's owners and admins pin a baseline.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var path = await db.Paths.AsNoTracking().FirstOrDefaultAsync(p => p.Slug == slug, ct);
        if (path is null)
        {
            return CommandResult.Fail($"Path '{slug}' does not exist.");
        }
        if (runId is { } id && !await db.EvaluationRuns.AnyAsync(r => r.Id == id && r.PathId == path.Id && r.Complete, ct))
        {
            return CommandResult.Invalid("run", "Only a complete run of this path can be the baseline.");
        }
        await using var write = await audit.BeginAsync(db, ct);
        var policy = await db.EvaluationPolicies.FirstOrDefaultAsync(p => p.PathId == path.Id, ct);
        var before = policy?.PinnedBaselineRunId;
        if (policy is null)
        {
            policy = new EvaluationPolicy { PathId = path.Id };
            db.EvaluationPolicies.Add(policy);
        }
        policy.PinnedBaselineRunId = runId;
        policy.UpdatedAt = time.GetUtcNow().UtcDateTime;
        policy.UpdatedByName = AuditActor.From(user).Name;
        write.Record(AuditActor.From(user), runId is null ? "evaluation.baseline-unpin" : "evaluation.baseline-pin", "path", slug, slug,
            new { pinnedRun = before }, new { pinnedRun = runId });
        await write.CommitAsync(ct);
        return CommandResult.Ok();
    }
}
