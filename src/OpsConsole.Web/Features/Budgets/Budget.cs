using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsConsole.Web.Features.Budgets;

/// <summary>What happens when a path has spent 100 % of a budget.</summary>
public enum BudgetAction
{
    /// <summary>Owners and on-call are told, an incident is opened; the path keeps running.</summary>
    NotifyOnly,
    /// <summary>The rollout is lowered to <see cref="PathBudget.LowerToPercent"/>.</summary>
    LowerRollout,
    /// <summary>The candidate release is rolled back; every unit runs stable.</summary>
    CandidateOff,
    /// <summary>The kill switch is tripped.</summary>
    KillSwitch,
}

/// <summary>
/// A path's spending limits: USD and/or tokens per UTC day and per calendar month (UTC). Each
/// limit is optional; a budget with none set does nothing. One row per path.
/// </summary>
public sealed class PathBudget
{
    public int PathId { get; set; }
    public double? DailyUsd { get; set; }
    public long? DailyTokens { get; set; }
    public double? MonthlyUsd { get; set; }
    public long? MonthlyTokens { get; set; }
    /// <summary>The first warning, in percent of a limit (1–99).</summary>
    public int WarnPercent { get; set; } = 85;
    /// <summary>The second warning, above the first (1–99).</summary>
    public int SecondWarnPercent { get; set; } = 95;
    public BudgetAction Action { get; set; } = BudgetAction.NotifyOnly;
    /// <summary>For <see cref="BudgetAction.LowerRollout"/>: the percentage to lower to (below the current one when set).</summary>
    public int? LowerToPercent { get; set; }
    /// <summary>Whether the new period lifts the containment by itself (else a person restores it, with a reason).</summary>
    public bool RestoreAtReset { get; set; }
    public DateTime UpdatedAt { get; set; }
    public string UpdatedBy { get; set; } = "";

    /// <summary>The USD and token limits of one period (<see cref="BudgetPeriods"/>); null where none is set.</summary>
    public (double? Usd, long? Tokens) LimitsOf(string period) =>
        period == BudgetPeriods.Day ? (DailyUsd, DailyTokens) : (MonthlyUsd, MonthlyTokens);

    public bool HasLimit => DailyUsd is not null || DailyTokens is not null || MonthlyUsd is not null || MonthlyTokens is not null;
}

/// <summary>The two budget periods, as stored and shown.</summary>
public static class BudgetPeriods
{
    public const string Day = "day";
    public const string Month = "month";
}

/// <summary>
/// A level of a budget crossed in one period: a warning (85, 95) or the limit (100). Unique per
/// path, period and level, so each is acted on once however many requests cross it at once.
/// </summary>
public sealed class BudgetCrossing
{
    public long Id { get; set; }
    public int PathId { get; set; }
    /// <summary><see cref="BudgetPeriods"/>.</summary>
    public string Period { get; set; } = "";
    /// <summary>Start of the period (UTC midnight of the day, or of the month's first day).</summary>
    public DateTime PeriodStart { get; set; }
    /// <summary>Percent of the limit: the warning levels or 100.</summary>
    public int Level { get; set; }
    /// <summary>"usd" or "tokens": the limit that crossed first.</summary>
    public string Metric { get; set; } = "";
    public double Spent { get; set; }
    public double Limit { get; set; }
    public DateTime At { get; set; }
    /// <summary>What was done at 100 % (e.g. "kill switch on"), or "notified".</summary>
    public string? ActionTaken { get; set; }
    public long? IncidentId { get; set; }
    /// <summary>For a lowered rollout: the percentage before, restored at reset.</summary>
    public int? RolloutBefore { get; set; }
    /// <summary>When the period's reset lifted the containment (owners chose "restore at reset").</summary>
    public DateTime? RestoredAt { get; set; }
}

internal sealed class PathBudgetConfiguration : IEntityTypeConfiguration<PathBudget>
{
    public void Configure(EntityTypeBuilder<PathBudget> b)
    {
        b.ToTable("PathBudgets");
        b.HasKey(x => x.PathId);
        b.Property(x => x.Action).HasConversion<string>().HasMaxLength(20);
        b.Property(x => x.UpdatedBy).HasMaxLength(256);
        b.HasOne<Paths.OperatingPath>().WithOne().HasForeignKey<PathBudget>(x => x.PathId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class BudgetCrossingConfiguration : IEntityTypeConfiguration<BudgetCrossing>
{
    public void Configure(EntityTypeBuilder<BudgetCrossing> b)
    {
        b.ToTable("BudgetCrossings");
        b.Property(x => x.Period).HasMaxLength(8);
        b.Property(x => x.Metric).HasMaxLength(8);
        b.Property(x => x.ActionTaken).HasMaxLength(200);
        b.HasIndex(x => new { x.PathId, x.Period, x.PeriodStart, x.Level }).IsUnique();
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(x => x.PathId).OnDelete(DeleteBehavior.Cascade);
    }
}
