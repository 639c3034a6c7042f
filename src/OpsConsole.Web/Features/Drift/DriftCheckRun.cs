using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsConsole.Web.Features.Drift;

public static class DriftVerdicts
{
    public const string Ok = "ok";
    public const string Warn = "warn";
    public const string Alert = "alert";
    public const string InsufficientData = "insufficient_data";

    public static int Rank(string verdict) => verdict switch { Alert => 3, Warn => 2, Ok => 1, _ => 0 };
}

/// <summary>One statistic of a run: its value, the threshold it was held against, and the verdict.</summary>
public sealed record DriftStatistic(string Name, double? Value, double? Threshold, string Verdict, string Detail);

/// <summary>One drift check of one path over one pair of windows (stored once per window pair).</summary>
public sealed class DriftCheckRun
{
    public long Id { get; set; }
    public int PathId { get; set; }
    public DateTime ReferenceFrom { get; set; }
    public DateTime ReferenceTo { get; set; }
    public DateTime CurrentFrom { get; set; }
    public DateTime CurrentTo { get; set; }
    /// <summary>"pinned" when the owners chose the reference period, else "rolling".</summary>
    public string ReferenceKind { get; set; } = "rolling";
    public DateTime RanAt { get; set; }
    public string Verdict { get; set; } = DriftVerdicts.InsufficientData;
    public List<DriftStatistic> Statistics { get; set; } = [];
    /// <summary>
    /// Set once the run's incidents and containment are done. A run stored by an attempt that then
    /// failed is picked up by the retry, which does the rest instead of skipping it.
    /// </summary>
    public bool Handled { get; set; }
}

internal sealed class DriftCheckRunConfiguration : IEntityTypeConfiguration<DriftCheckRun>
{
    public void Configure(EntityTypeBuilder<DriftCheckRun> b)
    {
        b.ToTable("DriftCheckRuns");
        b.Property(r => r.ReferenceKind).HasMaxLength(10);
        b.Property(r => r.Verdict).HasMaxLength(20);
        b.OwnsMany(r => r.Statistics, o => o.ToJson());
        // A retried, overlapping or catch-up run of the same windows stores nothing new.
        b.HasIndex(r => new { r.PathId, r.CurrentFrom, r.CurrentTo, r.ReferenceFrom, r.ReferenceTo }).IsUnique();
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(r => r.PathId).OnDelete(DeleteBehavior.Cascade);
    }
}
