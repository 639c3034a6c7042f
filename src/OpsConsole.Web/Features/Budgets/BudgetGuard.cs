using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Decisions;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Ingestion;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Notifications;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Releases;
using Containments = OpsConsole.Client.Containments;

namespace OpsConsole.Web.Features.Budgets;

/// <summary>
/// The budgets of every path, read once and kept until a budget is saved (or for half a minute, so
/// another instance's change is seen): the check after each ingest commit must not cost a query
/// for paths without one.
/// </summary>
public sealed class BudgetCache(IDbContextFactory<AppDbContext> dbFactory, TimeProvider time)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);
    private volatile Snapshot? _snapshot;

    private sealed record Snapshot(IReadOnlyDictionary<int, PathBudget> ByPath, long Stamp);

    public void Invalidate() => _snapshot = null;

    public async ValueTask<IReadOnlyDictionary<int, PathBudget>> GetAsync(CancellationToken ct)
    {
        if (_snapshot is { } s && time.GetElapsedTime(s.Stamp) < MaxAge)
        {
            return s.ByPath;
        }
        var stamp = time.GetTimestamp();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var all = await db.Set<PathBudget>().AsNoTracking().ToDictionaryAsync(b => b.PathId, ct);
        _snapshot = new Snapshot(all, stamp);
        return all;
    }
}

/// <summary>
/// Acts on budgets. After every ingest commit it reads the spend of the paths that got events (the
/// counters the commit itself updated) and, for each level newly reached in a period, records the
/// crossing once (a unique row: concurrent requests and instances race to insert it, one wins) and
/// acts: a warning notifies the owners (in-app and webhook <c>budget.warning</c>); 100 % opens one
/// incident per path and period (source <c>budget</c>, assigned to on-call) and carries out the
/// budget's action through Controls (audited as the system user, pushed, reversible by a person).
/// A recurring sweep does the same for every budget (a change of budget, a crash between commit
/// and check) and lifts the containment at the period's reset where the owners chose so.
/// </summary>
public sealed class BudgetGuard(
    IDbContextFactory<AppDbContext> dbFactory, BudgetCache cache, IncidentService incidents, ReleaseService releases, AuditLog audit,
    NotificationNotifier notifications, ConfigChangeNotifier configChanges, ILogger<BudgetGuard> log, TimeProvider time) : IIngestionObserver
{
    /// <summary>Levels known to be recorded, so a path far past a warning does not try to insert it after every batch.</summary>
    private readonly ConcurrentDictionary<(int PathId, string Period, DateTime Start, int Level), bool> _recorded = new();

    public async Task EventsStoredAsync(IReadOnlySet<int> pathIds, CancellationToken ct)
    {
        var budgets = await cache.GetAsync(ct);
        foreach (var pathId in pathIds)
        {
            if (budgets.TryGetValue(pathId, out var budget) && budget.HasLimit)
            {
                await CheckAsync(budget, ct);
            }
        }
    }

    /// <summary>Checks every budget and lifts containments whose period is over (the recurring job).</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        cache.Invalidate();
        var acted = 0;
        foreach (var budget in (await cache.GetAsync(ct)).Values)
        {
            acted += await CheckAsync(budget, ct);
        }
        return acted + await RestoreAtResetAsync(ct);
    }

    /// <summary>One check at a time per path in this instance.</summary>
    private readonly ConcurrentDictionary<int, SemaphoreSlim> _checking = new();

    /// <summary>A level the spend has reached in a period, and the figures that reached it.</summary>
    private sealed record Reached(string Period, DateTime Start, int Level, string Metric, double Spent, double Limit)
    {
        public (int, string, DateTime, int) Key(int pathId) => (pathId, Period, Start, Level);
    }

    /// <summary>
    /// Records and acts on every level the path's spend has newly reached; returns how many. The
    /// usual case (nothing new) reads the counters and returns without waiting. Otherwise checks of one
    /// path take turns: a request whose batch came in while another's crossing is being acted on waits
    /// for the action (a level counts as known only once acted on), so its client's next decision
    /// already sees the path contained.
    /// </summary>
    public async Task<int> CheckAsync(PathBudget budget, CancellationToken ct)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var reached = await ReachedAsync(db, budget, time.GetUtcNow().UtcDateTime, ct);
            if (reached.All(r => _recorded.ContainsKey(r.Key(budget.PathId))))
            {
                return 0;
            }
        }
        var gate = _checking.GetOrAdd(budget.PathId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            return await ActOnNewLevelsAsync(budget, ct);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Every level reached in the current day and month; the limit furthest spent decides (a token budget may run out before the USD one).</summary>
    private static async Task<List<Reached>> ReachedAsync(AppDbContext db, PathBudget budget, DateTime now, CancellationToken ct)
    {
        var list = new List<Reached>();
        foreach (var period in new[] { BudgetPeriods.Day, BudgetPeriods.Month })
        {
            var (usdLimit, tokenLimit) = budget.LimitsOf(period);
            if (usdLimit is null && tokenLimit is null)
            {
                continue;
            }
            var start = BudgetMath.PeriodStart(period, now);
            var spent = await BudgetService.SpendAsync(db, budget.PathId, period, start, ct);
            var usdPercent = usdLimit is { } u ? BudgetMath.Percent(spent.Usd, u) : -1;
            var tokenPercent = tokenLimit is { } t ? BudgetMath.Percent(spent.Tokens, t) : -1;
            var (metric, percent, value, limit) = usdPercent >= tokenPercent
                ? (BudgetMath.Usd, usdPercent, spent.Usd, usdLimit ?? 0)
                : (BudgetMath.Tokens, tokenPercent, (double)spent.Tokens, (double)(tokenLimit ?? 0));
            list.AddRange(BudgetMath.LevelsReached(percent, budget.WarnPercent, budget.SecondWarnPercent).Select(level => new Reached(period, start, level, metric, value, limit)));
        }
        return list;
    }

    private async Task<int> ActOnNewLevelsAsync(PathBudget budget, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        List<Reached> reached;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            // Read again in this turn: the turn before may have been the one that acted.
            reached = await ReachedAsync(db, budget, now, ct);
        }
        var acted = 0;
        foreach (var r in reached)
        {
            var key = r.Key(budget.PathId);
            if (_recorded.ContainsKey(key))
            {
                continue;
            }
            var crossing = new BudgetCrossing
            {
                PathId = budget.PathId,
                Period = r.Period,
                PeriodStart = r.Start,
                Level = r.Level,
                Metric = r.Metric,
                Spent = r.Spent,
                Limit = r.Limit,
                At = now,
            };
            if (!await TryRecordAsync(crossing, ct))
            {
                _recorded[key] = true;
                continue;
            }
            try
            {
                if (r.Level < 100)
                {
                    await WarnAsync(budget, crossing, ct);
                }
                else
                {
                    await ExhaustedAsync(budget, crossing, ct);
                }
            }
            catch
            {
                // Not acted on: the level is unrecorded again, so the next check (or the sweep) acts. The
                // incident's per-cause dedupe and containment's "not if already contained" make a second try safe.
                await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
                await db.Set<BudgetCrossing>().Where(c => c.Id == crossing.Id).ExecuteDeleteAsync(CancellationToken.None);
                throw;
            }
            _recorded[key] = true;
            acted++;
        }
        return acted;
    }

    /// <summary>Inserts the crossing; false when another request or instance recorded it first.</summary>
    private async Task<bool> TryRecordAsync(BudgetCrossing crossing, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Set<BudgetCrossing>().AnyAsync(c => c.PathId == crossing.PathId && c.Period == crossing.Period && c.PeriodStart == crossing.PeriodStart && c.Level == crossing.Level, ct))
        {
            return false;
        }
        db.Add(crossing);
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            // The unique index: someone else crossed it in the same instant and acts on it.
            return false;
        }
    }

    private static string Describe(BudgetCrossing c) =>
        $"{(c.Metric == BudgetMath.Usd ? $"${c.Spent:N2} of ${c.Limit:N2}" : $"{c.Spent:N0} of {c.Limit:N0} tokens")} " +
        $"({BudgetMath.Percent(c.Spent, c.Limit):N0} %) of the {(c.Period == BudgetPeriods.Day ? $"daily budget ({c.PeriodStart:yyyy-MM-dd} UTC)" : $"monthly budget ({c.PeriodStart:yyyy-MM} UTC)")}";

    private async Task WarnAsync(PathBudget budget, BudgetCrossing crossing, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var write = await audit.BeginAsync(db, ct);
        var path = await db.Paths.AsNoTracking().FirstAsync(p => p.Id == budget.PathId, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var text = $"{path.Slug} has spent {Describe(crossing)}";
        var owners = await OwnersAsync(db, path.Id, ct);
        foreach (var user in owners)
        {
            db.Notifications.Add(new Notification { UserId = user, Kind = NotificationKinds.Budget, Title = text, Link = $"/paths/{path.Slug}/dashboard", CreatedAt = now });
        }
        Webhooks.Outbox.Add(db, path, Webhooks.WebhookEvents.BudgetWarning, Payload(crossing), now);
        await db.Set<BudgetCrossing>().Where(c => c.Id == crossing.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.ActionTaken, "notified"), ct);
        await db.SaveChangesAsync(ct);
        write.Record(AuditActor.System, "budget.warning", "path", path.Slug, path.Slug, null, Payload(crossing));
        await write.CommitAsync(ct);
        notifications.Publish(owners);
    }

    private static object Payload(BudgetCrossing c) =>
        new { period = c.Period, periodStart = c.PeriodStart, level = c.Level, metric = c.Metric, spent = c.Spent, limit = c.Limit };

    private static async Task<List<string>> OwnersAsync(AppDbContext db, int pathId, CancellationToken ct) =>
        await db.PathMembers.Where(m => m.PathId == pathId && m.Kind == PathMemberKind.Owner).Select(m => m.UserId).Distinct().ToListAsync(ct);

    /// <summary>100 %: the budget's action, then one incident for the path and period (assigned to on-call by the incident service).</summary>
    private async Task ExhaustedAsync(PathBudget budget, BudgetCrossing crossing, CancellationToken ct)
    {
        string slug;
        int rolloutBefore;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var p = await db.Paths.AsNoTracking().Where(x => x.Id == budget.PathId).Select(x => new { x.Slug, x.RolloutPercent }).FirstAsync(ct);
            (slug, rolloutBefore) = (p.Slug, p.RolloutPercent);
        }
        var title = $"Budget exhausted on {slug}: {(crossing.Period == BudgetPeriods.Day ? "daily" : "monthly")} {(crossing.Metric == BudgetMath.Usd ? "USD" : "token")} budget";
        var detail = $"{slug} has spent {Describe(crossing)}.";
        string action;
        Func<OperatingPath, Containment.Plan?>? plan = null;
        switch (budget.Action)
        {
            case BudgetAction.KillSwitch:
                plan = _ => new Containment.Plan(null, Containments.Budget);
                action = "kill switch on";
                break;
            case BudgetAction.LowerRollout:
                var to = Math.Clamp(budget.LowerToPercent ?? 0, 0, 100);
                plan = _ => new Containment.Plan(to, Containments.Budget);
                action = $"rollout lowered to {to} %";
                break;
            case BudgetAction.CandidateOff:
                var rollback = await releases.RollBackCandidateAsync(slug, $"Budget exhausted: {detail}", AuditActor.System, ct);
                action = rollback.Succeeded ? "candidate rolled back" : "no candidate to roll back";
                detail += $" Budget action: {action}.";
                break;
            default:
                action = "notified (the budget's action is notify only)";
                detail += " The budget's action is notify only: the path keeps running.";
                break;
        }
        // One incident per path and period: the cause names the period, so the next period's breach opens a new one.
        var cause = $"budget:{crossing.Period}:{crossing.PeriodStart:yyyy-MM-dd}";
        var raised = await incidents.RaiseAsync(budget.PathId, cause, title, IncidentSeverities.Sev2, IncidentSources.Budget, detail, plan, null, ct);
        if (plan is not null && !raised.Contained)
        {
            action = "already contained";
        }
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var path = await db.Paths.AsNoTracking().FirstAsync(p => p.Id == budget.PathId, ct);
            var owners = await OwnersAsync(db, path.Id, ct);
            var now = time.GetUtcNow().UtcDateTime;
            foreach (var user in owners)
            {
                db.Notifications.Add(new Notification { UserId = user, Kind = NotificationKinds.Budget, Title = $"{title}: {action}", Link = $"/incidents/{raised.IncidentId}", CreatedAt = now });
            }
            Webhooks.Outbox.Add(db, path, Webhooks.WebhookEvents.BudgetExhausted, new { crossing.Period, crossing.PeriodStart, crossing.Metric, crossing.Spent, crossing.Limit, action, incident = raised.IncidentId }, now);
            await db.SaveChangesAsync(ct);
            await db.Set<BudgetCrossing>().Where(c => c.Id == crossing.Id).ExecuteUpdateAsync(s => s
                .SetProperty(c => c.ActionTaken, action)
                .SetProperty(c => c.IncidentId, raised.IncidentId)
                .SetProperty(c => c.RolloutBefore, budget.Action == BudgetAction.LowerRollout && raised.Contained ? rolloutBefore : null), ct);
            notifications.Publish(owners);
        }
        log.LogWarning("Budget exhausted on {Path} ({Period} {Metric}): {Action}", slug, crossing.Period, crossing.Metric, action);
    }

    /// <summary>
    /// At a period's reset, lifts a budget containment the owners chose to lift ("restore at reset"),
    /// if the budget still holds the path (a person's change since clears that) and no current period
    /// is exhausted too (a spent month keeps the path contained through the days).
    /// </summary>
    public async Task<int> RestoreAtResetAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var (_, day, month) = SpendPeriods.StartsOf(now);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var open = await db.Set<BudgetCrossing>().AsNoTracking().Where(c => c.Level == 100 && c.RestoredAt == null && c.IncidentId != null).ToListAsync(ct);
        var restored = 0;
        foreach (var byPath in open.GroupBy(c => c.PathId))
        {
            var current = byPath.Where(c => (c.Period == BudgetPeriods.Day && c.PeriodStart == day) || (c.Period == BudgetPeriods.Month && c.PeriodStart == month)).ToList();
            var ended = byPath.Except(current).ToList();
            if (ended.Count == 0 || current.Count > 0)
            {
                continue;
            }
            var budget = await db.Set<PathBudget>().AsNoTracking().FirstOrDefaultAsync(b => b.PathId == byPath.Key, ct);
            var path = await db.Paths.AsNoTracking().FirstAsync(p => p.Id == byPath.Key, ct);
            var latest = ended.OrderByDescending(c => c.At).First();
            if (budget is { RestoreAtReset: true } && path.ContainedBy == Containments.Budget && await RestoreAsync(path, latest, ct))
            {
                restored++;
            }
            // Settled either way: restored now, or left to a person (the owners chose so, or someone already changed the path).
            await db.Set<BudgetCrossing>().Where(c => c.PathId == byPath.Key && c.Level == 100 && c.RestoredAt == null && ended.Select(e => e.Id).Contains(c.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.RestoredAt, now), ct);
        }
        return restored;
    }

    private async Task<bool> RestoreAsync(OperatingPath path, BudgetCrossing crossing, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var write = await audit.BeginAsync(db, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var reason = $"Budget period reset: the {(crossing.Period == BudgetPeriods.Day ? "day" : "month")} of {crossing.PeriodStart:yyyy-MM-dd} is over and the owners chose to restore at reset.";
        long? version;
        if (path.KillSwitchOn)
        {
            version = await ControlsService.FlipKillSwitchAsync(db, path.Id, p => p.ContainedBy == Containments.Budget, false, reason, IncidentService.SystemActor, now, ct);
            if (version is { } v)
            {
                write.Record(AuditActor.System, "path.restore", "path", path.Slug, path.Slug, new { killSwitch = true }, new { killSwitch = false, automatic = true, reason, configVersion = v });
            }
        }
        else if (crossing.RolloutBefore is { } before)
        {
            var lowered = path.RolloutPercent;
            version = await ControlsService.SetRolloutAsync(db, path.Id, p => p.ContainedBy == Containments.Budget && p.RolloutPercent == lowered, before, now, ct);
            if (version is { } v)
            {
                write.Record(AuditActor.System, "rollout.restore", "path", path.Slug, path.Slug, new { rolloutPercent = lowered }, new { rolloutPercent = before, automatic = true, reason, configVersion = v });
            }
        }
        else
        {
            return false;
        }
        if (version is not { } newVersion)
        {
            return false;
        }
        if (crossing.IncidentId is { } incident)
        {
            db.IncidentEntries.Add(new IncidentEntry { IncidentId = incident, At = now, Actor = IncidentService.SystemActor, Kind = IncidentEntryKinds.Note, Text = reason });
        }
        Webhooks.Outbox.Add(db, path, Webhooks.WebhookEvents.KillSwitchChanged, new { killSwitch = false, rolloutPercent = crossing.RolloutBefore ?? path.RolloutPercent, by = IncidentService.SystemActor, automatic = true, reason }, now);
        await db.SaveChangesAsync(ct);
        await write.CommitAsync(ct);
        configChanges.Publish(path.Slug, newVersion);
        return true;
    }
}
