using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Web.Features.Drift;

/// <summary>The windows of one check: what is compared with what.</summary>
public sealed record DriftWindows(DateTime ReferenceFrom, DateTime ReferenceTo, DateTime CurrentFrom, DateTime CurrentTo, string ReferenceKind);

/// <summary>
/// Checks a path for drift (DESIGN.md "Drift checks") from its rollups: the current window against
/// a pinned baseline or the 7 days ending 24 h before the check. Windows end on a boundary of the
/// path's check interval (15 minutes by default), so every run within one slot (a retry, an overlap, a catch-up after
/// downtime) checks the same windows and stores one run; alerts go to <see cref="Incidents.IncidentService"/>.
/// </summary>
public sealed class DriftCheckService(
    IDbContextFactory<AppDbContext> dbFactory, Metrics.MetricsQueries dashboard, FreshnessQueries freshness, Incidents.IncidentService incidents, Paths.PathService paths, Audit.AuditLog audit,
    TimeProvider time, ILogger<DriftCheckService> log)
{
    /// <summary>An error spike is judged on the last 15 minutes, whatever the path's check interval.</summary>
    public const int SpikeMinutes = 15;
    public const long MinEvents = 100;
    public const long MinDecided = 30;
    public const double PsiWarn = 0.1, PsiAlert = 0.25, KsAlertP = 0.01, QualityAlertP = 0.01, QualityWarnP = 0.05;

    /// <summary>"Use this period": owners (and admins) pin the drift reference; audited.</summary>
    public async Task<CommandResult> PinBaselineAsync(string slug, DateTime from, DateTime to, System.Security.Claims.ClaimsPrincipal user, CancellationToken ct)
    {
        if (!await paths.CanEditAsync(user, slug, ct))
        {
            return CommandResult.Fail("Only the path's owners and admins can pin its drift baseline.");
        }
        if (to <= from || to - from < TimeSpan.FromHours(1))
        {
            return CommandResult.Fail("A baseline needs at least an hour of data.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var write = await audit.BeginAsync(db, ct);
        var path = await db.Paths.FirstAsync(p => p.Slug == slug, ct);
        var before = new { path.Drift.PinnedFrom, path.Drift.PinnedTo };
        path.Drift.PinnedFrom = from;
        path.Drift.PinnedTo = to;
        write.Record(Audit.AuditActor.From(user), "drift.pin-baseline", "path", slug, slug, before, new { PinnedFrom = from, PinnedTo = to });
        await write.CommitAsync(ct);
        return CommandResult.Ok();
    }

    /// <summary>The windows checked at <paramref name="now"/>: current = the last N hours up to the slot boundary.</summary>
    public static DriftWindows WindowsAt(DateTime now, DriftPolicy policy)
    {
        var end = RollupKey.Floor(now, DriftSchedule.Normalize(policy.IntervalMinutes));
        var currentFrom = end.AddHours(-Math.Max(1, policy.CurrentWindowHours));
        if (policy.PinnedFrom is { } pf && policy.PinnedTo is { } pt && pt > pf)
        {
            return new DriftWindows(pf, pt, currentFrom, end, "pinned");
        }
        // The 7 days ending 24 h ago (where a 24 h current window starts).
        return new DriftWindows(end.AddDays(-8), end.AddDays(-1), currentFrom, end, "rolling");
    }

    /// <summary>Runs the check of one path for the current slot; returns the stored run (new or the one already there).</summary>
    public async Task<DriftCheckRun?> CheckAsync(int pathId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var path = await db.Paths.AsNoTracking().FirstOrDefaultAsync(p => p.Id == pathId, ct);
        if (path is null)
        {
            return null;
        }
        var w = WindowsAt(time.GetUtcNow().UtcDateTime, path.Drift);
        var existing = await FindAsync(db, pathId, w, ct);
        if (existing is not null)
        {
            if (!existing.Handled)
            {
                await HandleAsync(db, path, existing, w, current: null, context: null, ct);
            }
            return existing;
        }
        var reference = await dashboard.WindowAsync(pathId, w.ReferenceFrom, w.ReferenceTo, ct);
        var current = await dashboard.WindowAsync(pathId, w.CurrentFrom, w.CurrentTo, ct);
        // Freshness is read from raw events (FreshnessQueries), so only for paths whose owners set a limit to hold it against.
        var context = path.Slo.MaxStaleContextRate is null ? null : await freshness.WindowAsync(pathId, w.CurrentFrom, w.CurrentTo, ct);
        var stats = Evaluate(reference, current, path, context);
        var computed = stats.Where(s => s.Verdict != DriftVerdicts.InsufficientData).ToList();
        var run = new DriftCheckRun
        {
            PathId = pathId,
            ReferenceFrom = w.ReferenceFrom,
            ReferenceTo = w.ReferenceTo,
            CurrentFrom = w.CurrentFrom,
            CurrentTo = w.CurrentTo,
            ReferenceKind = w.ReferenceKind,
            RanAt = time.GetUtcNow().UtcDateTime,
            Statistics = [.. stats],
            Verdict = computed.Count == 0 ? DriftVerdicts.InsufficientData : computed.MaxBy(s => DriftVerdicts.Rank(s.Verdict))!.Verdict,
        };
        db.DriftCheckRuns.Add(run);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // An overlapping run stored these windows first: that run stands (and raised any incident).
            await using var fresh = await dbFactory.CreateDbContextAsync(ct);
            return await FindAsync(fresh, pathId, w, ct) ?? throw new InvalidOperationException("The drift run could not be stored.");
        }
        await HandleAsync(db, path, run, w, current, context, ct);
        log.LogInformation("Drift check of {Path}: {Verdict}", path.Slug, run.Verdict);
        return run;
    }

    /// <summary>What a run leads to: incidents (deduplicated per path and cause) and containment; then marks it handled.</summary>
    /// <param name="current">The current window's figures when the caller has just read them (a retry reads them again).</param>
    /// <param name="context">The current window's context freshness when the caller has just read it (null: read here if needed).</param>
    private async Task HandleAsync(AppDbContext db, OperatingPath path, DriftCheckRun run, DriftWindows w, DashboardWindowData? current, FreshnessSummary? context, CancellationToken ct)
    {
        var pathId = path.Id;
        if (run.Verdict == DriftVerdicts.Alert)
        {
            var alerts = string.Join("; ", run.Statistics.Where(s => s.Verdict == DriftVerdicts.Alert).Select(s => $"{s.Name} {s.Detail}"));
            await incidents.RaiseAsync(pathId, IncidentCauses.Drift, $"Drift alert on {path.Slug}", IncidentSeverities.Sev2, IncidentSources.Drift,
                $"Drift check {w.CurrentFrom:MM-dd HH:mm}–{w.CurrentTo:HH:mm} UTC against {w.ReferenceKind} reference: {alerts}", path.Drift.ContainOnDriftAlert, run.Id, ct);
        }
        await SloBreachesAsync(db, path, run, w, current, context, ct);
        await ErrorSpikeAsync(path, run, w.CurrentTo, ct);
        await db.DriftCheckRuns.Where(r => r.Id == run.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.Handled, true), ct);
        run.Handled = true;
    }

    /// <summary>
    /// An SLO breach (p95 latency, error rate, quality) counts once it shows on two consecutive
    /// checks: one noisy window does not page anyone. The error-rate breach may contain the path.
    /// </summary>
    private async Task SloBreachesAsync(AppDbContext db, OperatingPath path, DriftCheckRun run, DriftWindows w, DashboardWindowData? current, FreshnessSummary? context, CancellationToken ct)
    {
        var previous = await db.DriftCheckRuns.AsNoTracking().Where(r => r.PathId == path.Id && r.CurrentTo < w.CurrentTo)
            .OrderByDescending(r => r.CurrentTo).FirstOrDefaultAsync(ct);
        if (previous is null)
        {
            return;
        }
        var now = current ?? await dashboard.WindowAsync(path.Id, w.CurrentFrom, w.CurrentTo, ct);
        var before = await dashboard.WindowAsync(path.Id, previous.CurrentFrom, previous.CurrentTo, ct);
        (string Cause, string Name, Func<PathMetrics, bool> Breached, string Detail)[] checks =
        [
            (IncidentCauses.SloP95, "p95 latency", m => m.Volume >= MinEvents && m.LatencyP95 > path.Slo.P95LatencyMs, $"p95 {now.Metrics.LatencyP95:N0} ms over the {path.Slo.P95LatencyMs} ms SLO"),
            (IncidentCauses.SloErrors, "error rate", m => m.Volume >= MinEvents && m.ErrorRate > path.Slo.MaxErrorRate, $"error rate {now.Metrics.ErrorRate:P2} over the {path.Slo.MaxErrorRate:P2} SLO"),
            (IncidentCauses.SloQuality, "quality", m => m.Decided >= MinDecided && m.Quality < path.Slo.QualityTarget, $"quality {now.Metrics.Quality:P1} under the {Percent.Show(path.Slo.QualityTarget ?? 0)} target"),
        ];
        foreach (var (cause, name, breached, detail) in checks)
        {
            if (breached(now.Metrics) && breached(before.Metrics))
            {
                await incidents.RaiseAsync(path.Id, cause, $"{name} SLO breached on {path.Slug}", IncidentSeverities.Sev3, IncidentSources.Slo,
                    $"{detail} on two consecutive checks (windows ending {previous.CurrentTo:HH:mm} and {w.CurrentTo:HH:mm} UTC).",
                    contain: cause == IncidentCauses.SloErrors && path.Drift.ContainOnErrorBreach, run.Id, ct);
            }
        }
        if (path.Slo.MaxStaleContextRate is { } maxStale)
        {
            var freshNow = context ?? await freshness.WindowAsync(path.Id, w.CurrentFrom, w.CurrentTo, ct);
            if (StaleBreached(freshNow, maxStale) && StaleBreached(await freshness.WindowAsync(path.Id, previous.CurrentFrom, previous.CurrentTo, ct), maxStale))
            {
                // Stale context is fixed at the source (a sync job, an index), not by switching the AI off: never contained automatically.
                await incidents.RaiseAsync(path.Id, IncidentCauses.SloStaleContext, $"stale context SLO breached on {path.Slug}", IncidentSeverities.Sev3, IncidentSources.Slo,
                    $"{StaleDetail(freshNow, maxStale)} on two consecutive checks (windows ending {previous.CurrentTo:HH:mm} and {w.CurrentTo:HH:mm} UTC).",
                    contain: false, run.Id, ct);
            }
        }
    }

    private static bool StaleBreached(FreshnessSummary f, double max) => f.Judged >= MinEvents && f.StaleRate > max;

    private static string StaleDetail(FreshnessSummary f, double max)
    {
        var worst = f.Sources.Where(s => s.StaleRate is not null).OrderByDescending(s => s.StaleRate).FirstOrDefault();
        return $"stale context in {f.StaleRate:P1} of {f.Judged:N0} events over the {max:P1} SLO"
            + (worst is { StaleRate: > 0 } ? $"; stalest source {worst.Name} ({worst.StaleRate:P1} stale, p95 age {(worst.P95Age is { } p ? ContextFreshness.Show(p) : "–")}, SLO {ContextFreshness.ShowSlo(worst.SloMinutes)})" : "");
    }

    /// <summary>
    /// An error spike: the last 15 minutes' error rate at least 5 % and three times the day's, with
    /// enough events to mean it. It opens (or adds to) one incident, and may contain the path.
    /// </summary>
    private async Task ErrorSpikeAsync(OperatingPath path, DriftCheckRun run, DateTime slotEnd, CancellationToken ct)
    {
        var slot = await dashboard.WindowAsync(path.Id, slotEnd.AddMinutes(-SpikeMinutes), slotEnd, ct);
        var day = await dashboard.WindowAsync(path.Id, slotEnd.AddDays(-1), slotEnd.AddMinutes(-SpikeMinutes), ct);
        if (IsErrorSpike(slot.Metrics, day.Metrics))
        {
            await incidents.RaiseAsync(path.Id, IncidentCauses.ErrorSpike, $"Error spike on {path.Slug}", IncidentSeverities.Sev2, IncidentSources.ErrorSpike,
                $"{slot.Metrics.ErrorRate:P1} errors in the 15 minutes to {slotEnd:HH:mm} UTC ({slot.Metrics.Volume:N0} events) against {day.Metrics.ErrorRate ?? 0:P1} over the day before.",
                contain: path.Drift.ContainOnErrorBreach, run.Id, ct);
        }
    }

    public const long MinSpikeEvents = 30;

    public static bool IsErrorSpike(PathMetrics slot, PathMetrics day) =>
        slot.Volume >= MinSpikeEvents && slot.ErrorRate is { } r && r >= 0.05 && r >= 3 * (day.ErrorRate ?? 0);

    private static Task<DriftCheckRun?> FindAsync(AppDbContext db, int pathId, DriftWindows w, CancellationToken ct) =>
        db.DriftCheckRuns.AsNoTracking().FirstOrDefaultAsync(r => r.PathId == pathId && r.CurrentFrom == w.CurrentFrom && r.CurrentTo == w.CurrentTo
            && r.ReferenceFrom == w.ReferenceFrom && r.ReferenceTo == w.ReferenceTo, ct);

    /// <summary>
    /// Every statistic of DESIGN.md for two windows; too little data gives insufficient_data, never an
    /// alarm. Each value is on the scale of its threshold, so both can be drawn on one chart: PSI;
    /// KS distance D against the D at which p = 0.01 for these sample sizes; the quality z-score
    /// against −2.58 (two-sided p = 0.01, alert below); error rate against the SLO; ratios against their limits.
    /// </summary>
    /// <param name="freshness">The current window's context freshness; null when it was not read (no stale-context SLO).</param>
    public static IReadOnlyList<DriftStatistic> Evaluate(DashboardWindowData reference, DashboardWindowData current, OperatingPath path, FreshnessSummary? freshness = null)
    {
        var list = new List<DriftStatistic>();
        var enough = reference.Metrics.Volume >= MinEvents && current.Metrics.Volume >= MinEvents;
        string Samples() => $"({reference.Metrics.Volume:N0} vs {current.Metrics.Volume:N0} events)";

        var psi = enough ? DriftStatistics.Psi(DriftStatistics.Rebin(reference.Metrics.ConfidenceHistogram, 10), DriftStatistics.Rebin(current.Metrics.ConfidenceHistogram, 10), MinEvents) : null;
        list.Add(psi is { } p
            ? new DriftStatistic("confidence PSI", p, PsiAlert, p >= PsiAlert ? DriftVerdicts.Alert : p >= PsiWarn ? DriftVerdicts.Warn : DriftVerdicts.Ok, $"{p:0.000} (warn {PsiWarn}, alert {PsiAlert})")
            : Insufficient("confidence PSI", Samples()));

        var ksConfidence = enough ? DriftStatistics.KolmogorovSmirnov(reference.Metrics.ConfidenceHistogram, current.Metrics.ConfidenceHistogram, MinEvents) : null;
        list.Add(Ks("confidence KS", ksConfidence, Samples()));
        var (refLatency, curLatency) = LatencySketch.Aligned(reference.Latency, current.Latency);
        var ksLatency = enough ? DriftStatistics.KolmogorovSmirnov(refLatency, curLatency, MinEvents) : null;
        list.Add(Ks("latency KS", ksLatency, Samples()));

        var refApproved = (long)Math.Round((reference.Metrics.Quality ?? 0) * reference.Metrics.Decided);
        var curApproved = (long)Math.Round((current.Metrics.Quality ?? 0) * current.Metrics.Decided);
        var z = DriftStatistics.TwoProportionZ(refApproved, reference.Metrics.Decided, curApproved, current.Metrics.Decided, MinDecided);
        list.Add(z is { } q
            ? new DriftStatistic("quality change", q.Z, -DriftStatistics.NormalTwoSided(QualityAlertP),
                q.Z < 0 && q.PValue < QualityAlertP ? DriftVerdicts.Alert : q.Z < 0 && q.PValue < QualityWarnP ? DriftVerdicts.Warn : DriftVerdicts.Ok,
                $"{q.ReferenceRate:P1} → {q.CurrentRate:P1}, z {q.Z:0.00}, p {q.PValue:0.0000}")
            : Insufficient("quality change", $"({reference.Metrics.Decided} vs {current.Metrics.Decided} decided reviews, need {MinDecided})"));

        if (current.Metrics.Volume >= MinEvents && current.Metrics.ErrorRate is { } er && path.Slo.MaxErrorRate is { } maxEr)
        {
            list.Add(new DriftStatistic("error rate", er, maxEr, er > maxEr ? DriftVerdicts.Alert : er > 0.8 * maxEr ? DriftVerdicts.Warn : DriftVerdicts.Ok,
                $"{er:P2} (was {reference.Metrics.ErrorRate:P2}; limit {maxEr:P2})"));
        }
        else
        {
            list.Add(Insufficient("error rate", path.Slo.MaxErrorRate is null ? "(no error-rate SLO set)" : Samples()));
        }
        list.Add(Ratio("p95 latency ratio", enough ? current.Metrics.LatencyP95 : null, reference.Metrics.LatencyP95, path.Drift.LatencyRatioAlert, v => $"{v:N0} ms", Samples()));
        if (path.Slo.MaxStaleContextRate is { } maxStale && freshness is { StaleRate: { } sr } && freshness.Judged >= MinEvents)
        {
            list.Add(new DriftStatistic("stale context rate", sr, maxStale, sr > maxStale ? DriftVerdicts.Alert : sr > 0.8 * maxStale ? DriftVerdicts.Warn : DriftVerdicts.Ok,
                $"{StaleDetail(freshness, maxStale)} (warn above {0.8 * maxStale:P1})"));
        }
        else
        {
            list.Add(Insufficient("stale context rate", path.Slo.MaxStaleContextRate is null
                ? "(no stale-context SLO set)"
                : $"({freshness?.Judged ?? 0:N0} events citing a registered source with its last update, need {MinEvents})"));
        }
        list.Add(Ratio("cost per request ratio", enough ? current.Metrics.CostPerRequest : null, reference.Metrics.CostPerRequest, path.Drift.CostRatioAlert, v => $"${v:0.0000}", Samples()));
        return list;

        static DriftStatistic Insufficient(string name, string why) => new(name, null, null, DriftVerdicts.InsufficientData, "too few samples " + why);

        static DriftStatistic Ks(string name, DriftStatistics.KsResult? ks, string samples) => ks is { } k
            ? new DriftStatistic(name, k.Statistic, k.CriticalD(KsAlertP), k.PValue < KsAlertP ? DriftVerdicts.Alert : DriftVerdicts.Ok, $"D {k.Statistic:0.000}, p {k.PValue:0.0000} (alert at p < {KsAlertP})")
            : Insufficient(name, samples);

        static DriftStatistic Ratio(string name, double? current, double? reference, double alert, Func<double, string> format, string samples)
        {
            if (current is not { } c || reference is not { } r || r <= 0)
            {
                return Insufficient(name, samples);
            }
            var ratio = c / r;
            return new DriftStatistic(name, ratio, alert, ratio > alert ? DriftVerdicts.Alert : ratio > 1 + (alert - 1) * 0.8 ? DriftVerdicts.Warn : DriftVerdicts.Ok,
                $"{ratio:0.00}× ({format(r)} → {format(c)}; alert above {alert:0.00}×)");
        }
    }
}
