using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsConsole.Web.Features.Evaluation;

/// <summary>
/// A path's evaluation policy: the golden set that gates its candidates, the pass-rate drop a
/// significant regression must exceed, a waiver of the gate (with its reason) and a baseline run an
/// owner pinned. A path without a row has no golden set designated: the gate is not in force.
/// </summary>
public sealed class EvaluationPolicy
{
    public int PathId { get; set; }
    /// <summary>The designated golden set's name; null: none designated, the gate is not in force.</summary>
    public string? GoldenDataset { get; set; }
    public double Tolerance { get; set; } = EvaluationService.DefaultTolerance;
    /// <summary>The gate is waived for this path (its candidates may start without a passing run).</summary>
    public bool GateWaived { get; set; }
    public string? WaiverReason { get; set; }
    /// <summary>A complete run an owner chose as the baseline for runs on its dataset version (instead of stable's latest).</summary>
    public long? PinnedBaselineRunId { get; set; }
    public DateTime UpdatedAt { get; set; }
    public string UpdatedByName { get; set; } = "";
}

internal sealed class EvaluationPolicyConfiguration : IEntityTypeConfiguration<EvaluationPolicy>
{
    public void Configure(EntityTypeBuilder<EvaluationPolicy> b)
    {
        b.ToTable("EvaluationPolicies");
        b.HasKey(p => p.PathId);
        b.Property(p => p.PathId).ValueGeneratedNever();
        b.Property(p => p.GoldenDataset).HasMaxLength(DatasetJsonl.MaxNameLength);
        b.Property(p => p.WaiverReason).HasMaxLength(1000);
        b.Property(p => p.UpdatedByName).HasMaxLength(300);
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(p => p.PathId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<EvaluationRun>().WithMany().HasForeignKey(p => p.PinnedBaselineRunId).OnDelete(DeleteBehavior.SetNull);
    }
}
