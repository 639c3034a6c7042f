using System.Net.Http.Headers;
using Google.Protobuf;
using OpsConsole.Web.Features.Otlp.Proto;

namespace OpsConsole.Tests.Features.Traces;

/// <summary>Builds OTLP trace requests as an instrumented service would send them.</summary>
public static class OtlpBuilder
{
    public static ByteString Id(int bytes, Random? random = null)
    {
        var id = new byte[bytes];
        (random ?? Random.Shared).NextBytes(id);
        id[0] |= 1;
        return ByteString.CopyFrom(id);
    }

    public static KeyValue Attr(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };
    public static KeyValue Attr(string key, double value) => new() { Key = key, Value = new AnyValue { DoubleValue = value } };
    public static KeyValue Attr(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    public static Span Span(ByteString traceId, string name, string? operation = null, ByteString? parent = null, DateTime? start = null, double ms = 120, params KeyValue[] attributes)
    {
        var at = start ?? DateTime.UtcNow.AddSeconds(-10);
        var startNanos = (ulong)(at - DateTime.UnixEpoch).Ticks * 100;
        var span = new Span
        {
            TraceId = traceId,
            SpanId = Id(8),
            Name = name,
            Kind = Web.Features.Otlp.Proto.Span.Types.SpanKind.Internal,
            StartTimeUnixNano = startNanos,
            EndTimeUnixNano = startNanos + (ulong)(ms * 1_000_000),
        };
        if (parent is not null)
        {
            span.ParentSpanId = parent;
        }
        if (operation is not null)
        {
            span.Attributes.Add(Attr("gen_ai.operation.name", operation));
        }
        span.Attributes.AddRange(attributes);
        return span;
    }

    public static ExportTraceServiceRequest Request(string service, IEnumerable<Span> spans, params KeyValue[] resourceAttributes)
    {
        var resource = new Resource();
        resource.Attributes.Add(Attr("service.name", service));
        resource.Attributes.AddRange(resourceAttributes);
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "tests" } };
        scope.Spans.AddRange(spans);
        var rs = new ResourceSpans { Resource = resource };
        rs.ScopeSpans.Add(scope);
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(rs);
        return request;
    }

    public static HttpRequestMessage Post(byte[] body, string? key, string contentType = "application/x-protobuf", string? encoding = null)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, "/v1/traces") { Content = new ByteArrayContent(body) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (encoding is not null)
        {
            message.Content.Headers.ContentEncoding.Add(encoding);
        }
        if (key is not null)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return message;
    }
}
