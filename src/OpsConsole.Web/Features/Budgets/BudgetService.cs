using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Budgets;

/// <summary>A budget as the form and the API send it; every field checked by <see cref="BudgetService.Validate"/>.</summary>
public sealed record BudgetInput(
    double? DailyUsd, long? DailyTokens, double? MonthlyUsd, long? MonthlyTokens, int WarnPercent, int SecondWarnPercent,
    BudgetAction Action, int? LowerToPercent, bool RestoreAtReset)
{
    public static BudgetInput From(PathBudget? b) => b is null
        ? new(null, null, null, null, 85, 95, BudgetAction.NotifyOnly, null, false)
        : new(b.DailyUsd, b.DailyTokens, b.MonthlyUsd, b.MonthlyTokens, b.WarnPercent, b.SecondWarnPercent, b.Action, b.LowerToPercent, b.RestoreAtReset);
}

/// <summary>Where a path's budget stands: its settings, each limit's line, and what fired in the current periods.</summary>
public sealed record BudgetStatus(string Slug, PathBudget? Budget, IReadOnlyList<BudgetLine> Lines, IReadOnlyList<BudgetCrossing> Crossings, bool ContainedByBudget)
{
    /// <summary>The worst line's state (the overview sorts a breached budget with breached SLOs).</summary>
    public BudgetState Worst => Lines.Count == 0 ? BudgetState.Ok : Lines.Max(l => l.State);
}

/// <summary>
/// Budgets per path: owners set them for their paths, admins for all (the same right as editing
/// the path's settings). Reading the status is open to whoever may see the path's dashboard.
/// </summary>
public sealed class BudgetService(IDbContextFactory<AppDbContext> dbFactory, AuditLog audit, Permissions permissions, BudgetCache cache, TimeProvider time)
{
    public const double MaxUsd = 1_000_000_000;
    public const long MaxTokens = 1_000_000_000_000_000;

    public Task<bool> MayEditAsync(ClaimsPrincipal user, string slug, CancellationToken ct) => permissions.MayAsync(user, PathAction.Edit, slug, ct);

    /// <summary>
    /// Every problem with <paramref name="input"/>, by field (the form shows each under its field, the
    /// API answers them as validation problem details). <paramref name="rolloutPercent"/> is the path's current rollout.
    /// </summary>
    public static Dictionary<string, string> Validate(BudgetInput input, int rolloutPercent)
    {
        var errors = new Dictionary<string, string>();
        void Usd(string field, double? value)
        {
            if (value is { } v && (!double.IsFinite(v) || v <= 0 || v > MaxUsd))
            {
                errors[field] = $"A USD budget must be a number above 0 and at most {MaxUsd:N0}; leave it empty for none.";
            }
        }
        void Tokens(string field, long? value)
        {
            if (value is { } v && (v <= 0 || v > MaxTokens))
            {
                errors[field] = $"A token budget must be a whole number above 0 and at most {MaxTokens:N0}; leave it empty for none.";
            }
        }
        Usd("dailyUsd", input.DailyUsd);
        Tokens("dailyTokens", input.DailyTokens);
        Usd("monthlyUsd", input.MonthlyUsd);
        Tokens("monthlyTokens", input.MonthlyTokens);
        if (input.WarnPercent is < 1 or > 100)
        {
            errors["warnPercent"] = "A warning threshold must be between 1 and 100 %.";
        }
        if (input.SecondWarnPercent is < 1 or > 100)
        {
            errors["secondWarnPercent"] = "A warning threshold must be between 1 and 100 %.";
        }
        else if (!errors.ContainsKey("warnPercent") && input.SecondWarnPercent < input.WarnPercent)
        {
            errors["secondWarnPercent"] = $"The second warning must be at or above the first ({input.WarnPercent} %).";
        }
        if (!Enum.IsDefined(input.Action))
        {
            errors["action"] = "The action must be notify only, lower rollout, candidate off or kill switch.";
        }
        if (input.Action == BudgetAction.LowerRollout)
        {
            if (input.LowerToPercent is not { } to)
            {
                errors["lowerToPercent"] = "Give the percentage to lower the rollout to.";
            }
            else if (to < 0 || to >= rolloutPercent)
            {
                errors["lowerToPercent"] = rolloutPercent == 0
                    ? "The rollout is at 0 %: there is nothing to lower; choose another action."
                    : $"The rollout is at {rolloutPercent} %: the budget can lower it to 0–{rolloutPercent - 1} %, never raise it.";
            }
        }
        return errors;
    }

    public async Task<PathBudget?> GetAsync(string slug, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pathId = await db.Paths.Where(p => p.Slug == slug).Select(p => (int?)p.Id).FirstOrDefaultAsync(ct);
        return pathId is null ? null : await db.Set<PathBudget>().AsNoTracking().FirstOrDefaultAsync(b => b.PathId == pathId, ct);
    }

    /// <summary>Saves the path's budget (a budget with no limit removes it); audited as <c>path.budget</c>.</summary>
    public async Task<CommandResult> SaveAsync(string slug, BudgetInput input, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!await MayEditAsync(user, slug, ct))
        {
            return CommandResult.Fail("Only the path's owners and admins can set its budget.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var path = await db.Paths.AsNoTracking().Where(p => p.Slug == slug).Select(p => new { p.Id, p.RolloutPercent }).FirstOrDefaultAsync(ct);
        if (path is null)
        {
            return CommandResult.Fail($"Path '{slug}' no longer exists.");
        }
        var errors = Validate(input, path.RolloutPercent);
        if (errors.Count > 0)
        {
            return CommandResult.Invalid(errors);
        }
        await using var write = await audit.BeginAsync(db, ct);
        var budget = await db.Set<PathBudget>().FirstOrDefaultAsync(b => b.PathId == path.Id, ct);
        var before = budget is null ? null : BudgetInput.From(budget);
        var actor = AuditActor.From(user);
        budget ??= db.Set<PathBudget>().Add(new PathBudget { PathId = path.Id }).Entity;
        budget.DailyUsd = input.DailyUsd;
        budget.DailyTokens = input.DailyTokens;
        budget.MonthlyUsd = input.MonthlyUsd;
        budget.MonthlyTokens = input.MonthlyTokens;
        budget.WarnPercent = input.WarnPercent;
        budget.SecondWarnPercent = input.SecondWarnPercent;
        budget.Action = input.Action;
        budget.LowerToPercent = input.Action == BudgetAction.LowerRollout ? input.LowerToPercent : null;
        budget.RestoreAtReset = input.RestoreAtReset;
        budget.UpdatedAt = time.GetUtcNow().UtcDateTime;
        budget.UpdatedBy = actor.Name;
        if (!budget.HasLimit)
        {
            db.Remove(budget);
        }
        await db.SaveChangesAsync(ct);
        write.Record(actor, "path.budget", "path", slug, slug, before, budget.HasLimit ? BudgetInput.From(budget) : null);
        await write.CommitAsync(ct);
        cache.Invalidate();
        return CommandResult.Ok();
    }

    public async Task<BudgetStatus?> StatusAsync(string slug, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var path = await db.Paths.AsNoTracking().Where(p => p.Slug == slug).Select(p => new { p.Id, p.ContainedBy }).FirstOrDefaultAsync(ct);
        if (path is null)
        {
            return null;
        }
        var budget = await db.Set<PathBudget>().AsNoTracking().FirstOrDefaultAsync(b => b.PathId == path.Id, ct);
        var now = time.GetUtcNow().UtcDateTime;
        List<BudgetLine> lines = budget is null ? [] : await LinesAsync(db, budget, now, ct);
        var (_, day, month) = SpendPeriods.StartsOf(now);
        var crossings = await db.Set<BudgetCrossing>().AsNoTracking()
            .Where(c => c.PathId == path.Id && ((c.Period == BudgetPeriods.Day && c.PeriodStart == day) || (c.Period == BudgetPeriods.Month && c.PeriodStart == month)))
            .OrderBy(c => c.At).ToListAsync(ct);
        return new BudgetStatus(slug, budget, lines, crossings, path.ContainedBy == OpsConsole.Client.Containments.Budget);
    }

    /// <summary>The statuses of every path with a budget, by slug (the overview's sort and column).</summary>
    public async Task<IReadOnlyDictionary<string, BudgetStatus>> AllAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var budgets = await db.Set<PathBudget>().AsNoTracking().ToListAsync(ct);
        var paths = await db.Paths.AsNoTracking().Select(p => new { p.Id, p.Slug, p.ContainedBy }).ToDictionaryAsync(p => p.Id, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var result = new Dictionary<string, BudgetStatus>(StringComparer.Ordinal);
        foreach (var b in budgets)
        {
            if (paths.TryGetValue(b.PathId, out var p))
            {
                result[p.Slug] = new BudgetStatus(p.Slug, b, await LinesAsync(db, b, now, ct), [], p.ContainedBy == OpsConsole.Client.Containments.Budget);
            }
        }
        return result;
    }

    /// <summary>Hourly spend of the path from <paramref name="from"/> (the card's chart against the budget line).</summary>
    public async Task<IReadOnlyList<PathSpend>> HoursAsync(string slug, DateTime from, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pathId = await db.Paths.Where(p => p.Slug == slug).Select(p => (int?)p.Id).FirstOrDefaultAsync(ct);
        return pathId is null ? [] : await db.Set<PathSpend>().AsNoTracking()
            .Where(s => s.PathId == pathId && s.Period == SpendPeriods.Hour && s.PeriodStart >= from).OrderBy(s => s.PeriodStart).ToListAsync(ct);
    }

    /// <summary>One line per limit set: the period's spend, the forecast on the last hours' rate, the state.</summary>
    internal static async Task<List<BudgetLine>> LinesAsync(AppDbContext db, PathBudget budget, DateTime now, CancellationToken ct)
    {
        var lines = new List<BudgetLine>();
        foreach (var period in new[] { BudgetPeriods.Day, BudgetPeriods.Month })
        {
            var (usdLimit, tokenLimit) = budget.LimitsOf(period);
            if (usdLimit is null && tokenLimit is null)
            {
                continue;
            }
            var start = BudgetMath.PeriodStart(period, now);
            var spent = await SpendAsync(db, budget.PathId, period, start, ct);
            var windowFrom = now - BudgetMath.WindowFor(start, now);
            var recent = await RecentAsync(db, budget.PathId, windowFrom, now, ct);
            if (usdLimit is { } usd)
            {
                lines.Add(BudgetMath.Line(period, BudgetMath.Usd, now, spent.Usd, usd, recent.Usd, budget.WarnPercent));
            }
            if (tokenLimit is { } tokens)
            {
                lines.Add(BudgetMath.Line(period, BudgetMath.Tokens, now, spent.Tokens, tokens, recent.Tokens, budget.WarnPercent));
            }
        }
        return lines;
    }

    internal static async Task<Spend> SpendAsync(AppDbContext db, int pathId, string period, DateTime start, CancellationToken ct)
    {
        var row = await db.Set<PathSpend>().AsNoTracking().Where(s => s.PathId == pathId && s.Period == period && s.PeriodStart == start)
            .Select(s => new { s.CostUsd, s.Tokens }).FirstOrDefaultAsync(ct);
        return row is null ? default : new Spend(row.CostUsd, row.Tokens);
    }

    /// <summary>
    /// The spend of the hours overlapping [<paramref name="from"/>, <paramref name="now"/>): the hour the
    /// window starts in counts in proportion to the part of it inside the window (spend assumed even within an hour).
    /// </summary>
    internal static async Task<Spend> RecentAsync(AppDbContext db, int pathId, DateTime from, DateTime now, CancellationToken ct)
    {
        var firstHour = SpendPeriods.StartsOf(from).Hour;
        var hours = await db.Set<PathSpend>().AsNoTracking()
            .Where(s => s.PathId == pathId && s.Period == SpendPeriods.Hour && s.PeriodStart >= firstHour && s.PeriodStart <= now)
            .Select(s => new { s.PeriodStart, s.CostUsd, s.Tokens }).ToListAsync(ct);
        double usd = 0, tokens = 0;
        foreach (var h in hours)
        {
            var share = h.PeriodStart < from ? 1 - (from - h.PeriodStart).TotalHours : 1;
            usd += h.CostUsd * share;
            tokens += h.Tokens * share;
        }
        return new Spend(usd, (long)Math.Round(tokens));
    }
}
