using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsConsole.Web.Features.Review;

public static class ReviewReasons
{
    public const string LowConfidence = "low_confidence";
    public const string Error = "error";
    public const string QaSample = "qa_sample";
    public const string Manual = "manual";
}

public static class ReviewStatuses
{
    public const string Pending = "pending";
    public const string Claimed = "claimed";
    public const string Approved = "approved";
    public const string Corrected = "corrected";
    public const string Rejected = "rejected";
    public const string Expired = "expired";
}

/// <summary>One event that needs a person. Created by ingestion in the same transaction as the event.</summary>
public sealed class ReviewItem
{
    public long Id { get; set; }
    public int PathId { get; set; }
    /// <summary>Row id of the <see cref="Ingestion.InferenceEvent"/>; one review item per event at most.</summary>
    public long EventRowId { get; set; }
    public string Reason { get; set; } = "";
    /// <summary>0–100, higher first: rises as the model's confidence falls.</summary>
    public int Priority { get; set; }
    public string Status { get; set; } = ReviewStatuses.Pending;
    public DateTime CreatedAt { get; set; }
    public DateTime DueAt { get; set; }
}

internal sealed class ReviewItemConfiguration : IEntityTypeConfiguration<ReviewItem>
{
    public void Configure(EntityTypeBuilder<ReviewItem> b)
    {
        b.Property(r => r.Reason).HasMaxLength(20);
        b.Property(r => r.Status).HasMaxLength(20);
        b.HasIndex(r => r.EventRowId).IsUnique();
        b.HasIndex(r => new { r.PathId, r.Status, r.Priority, r.DueAt });
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(r => r.PathId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Ingestion.InferenceEvent>().WithOne().HasForeignKey<ReviewItem>(r => r.EventRowId).OnDelete(DeleteBehavior.Cascade);
    }
}
