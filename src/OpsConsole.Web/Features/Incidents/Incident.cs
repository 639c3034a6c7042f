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
    public string? AssigneeUserId { get; set; }
    public DateTime TriggeredAt { get; set; }
    public DateTime? AcknowledgedAt { get; set; }
    public DateTime? ResolvedAt { get; set; }
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
        b.HasIndex(i => new { i.PathId, i.Status });
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(i => i.PathId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Data.AppUser>().WithMany().HasForeignKey(i => i.AssigneeUserId).OnDelete(DeleteBehavior.SetNull);
    }
}
