using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using OpsConsole.Web.Features.Otlp.Proto;

namespace OpsConsole.Web.Features.Otlp;

using OpsConsole.Web.Features.Traces;

/// <summary>The body is not an OTLP trace export in the encoding it claims: the whole request is refused (400).</summary>
public sealed class OtlpFormatException(string message) : Exception(message);

/// <summary>
/// Reads the body of <c>POST /v1/traces</c> in either OTLP/HTTP encoding. Binary protobuf is read
/// by the generated parser; OTLP/JSON differs from protobuf's own JSON mapping only in that trace
/// and span ids are hex, not base64 (OTLP specification, "JSON Protobuf Encoding"), so those are
/// rewritten before the generated JSON parser reads the rest.
/// </summary>
public static class OtlpTraceReader
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true).WithRecursionLimit(64));
    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public static ExportTraceServiceRequest ReadProtobuf(ReadOnlySpan<byte> body)
    {
        try
        {
            return ExportTraceServiceRequest.Parser.ParseFrom(body);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new OtlpFormatException("The body is not a protobuf ExportTraceServiceRequest: " + ex.Message);
        }
        catch (Exception ex) when (ex is ArgumentException or DecoderFallbackException or IndexOutOfRangeException)
        {
            throw new OtlpFormatException("The body is not a protobuf ExportTraceServiceRequest: " + ex.Message);
        }
    }

    /// <summary>
    /// Reads an OTLP/JSON body. A span whose text is not Unicode (JSON escapes can spell a lone
    /// surrogate, which no protobuf string holds) is taken out and described in
    /// <paramref name="refused"/>, so it cannot fail the spans around it.
    /// </summary>
    public static ExportTraceServiceRequest ReadJson(ReadOnlySpan<byte> body, List<string> refused)
    {
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            throw new OtlpFormatException("The body is not valid UTF-8.");
        }
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body, NodeOptions, DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new OtlpFormatException("The body is not valid JSON: " + ex.Message);
        }
        if (root is not JsonObject obj)
        {
            throw new OtlpFormatException("Expected a JSON object {\"resourceSpans\": [ … ]}.");
        }
        try
        {
            var index = -1;
            foreach (var resource in Items(obj, "resourceSpans", "resource_spans"))
            {
                foreach (var scope in Items(resource, "scopeSpans", "scope_spans"))
                {
                    foreach (var span in Items(scope, "spans").ToList())
                    {
                        index++;
                        if (!IsValidText(span))
                        {
                            refused.Add($"Span {index}: it holds text that is not valid Unicode (a lone surrogate escape such as \\ud800).");
                            span.Parent!.AsArray().Remove(span);
                            continue;
                        }
                        HexToBase64(span, "traceId", "trace_id", 16);
                        HexToBase64(span, "spanId", "span_id", 8);
                        HexToBase64(span, "parentSpanId", "parent_span_id", 8);
                        foreach (var link in Items(span, "links"))
                        {
                            HexToBase64(link, "traceId", "trace_id", 16);
                            HexToBase64(link, "spanId", "span_id", 8);
                        }
                    }
                }
            }
            return Parser.Parse<ExportTraceServiceRequest>(root.ToJsonString());
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new OtlpFormatException("The body is not an OTLP/JSON ExportTraceServiceRequest: " + ex.Message);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException or InvalidJsonException or JsonException)
        {
            throw new OtlpFormatException("The body is not an OTLP/JSON ExportTraceServiceRequest: " + ex.Message);
        }
    }

    private static bool IsValidText(JsonNode node)
    {
        try
        {
            // Writing checks every string and name: a lone surrogate cannot be transcoded.
            node.ToJsonString();
            return true;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            return false;
        }
    }

    private static IEnumerable<JsonObject> Items(JsonNode node, string name, string? altName = null)
    {
        if (node is not JsonObject obj)
        {
            throw new OtlpFormatException($"Expected an object where \"{name}\" is read.");
        }
        var value = obj[name] ?? (altName is null ? null : obj[altName]);
        if (value is null)
        {
            yield break;
        }
        if (value is not JsonArray array)
        {
            throw new OtlpFormatException($"\"{name}\" must be an array.");
        }
        foreach (var item in array)
        {
            if (item is not JsonObject o)
            {
                throw new OtlpFormatException($"Each item of \"{name}\" must be an object.");
            }
            yield return o;
        }
    }

    private static void HexToBase64(JsonObject obj, string name, string altName, int bytes)
    {
        var key = obj.ContainsKey(name) ? name : obj.ContainsKey(altName) ? altName : null;
        if (key is null || obj[key] is null)
        {
            return;
        }
        if (obj[key] is not JsonValue v || !v.TryGetValue<string>(out var hex))
        {
            throw new OtlpFormatException($"\"{name}\" must be a string of {bytes * 2} hex digits.");
        }
        if (hex.Length == 0)
        {
            return;
        }
        if (hex.Length != bytes * 2 || !hex.All(char.IsAsciiHexDigit))
        {
            throw new OtlpFormatException($"\"{name}\" must be {bytes * 2} hex digits (OTLP/JSON encodes ids as hex), not '{(hex.Length > 64 ? hex[..64] + "…" : hex)}'.");
        }
        obj[key] = Convert.ToBase64String(Convert.FromHexString(hex));
    }
}
