using OpsConsole.Web.Features.Traces;

namespace OpsConsole.Tests.Features.Traces;

/// <summary>Spans as the endpoint stores them, for the trace tree and view tests.</summary>
internal static class TraceSpans
{
    public const string TraceId = "0af7651916cd43dd8448eb211c80319c";
    public const long T0 = 1_733_200_000_000_000_000;

    public static TraceSpan Span(string id, string? parent, long startMs, long endMs, string? name = null, string? operation = null,
        int status = SpanStatus.Unset, string attributes = "{}", string? events = null) => new()
        {
            TraceId = TraceId,
            SpanId = id,
            ParentSpanId = parent,
            Name = name ?? "span " + id,
            ServiceName = "support-bot",
            Operation = operation,
            StartUnixNano = T0 + startMs * 1_000_000,
            EndUnixNano = T0 + endMs * 1_000_000,
            StartedAt = DateTime.UnixEpoch.AddTicks((T0 + startMs * 1_000_000) / 100),
            StatusCode = status,
            AttributesJson = attributes,
            EventsJson = events,
            ReceivedAt = DateTime.UtcNow,
        };

    public static string Id(int n) => n.ToString("x16");
}
