using OpsConsole.Web.Features.Ingestion;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsConsole.Web.Features.Events;

public static class Outcomes
{
    public const string Ok = "ok";
    public const string Error = "error";
    public const string Timeout = "timeout";
    public const string Fallback = "fallback";

    public static readonly IReadOnlyList<string> All = [Ok, Error, Timeout, Fallback];
}

/// <summary>
/// One AI output as stored. Written by <see cref="IngestionWriter"/> with raw SQLite commands (the
/// column list there must follow this type); read through EF by the explorer.
/// </summary>
public sealed class InferenceEvent
{
    public long Id { get; set; }
    public int PathId { get; set; }
    public string EventId { get; set; } = "";
    public DateTime OccurredAt { get; set; }
    public DateTime ReceivedAt { get; set; }
    public string? ModelVersion { get; set; }
    public string? PromptVersion { get; set; }
    public string? Unit { get; set; }
    public string? Input { get; set; }
    public string? Output { get; set; }
    public double? Confidence { get; set; }
    public double? LatencyMs { get; set; }
    public long? InputTokens { get; set; }
    public long? OutputTokens { get; set; }
    public double? CostUsd { get; set; }
    public string Outcome { get; set; } = Outcomes.Ok;
    public string? ErrorCode { get; set; }
    public string? ErrorMessage { get; set; }
    public string? TraceId { get; set; }
    /// <summary>JSON array of {title,url,snippet}, as sent.</summary>
    public string? SourcesJson { get; set; }
    /// <summary>JSON object of string → string, as sent.</summary>
    public string? AttributesJson { get; set; }
    /// <summary>How many values redaction masked in input and output.</summary>
    public int RedactedCount { get; set; }
    /// <summary>The review reason when routed to review, else null.</summary>
    public string? ReviewReason { get; set; }
    public int? ApiKeyId { get; set; }
    /// <summary>The release that produced the output: as the event named it, else the arm the decision gave its unit, else the path's stable release then.</summary>
    public string? ReleaseId { get; set; }
    /// <summary>
    /// For a candidate's output run in shadow: the event id of the primary event (the output the user got).
    /// Shadow events are stored but count in no metric and are not routed to review; with their primary they make a pairwise review item.
    /// </summary>
    public string? ShadowOf { get; set; }
}

public sealed class InferenceEventConfiguration : IEntityTypeConfiguration<InferenceEvent>
{
    public const string Table = "InferenceEvents";

    public void Configure(EntityTypeBuilder<InferenceEvent> b)
    {
        b.ToTable(Table);
        b.Property(e => e.EventId).HasMaxLength(128);
        b.Property(e => e.Outcome).HasMaxLength(10);
        b.Property(e => e.ReviewReason).HasMaxLength(20);
        b.Property(e => e.ReleaseId).HasMaxLength(64);
        b.Property(e => e.ShadowOf).HasMaxLength(128);
        // Pairing finds a primary's shadow events by the primary's id.
        b.HasIndex(e => new { e.PathId, e.ShadowOf }).HasFilter("\"ShadowOf\" IS NOT NULL");
        // Idempotency: (path, eventId) is stored once, whatever the order or number of deliveries.
        b.HasIndex(e => new { e.PathId, e.EventId }).IsUnique();
        // The explorer pages newest first within a path (keyset on OccurredAt, Id).
        b.HasIndex(e => new { e.PathId, e.OccurredAt, e.Id });
        // Search finds an event by the trace id or unit someone pasted from a log (Features/Search).
        b.HasIndex(e => e.TraceId).HasFilter("\"TraceId\" IS NOT NULL");
        b.HasIndex(e => e.Unit).HasFilter("\"Unit\" IS NOT NULL");
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(e => e.PathId).OnDelete(DeleteBehavior.Cascade);
    }
}
