using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsConsole.Web.Features.Traces;

/// <summary>Span status codes of OTLP (<c>Status.StatusCode</c>).</summary>
public static class SpanStatus
{
    public const int Unset = 0;
    public const int Ok = 1;
    public const int Error = 2;
}

/// <summary>
/// One span of an accepted trace, kept as received through <c>POST /v1/traces</c> (bounded: see
/// <see cref="SpanLimits"/>). Stored once per (trace id, span id) whatever the number of deliveries.
/// </summary>
public sealed class TraceSpan
{
    public long Id { get; set; }
    /// <summary>32 lower-case hex digits.</summary>
    public string TraceId { get; set; } = "";
    /// <summary>16 lower-case hex digits.</summary>
    public string SpanId { get; set; } = "";
    public string? ParentSpanId { get; set; }
    /// <summary>The operating path of the trace (from <c>opsconsole.path</c> on any of its spans or their resource).</summary>
    public int PathId { get; set; }
    public string ServiceName { get; set; } = "";
    public string Name { get; set; } = "";
    /// <summary>OTLP <c>SpanKind</c>: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer.</summary>
    public int Kind { get; set; }
    /// <summary>Start as nanoseconds since the Unix epoch (the waterfall's resolution).</summary>
    public long StartUnixNano { get; set; }
    public long EndUnixNano { get; set; }
    /// <summary>Start as a date, for queries by time window.</summary>
    public DateTime StartedAt { get; set; }
    public int StatusCode { get; set; }
    public string? StatusMessage { get; set; }
    /// <summary><c>gen_ai.operation.name</c> when the span carries it (chat, retrieval, execute_tool, invoke_agent …).</summary>
    public string? Operation { get; set; }
    /// <summary>JSON object of attribute name → value (string, number, boolean, array or object), truncated per <see cref="SpanLimits"/>.</summary>
    public string AttributesJson { get; set; } = "{}";
    /// <summary>JSON array of span events <c>{name, timeUnixNano, attributes}</c>, or null when none.</summary>
    public string? EventsJson { get; set; }
    /// <summary>Whether anything of the span (attributes, events, text) was cut to fit the limits.</summary>
    public bool Truncated { get; set; }
    /// <summary>The inference event this span became, when it was a GenAI span of a known path (its <c>EventId</c>).</summary>
    public string? EventId { get; set; }
    public DateTime ReceivedAt { get; set; }

    public double DurationMs => Math.Max(0, EndUnixNano - StartUnixNano) / 1_000_000.0;
}

public sealed class TraceSpanConfiguration : IEntityTypeConfiguration<TraceSpan>
{
    public const string Table = "TraceSpans";

    public void Configure(EntityTypeBuilder<TraceSpan> b)
    {
        b.ToTable(Table);
        b.Property(s => s.TraceId).HasMaxLength(32);
        b.Property(s => s.SpanId).HasMaxLength(16);
        b.Property(s => s.ParentSpanId).HasMaxLength(16);
        b.Property(s => s.ServiceName).HasMaxLength(SpanLimits.MaxNameLength);
        b.Property(s => s.Name).HasMaxLength(SpanLimits.MaxNameLength);
        b.Property(s => s.StatusMessage).HasMaxLength(SpanLimits.MaxStatusMessage);
        b.Property(s => s.Operation).HasMaxLength(64);
        b.Property(s => s.EventId).HasMaxLength(128);
        // Idempotency: a span is stored once, whatever the number of deliveries.
        b.HasIndex(s => new { s.TraceId, s.SpanId }).IsUnique();
        // Example traces of an incident's window, and retention.
        b.HasIndex(s => new { s.PathId, s.StartedAt });
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(s => s.PathId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>Bounds of what one trace may store.</summary>
public static class SpanLimits
{
    public const int MaxSpansPerTrace = 1000;
    public const int MaxAttributesPerSpan = 128;
    public const int MaxEventsPerSpan = 128;
    /// <summary>Characters of one attribute value kept; the rest is replaced by <see cref="TruncationMarker"/>.</summary>
    public const int MaxValueLength = 4096;
    public const int MaxNameLength = 256;
    public const int MaxStatusMessage = 1024;
    /// <summary>Items of an array attribute (and members of a map) kept.</summary>
    public const int MaxArrayItems = 64;
    public const int MaxValueDepth = 8;

    /// <summary>Appended to a value that was cut: "…[truncated: N more characters]".</summary>
    public static string TruncationMarker(int removed) => $"…[truncated: {removed:N0} more characters]";
}

/// <summary>A service whose spans named no known operating path: counted so an operator can fix the attribute.</summary>
public sealed class UnroutedSpanSource
{
    public int Id { get; set; }
    public string ServiceName { get; set; } = "";
    /// <summary>Why the spans could not be routed: no <c>opsconsole.path</c>, or a path that does not exist.</summary>
    public string Reason { get; set; } = "";
    public long SpanCount { get; set; }
    public DateTime FirstSeenAt { get; set; }
    public DateTime LastSeenAt { get; set; }
    public string? LastSpanName { get; set; }
    public string? LastTraceId { get; set; }
}

public sealed class UnroutedSpanSourceConfiguration : IEntityTypeConfiguration<UnroutedSpanSource>
{
    public void Configure(EntityTypeBuilder<UnroutedSpanSource> b)
    {
        b.ToTable("UnroutedSpanSources");
        b.Property(s => s.ServiceName).HasMaxLength(SpanLimits.MaxNameLength);
        b.Property(s => s.Reason).HasMaxLength(300);
        b.Property(s => s.LastSpanName).HasMaxLength(SpanLimits.MaxNameLength);
        b.Property(s => s.LastTraceId).HasMaxLength(32);
        b.HasIndex(s => new { s.ServiceName, s.Reason }).IsUnique();
    }
}

/// <summary>An evaluation result (<c>gen_ai.evaluation.result</c> span event) on an inference event.</summary>
public sealed class EventScore
{
    public long Id { get; set; }
    public int PathId { get; set; }
    public string EventId { get; set; } = "";
    public string Name { get; set; } = "";
    public double? Value { get; set; }
    public string? Label { get; set; }
    public string? Explanation { get; set; }
    public DateTime ReceivedAt { get; set; }
}

public sealed class EventScoreConfiguration : IEntityTypeConfiguration<EventScore>
{
    public void Configure(EntityTypeBuilder<EventScore> b)
    {
        b.ToTable("EventScores");
        b.Property(s => s.EventId).HasMaxLength(128);
        b.Property(s => s.Name).HasMaxLength(SpanLimits.MaxNameLength);
        b.Property(s => s.Label).HasMaxLength(SpanLimits.MaxNameLength);
        b.Property(s => s.Explanation).HasMaxLength(SpanLimits.MaxValueLength + 64);
        b.HasIndex(s => new { s.PathId, s.EventId, s.Name }).IsUnique();
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(s => s.PathId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>What a model costs on a path, per million tokens, for spans that do not say their cost.</summary>
public sealed class ModelPrice
{
    public int Id { get; set; }
    public int PathId { get; set; }
    public string Model { get; set; } = "";
    public double InputUsdPerMillion { get; set; }
    public double OutputUsdPerMillion { get; set; }
}

public sealed class ModelPriceConfiguration : IEntityTypeConfiguration<ModelPrice>
{
    public void Configure(EntityTypeBuilder<ModelPrice> b)
    {
        b.ToTable("ModelPrices");
        b.Property(p => p.Model).HasMaxLength(200);
        b.HasIndex(p => new { p.PathId, p.Model }).IsUnique();
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(p => p.PathId).OnDelete(DeleteBehavior.Cascade);
    }
}
