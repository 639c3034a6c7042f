using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Notifications;
using OpsConsole.Web.Features.Paths;
using static OpsConsole.Web.Features.Releases.CanaryStatistics;

namespace OpsConsole.Web.Features.Releases;

/// <summary>One metric's sequential test at a look, as stored with the look and shown on the release page.</summary>
public sealed record MetricTest(
    string Metric, double? Stable, double? Candidate, double Estimate, double CiLow, double CiHigh,
    double Statistic, double Boundary, double Tolerance, bool Regressed, bool EnoughData);

/// <summary>The sample-ratio check of a look: the arms' unit counts in the step against the share.</summary>
public sealed record SampleRatioCheck(long StableUnits, long CandidateUnits, int Share, double ChiSquare, double P, bool Checked, bool Invalid);

/// <summary>Everything a look saw: both arms since the trial started, the tests, the step's own counts.</summary>
public sealed record CanaryEvidence(
    ReleaseFigure Stable, ReleaseFigure Candidate, IReadOnlyList<MetricTest> Tests, SampleRatioCheck SampleRatio,
    long StepDecidedStable, long StepDecidedCandidate, double StepMinutes, string Summary);

/// <summary>
/// The guarded canary (README "Releases"): at each look (a Hangfire job every minute) every trial
/// that is running or awaiting approval is compared arm against arm since it started, with the
/// always-valid one-sided test of <see cref="CanaryStatistics"/> per metric and a sample-ratio check
/// on the step's units. Regressed rolls the candidate back at once (audited as the system, pushed,
/// one incident with the evidence); passed advances by itself or waits for a second owner;
/// inconclusive at the step's maximum time, or an invalid split, pauses and tells the owners.
/// </summary>
public sealed class CanaryService(
    IDbContextFactory<AppDbContext> dbFactory, ReleaseFiguresQuery figures, ReleaseService releases, IncidentService incidents,
    NotificationNotifier notifications, TimeProvider time, ILogger<CanaryService> log)
{
    /// <summary>Below this many units in the step the χ² approximation is not trusted and the split is not judged.</summary>
    public const long MinUnitsForSampleRatio = 100;
    public const double SampleRatioAlpha = 0.001;
    /// <summary>Below this many decided reviews (or events) per arm no test may reject: a handful of reviews is noise (the simulations in README use the same).</summary>
    public const long MinPerArm = CanaryStatistics.DefaultMinPerArm;

    /// <summary>Evidence may hold an infinite interval (too little data): stored as named literals, not refused.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static string IncidentCause(string releaseId) => "canary:" + releaseId[..12];

    /// <summary>Looks at every trial that is running or awaiting approval; returns how many were looked at.</summary>
    public async Task<int> LookAllAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ids = await db.CanaryTrials.AsNoTracking().Where(t => t.State == CanaryStates.Running || t.State == CanaryStates.AwaitingApproval)
            .Select(t => t.Id).ToListAsync(ct);
        foreach (var id in ids)
        {
            try
            {
                await LookAsync(id, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One path's failure must not keep the others' candidates unguarded.
                log.LogError(ex, "Canary look at trial {Trial} failed", id);
            }
        }
        return ids.Count;
    }

    /// <summary>One look at one trial; null when it is not running or awaiting approval.</summary>
    public async Task<CanaryLook?> LookAsync(long trialId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var trial = await db.CanaryTrials.AsNoTracking().FirstOrDefaultAsync(t => t.Id == trialId, ct);
        if (trial is not { State: CanaryStates.Running or CanaryStates.AwaitingApproval })
        {
            return null;
        }
        var path = await db.Paths.AsNoTracking().FirstAsync(p => p.Id == trial.PathId, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var stableId = path.StableReleaseId ?? trial.StableReleaseId;
        var evidence = await EvidenceAsync(trial, stableId, now, ct);
        var verdict = Verdict(trial, evidence, now);
        var quality = evidence.Tests[0];
        var look = new CanaryLook
        {
            TrialId = trial.Id,
            At = now,
            StepIndex = trial.StepIndex,
            Share = trial.Steps[trial.StepIndex].Share,
            Verdict = verdict,
            QualityStatistic = quality.Statistic,
            Boundary = quality.Boundary,
            EvidenceJson = JsonSerializer.Serialize(evidence, Json),
        };
        db.CanaryLooks.Add(look);
        await db.SaveChangesAsync(ct);
        await db.CanaryTrials.Where(t => t.Id == trial.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastVerdict, verdict).SetProperty(t => t.LastLookAt, now), ct);
        await ActAsync(path, trial, verdict, evidence, ct);
        return look;
    }

    /// <summary>Both arms since the trial started (the tests) and in the current step (its minimums and the split).</summary>
    public async Task<CanaryEvidence> EvidenceAsync(CanaryTrial trial, string? stableId, DateTime now, CancellationToken ct)
    {
        var ids = stableId is null ? new[] { trial.ReleaseId } : [stableId, trial.ReleaseId];
        var whole = await figures.ByReleaseAsync(trial.PathId, trial.StartedAt, now, ids, ct);
        var step = await figures.ByReleaseAsync(trial.PathId, trial.StepStartedAt, now, ids, ct);
        ReleaseFigure Arm(IReadOnlyList<ReleaseFigure> list, string? id) => list.FirstOrDefault(f => f.ReleaseId == id) ?? ReleaseFigure.Empty(id);
        var stable = Arm(whole, stableId);
        var candidate = Arm(whole, trial.ReleaseId);
        var stepStable = Arm(step, stableId);
        var stepCandidate = Arm(step, trial.ReleaseId);
        var share = trial.Steps[trial.StepIndex].Share;

        var tests = new List<MetricTest>
        {
            Proportion("quality", stable.Approved, stable.Decided, candidate.Approved, candidate.Decided, higherIsBetter: true, trial.QualityDrop, trial.Alpha),
            Proportion("error rate", stable.Errors, stable.Events, candidate.Errors, candidate.Events, higherIsBetter: false, trial.ErrorRise, trial.Alpha),
            Mean("mean latency", stable.Latency, candidate.Latency, trial.LatencyRise, trial.Alpha),
            Mean("cost per request", stable.Cost, candidate.Cost, trial.CostRise, trial.Alpha),
        };
        var checkedRatio = stepStable.Units + stepCandidate.Units >= MinUnitsForSampleRatio && share < 1000;
        var (chi, p) = checkedRatio ? SampleRatio(stepStable.Units, stepCandidate.Units, share) : (0, 1);
        var ratio = new SampleRatioCheck(stepStable.Units, stepCandidate.Units, share, chi, p, checkedRatio, checkedRatio && p < SampleRatioAlpha);
        var regressed = tests.Where(t => t.Regressed).Select(t => t.Metric).ToList();
        var summary = regressed.Count > 0
            ? $"Candidate worse on {string.Join(", ", regressed)}: " + string.Join("; ", tests.Where(t => t.Regressed).Select(Describe))
            : $"Quality {Show(candidate.Quality)} ({candidate.Decided:N0} decided) against stable {Show(stable.Quality)} ({stable.Decided:N0}); " +
              $"errors {Show(candidate.ErrorRate)} against {Show(stable.ErrorRate)}.";
        return new CanaryEvidence(stable, candidate, tests, ratio, stepStable.Decided, stepCandidate.Decided, (now - trial.StepStartedAt).TotalMinutes, summary);
    }

    private static string Show(double? v) => v is { } x ? x.ToString("P1", System.Globalization.CultureInfo.InvariantCulture) : "–";

    private static string Describe(MetricTest t) => t.Metric is "quality" or "error rate"
        ? $"{t.Metric} {Show(t.Candidate)} against {Show(t.Stable)} (log-LR {t.Statistic:0.00} ≥ {t.Boundary:0.00})"
        : $"{t.Metric} {t.Candidate:0.####} against {t.Stable:0.####} (log-LR {t.Statistic:0.00} ≥ {t.Boundary:0.00})";

    private static MetricTest Proportion(string metric, long stableHits, long stableTrials, long candidateHits, long candidateTrials, bool higherIsBetter, double tolerance, double alpha)
    {
        var look = ProportionWorsening(new ArmCounts(stableHits, stableTrials), new ArmCounts(candidateHits, candidateTrials), higherIsBetter, tolerance, alpha, minPerArm: MinPerArm);
        return new MetricTest(metric, stableTrials > 0 ? (double)stableHits / stableTrials : null, candidateTrials > 0 ? (double)candidateHits / candidateTrials : null,
            look.Estimate, look.CiLow, look.CiHigh, look.LogLikelihoodRatio, look.LogBoundary, tolerance, look.Regressed, look.EnoughData);
    }

    private static MetricTest Mean(string metric, Moments stable, Moments candidate, double tolerance, double alpha)
    {
        var look = MeanWorsening(new ArmMoments(stable.Count, stable.Sum, stable.SumOfSquares), new ArmMoments(candidate.Count, candidate.Sum, candidate.SumOfSquares),
            tolerance, alpha, minPerArm: MinPerArm);
        return new MetricTest(metric, stable.Mean, candidate.Mean, look.Estimate, look.CiLow, look.CiHigh, look.LogLikelihoodRatio, look.LogBoundary, tolerance, look.Regressed, look.EnoughData);
    }

    /// <summary>
    /// The verdict of a look: regressed as soon as any metric's test rejects (whatever the step's
    /// minimums: harm is acted on at once); invalid on a sample-ratio mismatch; passed once the step's
    /// minimum time and decided reviews per arm are reached (at 100 % the candidate's, as stable has no
    /// units left); inconclusive at its maximum time; else holding.
    /// </summary>
    public static string Verdict(CanaryTrial trial, CanaryEvidence evidence, DateTime now)
    {
        if (evidence.Tests.Any(t => t.Regressed))
        {
            return CanaryVerdicts.Regressed;
        }
        if (evidence.SampleRatio.Invalid)
        {
            return CanaryVerdicts.Invalid;
        }
        var step = trial.Steps[trial.StepIndex];
        var minutes = (now - trial.StepStartedAt).TotalMinutes;
        // At 100 % no unit is left on stable: the step's minimum is the candidate's alone (the tests still
        // compare it with the stable arm of the earlier steps, which are in the trial's window).
        var stableEnough = step.Share >= 1000 || evidence.StepDecidedStable >= step.MinReviewsPerArm;
        if (minutes >= step.MinMinutes && stableEnough && evidence.StepDecidedCandidate >= step.MinReviewsPerArm)
        {
            return CanaryVerdicts.Passed;
        }
        return minutes >= step.MaxMinutes ? CanaryVerdicts.Inconclusive : CanaryVerdicts.Holding;
    }

    private async Task ActAsync(OperatingPath path, CanaryTrial trial, string verdict, CanaryEvidence evidence, CancellationToken ct)
    {
        var step = trial.StepIndex;
        var stepName = $"step {step + 1} ({CanaryPlan.Percent(trial.Steps[step].Share)})";
        switch (verdict)
        {
            case CanaryVerdicts.Regressed:
                var reason = $"Guarded canary: release {trial.ReleaseId[..12]} regressed at {stepName}. {evidence.Summary}";
                var rollback = await releases.RollBackCandidateAsync(path.Slug, reason, Audit.AuditActor.System, trial.Id, ct);
                if (!rollback.Succeeded)
                {
                    return; // someone (or another instance's look) rolled it back first; that one opened the incident
                }
                var raised = await incidents.RaiseAsync(path.Id, IncidentCause(trial.ReleaseId), $"Canary of release {trial.ReleaseId[..12]} rolled back on {path.Slug}",
                    IncidentSeverities.Sev2, IncidentSources.Canary,
                    $"{reason} The candidate's share is 0; units get the stable release {(path.StableReleaseId ?? "–")[..Math.Min(12, (path.StableReleaseId ?? "–").Length)]}. Evidence: /paths/{path.Slug}/releases/{trial.ReleaseId}",
                    contain: false, ct);
                await using (var db = await dbFactory.CreateDbContextAsync(ct))
                {
                    await db.CanaryTrials.Where(t => t.Id == trial.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.IncidentId, raised.IncidentId), ct);
                }
                log.LogWarning("Canary of {Release} on {Path} regressed and was rolled back (incident {Incident})", trial.ReleaseId[..12], path.Slug, raised.IncidentId);
                break;
            case CanaryVerdicts.Passed when trial.State == CanaryStates.Running:
                if (trial.AutoAdvance)
                {
                    await releases.AdvanceAsync(path.Slug, trial.Id, step, ct);
                }
                else if (await releases.AwaitApprovalAsync(trial.Id, step, ct))
                {
                    await NotifyOwnersAsync(path, trial, step + 1 >= trial.Steps.Count
                        ? $"{path.Slug}: the candidate passed its last step; approve its promotion to stable"
                        : $"{path.Slug}: canary {stepName} passed; approve step {step + 2} ({CanaryPlan.Percent(trial.Steps[step + 1].Share)})", ct);
                }
                break;
            case CanaryVerdicts.Inconclusive or CanaryVerdicts.Invalid when trial.State == CanaryStates.Running:
                var why = verdict == CanaryVerdicts.Invalid
                    ? $"Sample ratio mismatch at {stepName}: {evidence.SampleRatio.CandidateUnits:N0} candidate and {evidence.SampleRatio.StableUnits:N0} stable units for a share of {CanaryPlan.Percent(evidence.SampleRatio.Share)} (χ² {evidence.SampleRatio.ChiSquare:0.0}, p {evidence.SampleRatio.P:0.####}); the comparison is not trusted."
                    : $"Inconclusive: {stepName} reached its maximum time without passing or regressing.";
                if (await releases.PauseAsync(trial.Id, step, why, ct))
                {
                    await NotifyOwnersAsync(path, trial, $"{path.Slug}: canary paused. {why}", ct);
                }
                break;
        }
    }

    private async Task NotifyOwnersAsync(OperatingPath path, CanaryTrial trial, string title, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var owners = await db.PathMembers.Where(m => m.PathId == path.Id && m.Kind == PathMemberKind.Owner).Select(m => m.UserId).ToListAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var user in owners.Distinct())
        {
            db.Notifications.Add(new Notification { UserId = user, Kind = NotificationKinds.Canary, Title = title.Length > 300 ? title[..300] : title, Link = $"/paths/{path.Slug}/releases/{trial.ReleaseId}", CreatedAt = now });
        }
        await db.SaveChangesAsync(ct);
        notifications.Publish(owners);
    }

    /// <summary>The trial's looks in order, for the release page's chart and timeline.</summary>
    public async Task<IReadOnlyList<CanaryLook>> LooksAsync(long trialId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.CanaryLooks.AsNoTracking().Where(l => l.TrialId == trialId).OrderBy(l => l.At).ThenBy(l => l.Id).ToListAsync(ct);
    }

    public static CanaryEvidence? Read(CanaryLook look)
    {
        try
        {
            return JsonSerializer.Deserialize<CanaryEvidence>(look.EvidenceJson, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
