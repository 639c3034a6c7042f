using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsConsole.Web.Features.Ingestion;

/// <summary>A rejected item, kept with its raw JSON so it can be fixed upstream or replayed.</summary>
public sealed class QuarantinedEvent
{
    public long Id { get; set; }
    /// <summary>The item's "path" when it was a string (the path may not exist yet), else null.</summary>
    public string? PathSlug { get; set; }
    public string? EventId { get; set; }
    public string RawJson { get; set; } = "";
    public string Reason { get; set; } = "";
    public int? ApiKeyId { get; set; }
    public string? ApiKeyName { get; set; }
    public DateTime ReceivedAt { get; set; }
    public int ReplayCount { get; set; }
    public DateTime? LastReplayAt { get; set; }
}

internal sealed class QuarantinedEventConfiguration : IEntityTypeConfiguration<QuarantinedEvent>
{
    public void Configure(EntityTypeBuilder<QuarantinedEvent> b)
    {
        b.ToTable("QuarantinedEvents");
        b.Property(q => q.PathSlug).HasMaxLength(200);
        b.Property(q => q.EventId).HasMaxLength(200);
        b.Property(q => q.Reason).HasMaxLength(200);
        b.Property(q => q.ApiKeyName).HasMaxLength(100);
        b.HasIndex(q => new { q.PathSlug, q.Id });
        b.HasIndex(q => q.ReceivedAt);
    }
}
