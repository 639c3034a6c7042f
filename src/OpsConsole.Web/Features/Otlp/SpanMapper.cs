using System.Globalization;
using System.Text;
using System.Text.Json;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Otlp.Proto;

namespace OpsConsole.Web.Features.Otlp;

using OpsConsole.Web.Features.Traces;

/// <summary>One span as read from a request: what is stored, and what the mapping to an inference event reads.</summary>
public sealed class ReadSpan
{
    public required TraceSpan Row { get; init; }
    public required Span Source { get; init; }
    public required IReadOnlyDictionary<string, AnyValue> Attributes { get; init; }
    public required IReadOnlyDictionary<string, AnyValue> ResourceAttributes { get; init; }
    /// <summary><c>opsconsole.path</c> of the span, else of its resource.</summary>
    public string? PathSlug { get; init; }
    /// <summary>Position in the request (resource, scope, span flattened), for error messages.</summary>
    public int Index { get; init; }

    public bool IsGenAiOutput => Row.Operation is { } op && SpanMapper.OutputOperations.Contains(op);

    public AnyValue? Get(string key) =>
        Attributes.TryGetValue(key, out var v) ? v : ResourceAttributes.TryGetValue(key, out var r) ? r : null;
}

/// <summary>
/// The mapping of a GenAI span (OpenTelemetry semantic conventions for generative AI) to an inference
/// event, written as the JSON item of the events API so the events API's own field rules
/// (<see cref="EventContract"/>) check it: one contract, whichever door an event comes through.
/// The README's "Traces" section has the table.
/// </summary>
public static class SpanMapper
{
    /// <summary><c>gen_ai.operation.name</c> values whose span is one AI output.</summary>
    public static readonly HashSet<string> OutputOperations = new(StringComparer.Ordinal)
    {
        "chat", "text_completion", "generate_content", "invoke_agent",
    };

    public const string PathAttribute = "opsconsole.path";
    private const int MaxEventAttributes = 40;

    /// <summary>The event id of a span's inference event: trace id and span id in hex, so a re-sent span is the same event.</summary>
    public static string EventId(string traceId, string spanId) => traceId + "-" + spanId;

    /// <summary>Writes the event item of <paramref name="span"/>; <paramref name="prices"/> gives a model's price per million tokens on the span's path.</summary>
    public static void WriteEvent(Utf8JsonWriter w, ReadSpan span, string pathSlug, IReadOnlyList<ReadSpan> trace, Func<string, ModelPrice?> prices)
    {
        var row = span.Row;
        var s = span.Source;
        w.WriteStartObject();
        w.WriteString("eventId", EventId(row.TraceId, row.SpanId));
        w.WriteString("path", pathSlug);
        w.WriteString("occurredAt", FromUnixNano(s.StartTimeUnixNano).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
        w.WriteString("traceId", row.TraceId);

        var model = SpanValues.AsText(span.Get("gen_ai.response.model")) ?? SpanValues.AsText(span.Get("gen_ai.request.model"));
        WriteOptional(w, "modelVersion", model);
        WriteOptional(w, "promptVersion", SpanValues.AsText(span.Get("opsconsole.prompt_version")));
        WriteOptional(w, "unit", SpanValues.AsText(span.Get("opsconsole.unit")));
        WriteOptional(w, "release", SpanValues.AsText(span.Get("opsconsole.release")));
        WriteNumber(w, "confidence", span.Get("opsconsole.confidence"));

        // A span that ended before it started is malformed: the negative latency is refused by name.
        var latencyMs = s.EndTimeUnixNano >= s.StartTimeUnixNano
            ? (s.EndTimeUnixNano - s.StartTimeUnixNano) / 1_000_000.0
            : -((s.StartTimeUnixNano - s.EndTimeUnixNano) / 1_000_000.0);
        w.WriteNumber("latencyMs", latencyMs);

        var inputTokens = SpanValues.AsNumber(span.Get("gen_ai.usage.input_tokens"), out var badIn);
        var outputTokens = SpanValues.AsNumber(span.Get("gen_ai.usage.output_tokens"), out var badOut);
        WriteNumber(w, "inputTokens", span.Get("gen_ai.usage.input_tokens"));
        WriteNumber(w, "outputTokens", span.Get("gen_ai.usage.output_tokens"));
        if (span.Get("opsconsole.cost_usd") is { } cost)
        {
            WriteNumber(w, "costUsd", cost);
        }
        else if (model is not null && prices(model) is { } price && !badIn && !badOut && (inputTokens is not null || outputTokens is not null))
        {
            var usd = (inputTokens ?? 0) * price.InputUsdPerMillion / 1_000_000 + (outputTokens ?? 0) * price.OutputUsdPerMillion / 1_000_000;
            if (double.IsFinite(usd))
            {
                w.WriteNumber("costUsd", usd);
            }
        }

        var (outcome, errorCode, errorMessage) = Outcome(span);
        w.WriteString("outcome", outcome);
        WriteOptional(w, "errorCode", Clip(errorCode, EventContract.MaxShortText));
        WriteOptional(w, "errorMessage", Clip(errorMessage, EventContract.MaxErrorMessage));

        var (input, output) = Messages(span);
        WriteOptional(w, "input", ClipUtf8(input, EventContract.MaxTextBytes));
        WriteOptional(w, "output", ClipUtf8(output, EventContract.MaxTextBytes));
        WriteSources(w, trace);
        WriteAttributes(w, span);
        w.WriteEndObject();
    }

    public static DateTime FromUnixNano(ulong nanos) => DateTime.UnixEpoch.AddTicks((long)(nanos / 100));

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    /// <summary>A number as a JSON number when it is one (finite), else as the text sent, which the event rules refuse by name.</summary>
    private static void WriteNumber(Utf8JsonWriter w, string name, AnyValue? value)
    {
        var number = SpanValues.AsNumber(value, out var unreadable);
        if (number is { } d && double.IsFinite(d))
        {
            w.WriteNumber(name, d);
        }
        else if (number is not null || unreadable)
        {
            w.WriteString(name, SpanValues.AsText(value) ?? value!.ValueCase.ToString());
        }
    }

    private static (string Outcome, string? Code, string? Message) Outcome(ReadSpan span)
    {
        string? exceptionType = null;
        string? exceptionMessage = null;
        foreach (var e in span.Source.Events)
        {
            if (e.Name == "exception")
            {
                var a = SpanValues.Lookup(e.Attributes);
                exceptionType ??= a.TryGetValue("exception.type", out var t) ? SpanValues.AsText(t) : null;
                exceptionMessage ??= a.TryGetValue("exception.message", out var m) ? SpanValues.AsText(m) : null;
            }
        }
        var errorType = SpanValues.AsText(span.Get("error.type"));
        var declared = SpanValues.AsText(span.Get("opsconsole.outcome"));
        var failed = span.Source.Status?.Code == Status.Types.StatusCode.Error;
        var code = errorType ?? (failed ? exceptionType : null);
        var message = failed ? NullIfEmpty(span.Source.Status!.Message) ?? exceptionMessage : null;
        if (declared is not null)
        {
            // As sent: the event rules accept ok/error/timeout/fallback and refuse the rest by name.
            return (declared, code, message);
        }
        if (!failed && errorType is null)
        {
            return (Outcomes.Ok, null, null);
        }
        var timeout = code?.Contains("timeout", StringComparison.OrdinalIgnoreCase) == true;
        return (timeout ? Outcomes.Timeout : Outcomes.Error, code, message);
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    /// <summary>
    /// Input and output text: <c>gen_ai.input.messages</c>/<c>gen_ai.output.messages</c> (current
    /// conventions), else the span events of earlier conventions (<c>gen_ai.user.message</c>,
    /// <c>gen_ai.choice</c>, <c>gen_ai.content.prompt</c>/<c>completion</c>), else the deprecated
    /// <c>gen_ai.prompt</c>/<c>gen_ai.completion</c> attributes.
    /// </summary>
    public static (string? Input, string? Output) Messages(ReadSpan span)
    {
        var input = MessagesText(span.Get("gen_ai.input.messages"));
        var output = MessagesText(span.Get("gen_ai.output.messages"));
        if (input is null || output is null)
        {
            var inputs = new List<string>();
            var outputs = new List<string>();
            foreach (var e in span.Source.Events)
            {
                var a = SpanValues.Lookup(e.Attributes);
                switch (e.Name)
                {
                    case "gen_ai.user.message" or "gen_ai.system.message" or "gen_ai.tool.message":
                        AddText(inputs, a, "content");
                        break;
                    case "gen_ai.content.prompt":
                        AddText(inputs, a, "gen_ai.prompt");
                        break;
                    case "gen_ai.choice":
                        if (a.TryGetValue("message", out var m) && MessagesText(m, single: true) is { } text)
                        {
                            outputs.Add(text);
                        }
                        else
                        {
                            AddText(outputs, a, "content");
                        }
                        break;
                    case "gen_ai.assistant.message":
                        AddText(outputs, a, "content");
                        break;
                    case "gen_ai.content.completion":
                        AddText(outputs, a, "gen_ai.completion");
                        break;
                    case "gen_ai.client.inference.operation.details":
                        input ??= MessagesText(a.GetValueOrDefault("gen_ai.input.messages"));
                        output ??= MessagesText(a.GetValueOrDefault("gen_ai.output.messages"));
                        break;
                }
            }
            input ??= inputs.Count > 0 ? string.Join("\n\n", inputs) : null;
            output ??= outputs.Count > 0 ? string.Join("\n\n", outputs) : null;
        }
        input ??= PlainText(span.Get("gen_ai.prompt"));
        output ??= PlainText(span.Get("gen_ai.completion"));
        return (input, output);
    }

    private static void AddText(List<string> into, Dictionary<string, AnyValue> attributes, string key)
    {
        if (attributes.TryGetValue(key, out var v) && PlainText(v) is { } text)
        {
            into.Add(text);
        }
    }

    private static string? PlainText(AnyValue? value) =>
        value?.ValueCase == AnyValue.ValueOneofCase.StringValue && value.StringValue.Length > 0 ? value.StringValue : null;

    /// <summary>
    /// The text of a messages value: an array of <c>{role, parts:[{type:"text", content}]}</c> (or
    /// <c>{role, content}</c>), as structured value or JSON text. One message gives its text; several
    /// give "role: text" paragraphs. Text that is not such JSON is taken as it is.
    /// </summary>
    public static string? MessagesText(AnyValue? value, bool single = false)
    {
        if (value is null)
        {
            return null;
        }
        using var doc = SpanValues.AsJson(value, EventContract.MaxTextBytes);
        if (doc is null)
        {
            return PlainText(value);
        }
        var root = doc.RootElement;
        if (single || root.ValueKind == JsonValueKind.Object)
        {
            return root.ValueKind == JsonValueKind.Object ? MessageText(root) : PlainText(value);
        }
        if (root.ValueKind != JsonValueKind.Array)
        {
            return PlainText(value);
        }
        var messages = new List<(string? Role, string Text)>();
        foreach (var m in root.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.Object && MessageText(m) is { } text)
            {
                messages.Add((m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null, text));
            }
        }
        return messages.Count switch
        {
            0 => null,
            1 => messages[0].Text,
            _ => string.Join("\n\n", messages.Select(m => m.Role is null ? m.Text : m.Role + ": " + m.Text)),
        };
    }

    private static string? MessageText(JsonElement message)
    {
        if (message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
        {
            return content.GetString();
        }
        if (!message.TryGetProperty("parts", out var parts) || parts.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        var texts = new List<string>();
        foreach (var part in parts.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            var type = part.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type is "text" or "reasoning" && part.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String)
            {
                texts.Add(c.GetString()!);
            }
            else if (type == "tool_call" && part.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
            {
                texts.Add($"[tool call {n.GetString()}{(part.TryGetProperty("arguments", out var args) ? " " + args.GetRawText() : "")}]");
            }
            else if (type == "tool_call_response" && part.TryGetProperty("response", out var resp))
            {
                texts.Add("[tool result " + (resp.ValueKind == JsonValueKind.String ? resp.GetString() : resp.GetRawText()) + "]");
            }
        }
        return texts.Count == 0 ? null : string.Join("\n", texts);
    }

    /// <summary>The documents of the trace's retrieval spans (in this request) as the event's sources: the reviewer's "show your work".</summary>
    private static void WriteSources(Utf8JsonWriter w, IReadOnlyList<ReadSpan> trace)
    {
        var written = 0;
        foreach (var span in trace)
        {
            foreach (var doc in RetrievalDocuments(span))
            {
                if (written == 0)
                {
                    w.WritePropertyName("sources");
                    w.WriteStartArray();
                }
                w.WriteStartObject();
                w.WriteString("title", Clip(doc.Title ?? doc.Id ?? "document", 500));
                if (doc.Url is { Length: <= 2048 } url)
                {
                    w.WriteString("url", url);
                }
                if (doc.Content is not null)
                {
                    w.WriteString("snippet", Clip(doc.Content, 4096));
                }
                w.WriteEndObject();
                if (++written == EventContract.MaxSources)
                {
                    w.WriteEndArray();
                    return;
                }
            }
        }
        if (written > 0)
        {
            w.WriteEndArray();
        }
    }

    public sealed record Document(string? Id, string? Title, string? Url, string? Content, double? Score);

    /// <summary>The documents of a retrieval span (<c>gen_ai.retrieval.documents</c>), as structured value or JSON text.</summary>
    public static IReadOnlyList<Document> RetrievalDocuments(ReadSpan span)
    {
        if (span.Attributes.GetValueOrDefault("gen_ai.retrieval.documents") is not { } value)
        {
            return [];
        }
        using var doc = SpanValues.AsJson(value, 4096);
        if (doc?.RootElement is not { ValueKind: JsonValueKind.Array } array)
        {
            return [];
        }
        var list = new List<Document>();
        foreach (var d in array.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            list.Add(new Document(Str(d, "id"), Str(d, "title"), Str(d, "url"), Str(d, "content") ?? Str(d, "text"),
                d.TryGetProperty("score", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetDouble(out var score) ? score : null));
            if (list.Count == EventContract.MaxSources)
            {
                break;
            }
        }
        return list;
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        } : null;

    /// <summary>A few well-known attributes, and every <c>opsconsole.attr.NAME</c> as NAME (for the path's breakdown).</summary>
    private static void WriteAttributes(Utf8JsonWriter w, ReadSpan span)
    {
        var values = new List<(string, string)>();
        void Add(string name, string? value)
        {
            if (value is { Length: > 0 } && values.Count < MaxEventAttributes && values.All(v => v.Item1 != name))
            {
                values.Add((name, Clip(value, EventContract.MaxAttributeLength)!));
            }
        }
        Add("service.name", span.Row.ServiceName);
        Add("span.name", span.Row.Name);
        Add("gen_ai.operation.name", span.Row.Operation);
        Add("gen_ai.provider.name", SpanValues.AsText(span.Get("gen_ai.provider.name")) ?? SpanValues.AsText(span.Get("gen_ai.system")));
        Add("gen_ai.agent.name", SpanValues.AsText(span.Get("gen_ai.agent.name")));
        Add("gen_ai.conversation.id", SpanValues.AsText(span.Get("gen_ai.conversation.id")));
        Add("gen_ai.response.id", SpanValues.AsText(span.Get("gen_ai.response.id")));
        if (span.Get("gen_ai.response.finish_reasons") is { } reasons)
        {
            Add("gen_ai.response.finish_reasons", reasons.ValueCase == AnyValue.ValueOneofCase.ArrayValue
                ? string.Join(",", reasons.ArrayValue.Values.Select(SpanValues.AsText).Where(r => r is not null))
                : SpanValues.AsText(reasons));
        }
        foreach (var (key, value) in span.Attributes.Concat(span.ResourceAttributes))
        {
            if (key.StartsWith("opsconsole.attr.", StringComparison.Ordinal) && key.Length > "opsconsole.attr.".Length)
            {
                Add(Clip(key["opsconsole.attr.".Length..], EventContract.MaxAttributeLength)!, SpanValues.AsText(value));
            }
        }
        if (values.Count == 0)
        {
            return;
        }
        w.WritePropertyName("attributes");
        w.WriteStartObject();
        foreach (var (name, value) in values)
        {
            w.WriteString(name, value);
        }
        w.WriteEndObject();
    }

    /// <summary>Text cut to <paramref name="max"/> UTF-16 characters without splitting a surrogate pair.</summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(s))]
    public static string? Clip(string? s, int max)
    {
        if (s is null || s.Length <= max)
        {
            return s;
        }
        var keep = char.IsHighSurrogate(s[max - 1]) ? max - 1 : max;
        return s[..keep];
    }

    /// <summary>Text cut to <paramref name="maxBytes"/> of UTF-8 with the truncation marker (the marker included in the bound).</summary>
    public static string? ClipUtf8(string? s, int maxBytes)
    {
        if (s is null || Encoding.UTF8.GetByteCount(s) <= maxBytes)
        {
            return s;
        }
        var total = s.Length;
        var budget = maxBytes - 64;
        var keep = 0;
        var bytes = 0;
        while (keep < s.Length)
        {
            var width = char.IsHighSurrogate(s[keep]) && keep + 1 < s.Length ? 2 : 1;
            var b = Encoding.UTF8.GetByteCount(s.AsSpan(keep, width));
            if (bytes + b > budget)
            {
                break;
            }
            bytes += b;
            keep += width;
        }
        return s[..keep] + SpanLimits.TruncationMarker(total - keep);
    }
}
