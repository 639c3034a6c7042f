using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsConsole.Web.Features.Audit;

/// <summary>One change of state, chained to the entry before it so edits and deletions show.</summary>
public sealed class AuditEntry
{
    /// <summary>Position in the chain, assigned by the writer (1, 2, 3 …) so gaps are visible.</summary>
    public long Id { get; set; }
    public DateTime At { get; set; }
    public string? ActorId { get; set; }
    public string ActorName { get; set; } = "";
    public string Action { get; set; } = "";
    public string TargetType { get; set; } = "";
    public string TargetId { get; set; } = "";
    public string? PathSlug { get; set; }
    public string? BeforeJson { get; set; }
    public string? AfterJson { get; set; }
    public string PrevHash { get; set; } = "";
    public string Hash { get; set; } = "";
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> b)
    {
        b.ToTable("AuditEntries");
        b.Property(e => e.Id).ValueGeneratedNever();
        b.Property(e => e.ActorName).HasMaxLength(256);
        b.Property(e => e.Action).HasMaxLength(100);
        b.Property(e => e.TargetType).HasMaxLength(50);
        b.Property(e => e.TargetId).HasMaxLength(200);
        b.Property(e => e.PathSlug).HasMaxLength(63);
        b.Property(e => e.PrevHash).HasMaxLength(64);
        b.Property(e => e.Hash).HasMaxLength(64);
        // A second writer that read the same head would collide here instead of forking the chain.
        b.HasIndex(e => e.PrevHash).IsUnique();
        b.HasIndex(e => new { e.PathSlug, e.Id });
        b.HasIndex(e => new { e.ActorId, e.Id });
        b.HasIndex(e => e.At);
    }
}
