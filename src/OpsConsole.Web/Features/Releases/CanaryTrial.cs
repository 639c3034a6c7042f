using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Releases;

public static class CanaryStates
{
    /// <summary>Before the first step: no unit gets the candidate; a sample of stable units also runs it in shadow for pairwise review.</summary>
    public const string Shadow = "shadow";
    /// <summary>Looks run; the step advances when it passes (by itself or on approval).</summary>
    public const string Running = "running";
    /// <summary>The step passed; an owner other than the one who started the trial must approve the next step.</summary>
    public const string AwaitingApproval = "awaiting-approval";
    /// <summary>Inconclusive at the step's maximum time, or an invalid sample ratio: no looks until an owner resumes.</summary>
    public const string Paused = "paused";
    public const string RolledBack = "rolled-back";
    public const string Promoted = "promoted";

    public static bool IsActive(string state) => state is Shadow or Running or AwaitingApproval or Paused;
}

public static class CanaryVerdicts
{
    public const string Regressed = "regressed";
    public const string Holding = "holding";
    public const string Passed = "passed";
    public const string Inconclusive = "inconclusive";
    /// <summary>The sample-ratio check failed: the split is not what the share says, so no comparison is trusted.</summary>
    public const string Invalid = "invalid";
}

/// <summary>One step of a canary plan: the candidate's share and what the step needs before it may pass.</summary>
public sealed class CanaryStep
{
    /// <summary>Per mille of the units the path is on for (10 = 1 %).</summary>
    public int Share { get; set; }
    public int MinMinutes { get; set; }
    /// <summary>Decided reviews each arm needs within the step.</summary>
    public int MinReviewsPerArm { get; set; }
    /// <summary>After this long without a pass or a regression the step is inconclusive and pauses.</summary>
    public int MaxMinutes { get; set; }
}

/// <summary>
/// The trial of one candidate release: its plan (fixed when it starts), where it stands, and how it
/// ended. The path's <c>CandidateShare</c> is the current step's share while the trial is active.
/// </summary>
public sealed class CanaryTrial
{
    public long Id { get; set; }
    public int PathId { get; set; }
    public string ReleaseId { get; set; } = "";
    /// <summary>The stable release the candidate was compared with when it started.</summary>
    public string? StableReleaseId { get; set; }
    public List<CanaryStep> Steps { get; set; } = [];
    public bool AutoAdvance { get; set; }
    public double Alpha { get; set; } = CanaryPlan.DefaultAlpha;
    /// <summary>Tolerated drop of approved / decided reviews, in proportion points (0.02 = 2 points).</summary>
    public double QualityDrop { get; set; } = CanaryPlan.DefaultQualityDrop;
    /// <summary>Tolerated rise of the error rate, in proportion points.</summary>
    public double ErrorRise { get; set; } = CanaryPlan.DefaultErrorRise;
    /// <summary>Tolerated relative rise of the mean latency (0.25 = 25 %).</summary>
    public double LatencyRise { get; set; } = CanaryPlan.DefaultLatencyRise;
    /// <summary>Tolerated relative rise of the mean cost per request.</summary>
    public double CostRise { get; set; } = CanaryPlan.DefaultCostRise;
    public int StepIndex { get; set; }
    public string State { get; set; } = CanaryStates.Running;
    public DateTime StartedAt { get; set; }
    public DateTime StepStartedAt { get; set; }
    public string? StartedById { get; set; }
    public string StartedByName { get; set; } = "";
    public string? LastVerdict { get; set; }
    public DateTime? LastLookAt { get; set; }
    public DateTime? EndedAt { get; set; }
    public string? EndReason { get; set; }
    public long? IncidentId { get; set; }
    /// <summary>Per mille of stable units run on the candidate in shadow while the trial is in <see cref="CanaryStates.Shadow"/>; 0 when it started at its first step.</summary>
    public int ShadowShare { get; set; }
    /// <summary>
    /// When set, the candidate leaves shadow for its first step only once the lower bound of its
    /// pairwise win rate (<see cref="WinRate"/>, Wilson 95 %) reaches this.
    /// </summary>
    public double? MinWinRate { get; set; }
}

/// <summary>One look at a trial: the verdict and the evidence, kept for the release page's timeline and chart.</summary>
public sealed class CanaryLook
{
    public long Id { get; set; }
    public long TrialId { get; set; }
    public DateTime At { get; set; }
    public int StepIndex { get; set; }
    public int Share { get; set; }
    public string Verdict { get; set; } = "";
    /// <summary>The quality test's log mixture likelihood ratio and its boundary ln(1/α), for the chart.</summary>
    public double QualityStatistic { get; set; }
    public double Boundary { get; set; }
    /// <summary>The whole evidence (<see cref="CanaryEvidence"/>) as JSON: figures per arm, every metric's test, the sample-ratio check.</summary>
    public string EvidenceJson { get; set; } = "{}";
}

internal sealed class CanaryTrialConfiguration : IEntityTypeConfiguration<CanaryTrial>
{
    public void Configure(EntityTypeBuilder<CanaryTrial> b)
    {
        b.ToTable("CanaryTrials");
        b.Property(t => t.ReleaseId).HasMaxLength(Paths.PathRelease.IdLength);
        b.Property(t => t.StableReleaseId).HasMaxLength(Paths.PathRelease.IdLength);
        b.Property(t => t.State).HasMaxLength(20);
        b.Property(t => t.LastVerdict).HasMaxLength(20);
        b.Property(t => t.StartedById).HasMaxLength(450);
        b.Property(t => t.StartedByName).HasMaxLength(300);
        b.Property(t => t.EndReason).HasMaxLength(2000);
        b.OwnsMany(t => t.Steps, o => o.ToJson());
        b.HasIndex(t => new { t.PathId, t.State });
        b.HasIndex(t => t.ReleaseId);
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(t => t.PathId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CanaryLookConfiguration : IEntityTypeConfiguration<CanaryLook>
{
    public void Configure(EntityTypeBuilder<CanaryLook> b)
    {
        b.ToTable("CanaryLooks");
        b.Property(l => l.Verdict).HasMaxLength(20);
        b.HasIndex(l => new { l.TrialId, l.At });
        b.HasOne<CanaryTrial>().WithMany().HasForeignKey(l => l.TrialId).OnDelete(DeleteBehavior.Cascade);
    }
}

public static class ReleasesTables
{
    extension(AppDbContext db)
    {
        public DbSet<CanaryTrial> CanaryTrials => db.Set<CanaryTrial>();
        public DbSet<CanaryLook> CanaryLooks => db.Set<CanaryLook>();
    }
}
