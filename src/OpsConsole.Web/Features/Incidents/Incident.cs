using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsConsole.Web.Features.Incidents;

public static class IncidentStatuses
{
    public const string Triggered = "triggered";
    public const string Acknowledged = "acknowledged";
    public const string Resolved = "resolved";
}

/// <summary>Something wrong with a path that a person owns until it is resolved (DESIGN.md "Incidents").</summary>
public sealed class Incident
{
    public long Id { get; set; }
    public int PathId { get; set; }
    public string Title { get; set; } = "";
    /// <summary>SEV1 (worst) … SEV4.</summary>
    public string Severity { get; set; } = "SEV3";
    /// <summary>drift, manual, slo or error-spike.</summary>
    public string Source { get; set; } = "manual";
    public string Status { get; set; } = IncidentStatuses.Triggered;
    /// <summary>What opened it (drift, slo:p95, error-spike…): one open incident per path and cause.</summary>
    public string Cause { get; set; } = "manual";
    public DateTime? EscalatedAt { get; set; }
    public string? AssigneeUserId { get; set; }
    public DateTime TriggeredAt { get; set; }
    public DateTime? AcknowledgedAt { get; set; }
    public DateTime? ResolvedAt { get; set; }
}

/// <summary>One line of an incident's timeline: a change, a note, an automatic action.</summary>
public sealed class IncidentEntry
{
    public long Id { get; set; }
    public long IncidentId { get; set; }
    public DateTime At { get; set; }
    public string Actor { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Text { get; set; } = "";
}

internal sealed class IncidentEntryConfiguration : IEntityTypeConfiguration<IncidentEntry>
{
    public void Configure(EntityTypeBuilder<IncidentEntry> b)
    {
        b.ToTable("IncidentEntries");
        b.Property(e => e.Actor).HasMaxLength(256);
        b.Property(e => e.Kind).HasMaxLength(30);
        b.Property(e => e.Text).HasMaxLength(4000);
        b.HasIndex(e => new { e.IncidentId, e.At });
        b.HasOne<Incident>().WithMany().HasForeignKey(e => e.IncidentId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class IncidentConfiguration : IEntityTypeConfiguration<Incident>
{
    public void Configure(EntityTypeBuilder<Incident> b)
    {
        b.ToTable("Incidents");
        b.Property(i => i.Title).HasMaxLength(300);
        b.Property(i => i.Severity).HasMaxLength(4);
        b.Property(i => i.Source).HasMaxLength(20);
        b.Property(i => i.Status).HasMaxLength(20);
        b.Property(i => i.Cause).HasMaxLength(40);
        b.HasIndex(i => new { i.PathId, i.Cause, i.Status });
        b.HasIndex(i => new { i.PathId, i.Status });
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(i => i.PathId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Data.AppUser>().WithMany().HasForeignKey(i => i.AssigneeUserId).OnDelete(DeleteBehavior.SetNull);
    }
}
