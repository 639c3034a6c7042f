using OpsConsole.Web.Features.Dashboards;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsConsole.Web.Features.Metrics;

/// <summary>
/// What a path did in one time bucket for one model version: the only thing dashboards read.
/// Written in the same transaction as the events (ingestion) and decisions (review) it counts.
/// </summary>
public sealed class PathRollup
{
    public long Id { get; set; }
    public int PathId { get; set; }
    /// <summary>"" when events came without a model version.</summary>
    public string ModelVersion { get; set; } = "";
    /// <summary>Value of the path's breakdown attribute; "" for the whole path.</summary>
    public string Segment { get; set; } = "";
    /// <summary>Start of the bucket (UTC, whole minutes).</summary>
    public DateTime BucketStart { get; set; }
    /// <summary>1 for minute buckets; 60 and 1440 once compacted.</summary>
    public int BucketMinutes { get; set; } = 1;

    public long Events { get; set; }
    public long Ok { get; set; }
    public long Errors { get; set; }
    public long Timeouts { get; set; }
    public long Fallbacks { get; set; }
    public double CostUsd { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    /// <summary><see cref="LatencySketch"/> bytes.</summary>
    public byte[] Latency { get; set; } = [];
    /// <summary>20 little-endian int64 counts (<see cref="ConfidenceHistogram"/>).</summary>
    public byte[] Confidence { get; set; } = [];
    public long RoutedLowConfidence { get; set; }
    public long RoutedError { get; set; }
    public long RoutedQaSample { get; set; }
    public long Approved { get; set; }
    public long Corrected { get; set; }
    public long Rejected { get; set; }
    public long QaApproved { get; set; }
    public long QaDecided { get; set; }
}

internal sealed class PathRollupConfiguration : IEntityTypeConfiguration<PathRollup>
{
    public const string Table = "PathRollups";

    public void Configure(EntityTypeBuilder<PathRollup> b)
    {
        b.ToTable(Table);
        b.Property(r => r.ModelVersion).HasMaxLength(200);
        b.Property(r => r.Segment).HasMaxLength(256);
        b.HasIndex(r => new { r.PathId, r.BucketMinutes, r.BucketStart, r.ModelVersion, r.Segment }).IsUnique();
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(r => r.PathId).OnDelete(DeleteBehavior.Cascade);
    }
}
