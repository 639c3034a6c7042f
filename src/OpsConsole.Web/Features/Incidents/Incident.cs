using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsConsole.Web.Features.Incidents;

public static class IncidentStatuses
{
    public const string Triggered = "triggered";
    public const string Acknowledged = "acknowledged";
    public const string Resolved = "resolved";
}

/// <summary>How bad an incident is, SEV1 the worst.</summary>
public static class IncidentSeverities
{
    public const string Sev1 = "SEV1";
    public const string Sev2 = "SEV2";
    public const string Sev3 = "SEV3";
    public const string Sev4 = "SEV4";

    public static readonly string[] All = [Sev1, Sev2, Sev3, Sev4];
}

/// <summary>What raised an incident: a person, or one of the checks.</summary>
public static class IncidentSources
{
    public const string Manual = "manual";
    public const string Drift = "drift";
    public const string Slo = "slo";
    public const string ErrorSpike = "error-spike";
    /// <summary>The guarded canary rolled a candidate release back.</summary>
    public const string Canary = "canary";
    /// <summary>A path spent 100 % of its day's or month's budget.</summary>
    public const string Budget = "budget";
}

/// <summary>
/// What an incident is about. A path has at most one open incident per cause, so a check that
/// keeps alerting adds to the timeline instead of opening another.
/// </summary>
public static class IncidentCauses
{
    public const string Manual = "manual";
    public const string Drift = "drift";
    public const string ErrorSpike = "error-spike";
    public const string SloP95 = "slo:p95";
    public const string SloErrors = "slo:errors";
    public const string SloQuality = "slo:quality";
    public const string SloStaleContext = "slo:stale-context";

    /// <summary>A cause of its own for each incident opened by hand, so several can be open at once.</summary>
    public static string NewManual() => Manual + ":" + Guid.NewGuid().ToString("N")[..8];
}

/// <summary>The kinds of line on an incident's timeline.</summary>
public static class IncidentEntryKinds
{
    public const string Opened = "opened";
    /// <summary>The same cause alerted again while the incident was open.</summary>
    public const string Alert = "alert";
    public const string Contained = "contained";
    public const string Acknowledged = "acknowledged";
    public const string Resolved = "resolved";
    public const string Reopened = "reopened";
    public const string Reassigned = "reassigned";
    public const string Note = "note";
    public const string Escalated = "escalated";
}

/// <summary>Something wrong with a path that a person owns until it is resolved (DESIGN.md "Incidents").</summary>
public sealed class Incident
{
    public long Id { get; set; }
    public int PathId { get; set; }
    public string Title { get; set; } = "";
    /// <summary>SEV1 (worst) … SEV4.</summary>
    public string Severity { get; set; } = IncidentSeverities.Sev3;
    /// <summary>One of <see cref="IncidentSources"/>.</summary>
    public string Source { get; set; } = IncidentSources.Manual;
    public string Status { get; set; } = IncidentStatuses.Triggered;
    /// <summary>What opened it (drift, slo:p95, error-spike…): one open incident per path and cause.</summary>
    public string Cause { get; set; } = IncidentCauses.Manual;
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
    /// <summary>
    /// The drift check run whose findings this entry records, so the page can link its evidence.
    /// No foreign key: drift retention deletes old runs, and the timeline must outlive them.
    /// </summary>
    public long? DriftRunId { get; set; }
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
