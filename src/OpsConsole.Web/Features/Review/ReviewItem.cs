using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Web.Features.Review;

/// <summary>One event that needs a person. Created by ingestion in the same transaction as the event.</summary>
public sealed class ReviewItem
{
    public long Id { get; set; }
    public int PathId { get; set; }
    /// <summary>Row id of the <see cref="Events.InferenceEvent"/>; one review item per event at most.</summary>
    public long EventRowId { get; set; }
    public string Reason { get; set; } = "";
    /// <summary>0–100, higher first: rises as the model's confidence falls.</summary>
    public int Priority { get; set; }
    /// <summary>
    /// pending → claimed → approved | corrected | rejected. A claim whose lease has run out counts
    /// as free without anything rewriting the row: every claim checks <see cref="ClaimUntil"/>.
    /// </summary>
    public string Status { get; set; } = ReviewStatuses.Pending;
    public DateTime CreatedAt { get; set; }
    public DateTime DueAt { get; set; }

    public string? ClaimedById { get; set; }
    public string? ClaimedByName { get; set; }
    public DateTime? ClaimedAt { get; set; }
    public DateTime? ClaimUntil { get; set; }

    public string? CorrectedOutput { get; set; }
    public List<string> ReasonTags { get; set; } = [];
    public string? Note { get; set; }
    public string? DecidedById { get; set; }
    public string? DecidedByName { get; set; }
    public DateTime? DecidedAt { get; set; }
    /// <summary>How many times the item was reopened for rework.</summary>
    public int Round { get; set; }
    /// <summary>When the path's on-call user was told the item is past due (once per item).</summary>
    public DateTime? SlaNotifiedAt { get; set; }
    /// <summary>Decisions made in the current round (double review needs more than one).</summary>
    public int DecisionCount { get; set; }
    /// <summary>With several reviewers per item: the share who agreed with the final decision.</summary>
    public double? Agreement { get; set; }
}

internal sealed class ReviewItemConfiguration : IEntityTypeConfiguration<ReviewItem>
{
    public void Configure(EntityTypeBuilder<ReviewItem> b)
    {
        b.ToTable("ReviewItems");
        b.Property(r => r.Reason).HasMaxLength(20);
        b.Property(r => r.Status).HasMaxLength(20);
        b.Property(r => r.ClaimedByName).HasMaxLength(256);
        b.Property(r => r.DecidedByName).HasMaxLength(256);
        b.Property(r => r.Note).HasMaxLength(2000);
        b.HasIndex(r => r.EventRowId).IsUnique();
        b.HasIndex(r => new { r.PathId, r.Status, r.Priority, r.DueAt });
        // Queue depth and the oldest open item per path (dashboards, overview) read this index only.
        b.HasIndex(r => new { r.PathId, r.Status, r.CreatedAt });
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(r => r.PathId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Events.InferenceEvent>().WithOne().HasForeignKey<ReviewItem>(r => r.EventRowId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>The feedback record a decision makes; exported per path. A reopened item's new label supersedes the old one.</summary>
public sealed class ReviewLabel
{
    public long Id { get; set; }
    public long ReviewItemId { get; set; }
    public int PathId { get; set; }
    public string EventId { get; set; } = "";
    public string Decision { get; set; } = "";
    public string? OriginalOutput { get; set; }
    public string? CorrectedOutput { get; set; }
    public List<string> ReasonTags { get; set; } = [];
    public string? Note { get; set; }
    public string? ReviewerId { get; set; }
    public string ReviewerName { get; set; } = "";
    public DateTime DecidedAt { get; set; }
    /// <summary>When the deciding reviewer claimed the item: claim-to-decision time for reviewer stats.</summary>
    public DateTime? ClaimedAt { get; set; }
    public string? ModelVersion { get; set; }
    public string? PromptVersion { get; set; }
    public string ReviewReason { get; set; } = "";
    public long? SupersededByLabelId { get; set; }
    /// <summary>The item's round when decided (a reopened item starts a new round).</summary>
    public int Round { get; set; }
}

internal sealed class ReviewLabelConfiguration : IEntityTypeConfiguration<ReviewLabel>
{
    public void Configure(EntityTypeBuilder<ReviewLabel> b)
    {
        b.ToTable("Labels");
        b.Property(l => l.Decision).HasMaxLength(20);
        b.Property(l => l.EventId).HasMaxLength(128);
        b.Property(l => l.ReviewerName).HasMaxLength(256);
        b.Property(l => l.ReviewReason).HasMaxLength(20);
        b.Property(l => l.Note).HasMaxLength(2000);
        // The export pages through a path's labels in id order.
        b.HasIndex(l => new { l.PathId, l.Id });
        b.HasIndex(l => l.ReviewItemId);
    }
}
