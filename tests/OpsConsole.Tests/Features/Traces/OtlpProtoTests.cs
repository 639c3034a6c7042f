using Google.Protobuf;
using OpsConsole.Web.Features.Otlp.Proto;

namespace OpsConsole.Tests.Features.Traces;

/// <summary>
/// The OTLP messages OpsConsole generates from its own .proto (issue 19, first step): their wire
/// encoding, checked byte by byte against the field numbers and types of the OTLP specification.
/// </summary>
public sealed class OtlpProtoTests
{
    [Fact]
    public void Span_EncodesTheSpecsFieldNumbersAndTypes()
    {
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(Enumerable.Repeat((byte)1, 16).ToArray()),
            Name = "x",
            StartTimeUnixNano = 0x0102030405060708,
            Status = new Status { Code = Status.Types.StatusCode.Error },
        };
        var bytes = span.ToByteArray();
        // trace_id = 1 (bytes): tag 0x0A, length 16, the id.
        Assert.Equal([0x0A, 0x10, .. Enumerable.Repeat((byte)1, 16)], bytes[..18]);
        // name = 5 (string): tag 0x2A.
        Assert.Equal([0x2A, 0x01, (byte)'x'], bytes[18..21]);
        // start_time_unix_nano = 7 (fixed64, little-endian): tag 0x39.
        Assert.Equal([0x39, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01], bytes[21..30]);
        // status = 15 (message): tag 0x7A, length 2, its code = 3 (enum varint) = 2 (ERROR).
        Assert.Equal([0x7A, 0x02, 0x18, 0x02], bytes[30..]);
    }

    [Fact]
    public void ExportRequest_RoundTrips_AndAttributesKeepTheirValueKinds()
    {
        var request = new ExportTraceServiceRequest();
        var resource = new ResourceSpans { Resource = new Resource() };
        resource.Resource.Attributes.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "invoices" } });
        var scope = new ScopeSpans();
        var span = new Span { SpanId = ByteString.CopyFrom(new byte[8]), Name = "chat gpt-4o" };
        span.Attributes.Add(new KeyValue { Key = "gen_ai.usage.input_tokens", Value = new AnyValue { IntValue = 812 } });
        span.Attributes.Add(new KeyValue { Key = "opsconsole.confidence", Value = new AnyValue { DoubleValue = 0.41 } });
        scope.Spans.Add(span);
        resource.ScopeSpans.Add(scope);
        request.ResourceSpans.Add(resource);

        var read = ExportTraceServiceRequest.Parser.ParseFrom(request.ToByteArray());
        Assert.Equal(request, read);
        var attributes = read.ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes;
        Assert.Equal((AnyValue.ValueOneofCase.IntValue, 812L), (attributes[0].Value.ValueCase, attributes[0].Value.IntValue));
        Assert.Equal(AnyValue.ValueOneofCase.DoubleValue, attributes[1].Value.ValueCase);
        // A truncated body is an error, not a partial message.
        Assert.Throws<InvalidProtocolBufferException>(() => ExportTraceServiceRequest.Parser.ParseFrom(request.ToByteArray()[..^3]));
    }
}
