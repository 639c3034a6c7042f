using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsConsole.Web.Features.Review;

public static class PairwiseStatuses
{
    public const string Pending = "pending";
    public const string Decided = "decided";
}

/// <summary>What the reviewer picked, as seen on the screen (the sides, not the arms).</summary>
public static class PairwiseChoices
{
    public const string A = "a";
    public const string Same = "same";
    public const string B = "b";
}

/// <summary>The decision read for the candidate: its output was better, the same, or worse than stable's.</summary>
public static class PairwiseOutcomes
{
    public const string Win = "win";
    public const string Tie = "tie";
    public const string Loss = "loss";

    /// <summary>The candidate's outcome of a choice of sides.</summary>
    public static string Of(string choice, bool candidateIsA) => choice switch
    {
        PairwiseChoices.Same => Tie,
        PairwiseChoices.A => candidateIsA ? Win : Loss,
        PairwiseChoices.B => candidateIsA ? Loss : Win,
        _ => throw new ArgumentOutOfRangeException(nameof(choice), choice, "a, same or b"),
    };
}

/// <summary>
/// A primary event (the output a user got, from stable) and its shadow (the candidate's output for
/// the same input), to be compared side by side. Made once per pair, whichever event arrives first
/// (unique on each event); the sides are drawn at random and kept, so the reviewer cannot tell the arms.
/// </summary>
public sealed class PairwiseItem
{
    public long Id { get; set; }
    public int PathId { get; set; }
    public long PrimaryEventRowId { get; set; }
    public long ShadowEventRowId { get; set; }
    /// <summary>The release that produced the shadow output (the candidate in shadow).</summary>
    public string? CandidateReleaseId { get; set; }
    /// <summary>The release of the primary output.</summary>
    public string? StableReleaseId { get; set; }
    /// <summary>Whether side A shows the candidate's (shadow) output; B then shows stable's.</summary>
    public bool CandidateIsA { get; set; }
    public string Status { get; set; } = PairwiseStatuses.Pending;
    public string? Choice { get; set; }
    public string? Outcome { get; set; }
    public DateTime CreatedAt { get; set; }
    public string? DecidedById { get; set; }
    public string? DecidedByName { get; set; }
    public DateTime? DecidedAt { get; set; }
}

internal sealed class PairwiseItemConfiguration : IEntityTypeConfiguration<PairwiseItem>
{
    public void Configure(EntityTypeBuilder<PairwiseItem> b)
    {
        b.ToTable("PairwiseItems");
        b.Property(p => p.CandidateReleaseId).HasMaxLength(64);
        b.Property(p => p.StableReleaseId).HasMaxLength(64);
        b.Property(p => p.Status).HasMaxLength(20);
        b.Property(p => p.Choice).HasMaxLength(10);
        b.Property(p => p.Outcome).HasMaxLength(10);
        b.Property(p => p.DecidedByName).HasMaxLength(256);
        // Exactly one item per pair, whatever the order, concurrency or retries of the two events.
        b.HasIndex(p => p.PrimaryEventRowId).IsUnique();
        b.HasIndex(p => p.ShadowEventRowId).IsUnique();
        b.HasIndex(p => new { p.PathId, p.Status, p.Id });
        // The release page's win rate counts a candidate's decided pairs.
        b.HasIndex(p => new { p.PathId, p.CandidateReleaseId, p.Outcome });
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(p => p.PathId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Events.InferenceEvent>().WithMany().HasForeignKey(p => p.PrimaryEventRowId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Events.InferenceEvent>().WithMany().HasForeignKey(p => p.ShadowEventRowId).OnDelete(DeleteBehavior.Cascade);
    }
}
