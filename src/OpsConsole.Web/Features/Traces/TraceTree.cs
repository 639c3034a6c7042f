using System.Globalization;
using System.Text.Json;

namespace OpsConsole.Web.Features.Traces;

public sealed record RetrievalDocument(string? Id, double? Score, string? Title, string? Url, string? Content);

public sealed record ToolCall(string? Name, string? CallId, string? Arguments, string? Result);

public sealed record GenAiSummary(string? RequestModel, string? ResponseModel, long? InputTokens, long? OutputTokens, IReadOnlyList<string> FinishReasons);

public sealed record SpanException(string? Type, string? Message, string? StackTrace);

public sealed record SpanAttribute(string Name, string Value);

public sealed record SpanEventView(string Name, long TimeUnixNano, IReadOnlyList<SpanAttribute> Attributes);

/// <summary>One row of the span tree: the span, where it sits, and what its attributes say, parsed once.</summary>
public sealed record SpanNode(
    TraceSpan Span, int Depth, bool HasChildren, double Offset, double Width, bool IsError,
    bool IsRetrieval, string? RetrievalQuery, string? DataSource, IReadOnlyList<RetrievalDocument> Documents,
    ToolCall? Tool, GenAiSummary? GenAi, IReadOnlyList<SpanException> Exceptions, IReadOnlyList<SpanEventView> Events,
    IReadOnlyList<SpanAttribute> Attributes, long? DroppedAttributes)
{
    public double DurationMs => Span.DurationMs;
}

/// <summary>
/// Turns the stored spans of one trace into the rows of the span tree, depth first, children by start
/// time. Spans come from services we do not control, so nothing here trusts them: a missing parent
/// makes a root, a cycle or a self-parent is broken, and attribute JSON of the wrong shape is skipped
/// rather than thrown on.
/// </summary>
public static class TraceTree
{
    /// <summary>Deepest indentation shown; deeper spans keep their order but not their indent.</summary>
    public const int MaxDepth = 32;
    /// <summary>Retrieval documents parsed per span (the store keeps 64 array items; a JSON string could hold more).</summary>
    public const int MaxDocuments = 64;
    public const int MaxListedAttributes = 256;
    public const int MaxListedEvents = 256;
    public const string TruncationMark = "…[truncated:";

    private const string DocumentsKey = "gen_ai.retrieval.documents";
    private const string DroppedKey = "opsconsole.dropped_attributes";

    private static readonly HashSet<string> Shown =
    [
        DocumentsKey, "gen_ai.retrieval.query.text", "gen_ai.data_source.id",
        "gen_ai.tool.name", "gen_ai.tool.call.id", "gen_ai.tool.call.arguments", "gen_ai.tool.call.result",
        "gen_ai.request.model", "gen_ai.response.model", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
        "gen_ai.response.finish_reasons", DroppedKey,
    ];

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    public static IReadOnlyList<SpanNode> Build(IReadOnlyList<TraceSpan> spans)
    {
        if (spans.Count == 0)
        {
            return [];
        }
        var order = Order(spans);
        var start = spans.Min(s => s.StartUnixNano);
        var end = spans.Max(s => Math.Max(s.StartUnixNano, s.EndUnixNano));
        var total = Math.Max(1.0, (double)(end - start));
        var rows = new List<SpanNode>(order.Count);
        foreach (var (index, depth, hasChildren) in order)
        {
            var span = spans[index];
            var offset = Math.Clamp((span.StartUnixNano - start) / total, 0, 1);
            var width = Math.Clamp(Math.Max(0, (double)(span.EndUnixNano - span.StartUnixNano)) / total, 0, 1 - offset);
            rows.Add(Describe(span, depth, hasChildren, offset, width));
        }
        return rows;
    }

    /// <summary>Display order as (index into spans, depth, has children); every span appears exactly once.</summary>
    private static List<(int Index, int Depth, bool HasChildren)> Order(IReadOnlyList<TraceSpan> spans)
    {
        var byId = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < spans.Count; i++)
        {
            byId.TryAdd(spans[i].SpanId, i);
        }
        var children = new List<int>?[spans.Count];
        var roots = new List<int>();
        for (var i = 0; i < spans.Count; i++)
        {
            var parent = spans[i].ParentSpanId;
            if (parent is not null && byId.TryGetValue(parent, out var p) && p != i)
            {
                (children[p] ??= []).Add(i);
            }
            else
            {
                roots.Add(i);
            }
        }
        Comparison<int> byStart = (a, b) =>
        {
            var c = spans[a].StartUnixNano.CompareTo(spans[b].StartUnixNano);
            return c != 0 ? c : a.CompareTo(b);
        };
        foreach (var list in children)
        {
            list?.Sort(byStart);
        }
        roots.Sort(byStart);

        var visited = new bool[spans.Count];
        var result = new List<(int, int, bool)>(spans.Count);
        void Walk(int root)
        {
            // An explicit stack: a hostile chain of 1,000 spans must not overflow the call stack.
            var stack = new Stack<(int Index, int Depth)>();
            stack.Push((root, 0));
            while (stack.Count > 0)
            {
                var (i, depth) = stack.Pop();
                if (visited[i])
                {
                    continue;
                }
                visited[i] = true;
                var kids = children[i]?.Where(k => !visited[k]).ToList() ?? [];
                result.Add((i, Math.Min(depth, MaxDepth), kids.Count > 0));
                for (var k = kids.Count - 1; k >= 0; k--)
                {
                    stack.Push((kids[k], depth + 1));
                }
            }
        }
        foreach (var r in roots)
        {
            Walk(r);
        }
        // What is left sits on a parent cycle (A → B → A): the earliest of it becomes a root.
        var rest = Enumerable.Range(0, spans.Count).Where(i => !visited[i]).ToList();
        rest.Sort(byStart);
        foreach (var r in rest)
        {
            Walk(r);
        }
        return result;
    }

    private static SpanNode Describe(TraceSpan span, int depth, bool hasChildren, double offset, double width)
    {
        using var attributes = ParseObject(span.AttributesJson);
        var root = attributes?.RootElement;
        var events = ParseEvents(span.EventsJson);
        var exceptions = events.Where(e => e.Name == "exception").Select(e => new SpanException(
            Find(e.Attributes, "exception.type"), Find(e.Attributes, "exception.message"), Find(e.Attributes, "exception.stacktrace"))).ToList();

        var isRetrieval = span.Operation == "retrieval" || Get(root, DocumentsKey) is not null;
        var documents = isRetrieval ? Documents(Get(root, DocumentsKey)) : [];
        ToolCall? tool = null;
        if (span.Operation == "execute_tool" || Get(root, "gen_ai.tool.name") is not null)
        {
            tool = new ToolCall(Text(Get(root, "gen_ai.tool.name")), Text(Get(root, "gen_ai.tool.call.id")),
                Text(Get(root, "gen_ai.tool.call.arguments")), Text(Get(root, "gen_ai.tool.call.result")));
        }
        GenAiSummary? genAi = null;
        var requestModel = Text(Get(root, "gen_ai.request.model"));
        var responseModel = Text(Get(root, "gen_ai.response.model"));
        var input = Integer(Get(root, "gen_ai.usage.input_tokens"));
        var output = Integer(Get(root, "gen_ai.usage.output_tokens"));
        var finish = Strings(Get(root, "gen_ai.response.finish_reasons"));
        if (requestModel is not null || responseModel is not null || input is not null || output is not null || finish.Count > 0)
        {
            genAi = new GenAiSummary(requestModel, responseModel, input, output, finish);
        }

        var others = new List<SpanAttribute>();
        if (root is { ValueKind: JsonValueKind.Object } obj)
        {
            foreach (var p in obj.EnumerateObject())
            {
                if (others.Count >= MaxListedAttributes)
                {
                    break;
                }
                if (!Shown.Contains(p.Name))
                {
                    others.Add(new SpanAttribute(p.Name, Display(p.Value)));
                }
            }
        }

        return new SpanNode(span, depth, hasChildren, offset, width,
            span.StatusCode == SpanStatus.Error || exceptions.Count > 0,
            isRetrieval, Text(Get(root, "gen_ai.retrieval.query.text")), Text(Get(root, "gen_ai.data_source.id")), documents,
            tool, genAi, exceptions, events, others, Integer(Get(root, DroppedKey)));
    }

    /// <summary>The text pretty-printed when it is JSON, else as it is (tool arguments and results are often JSON text).</summary>
    public static string Pretty(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return text ?? "";
        }
        var trimmed = text.TrimStart();
        if (trimmed[0] is not ('{' or '['))
        {
            return text;
        }
        try
        {
            using var doc = JsonDocument.Parse(text, Options);
            return JsonSerializer.Serialize(doc.RootElement, Indented);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            return text;
        }
    }

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static JsonDocument? ParseObject(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }
        try
        {
            var doc = JsonDocument.Parse(json, Options);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                return doc;
            }
            doc.Dispose();
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonElement? Get(JsonElement? root, string name) =>
        root is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) ? v : null;

    private static string? Text(JsonElement? value) => value is { } v ? Display(v) : null;

    /// <summary>A value as one display string: strings as they are, anything else as compact JSON.</summary>
    private static string Display(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : value.GetRawText();

    private static long? Integer(JsonElement? value) => value switch
    {
        { ValueKind: JsonValueKind.Number } n when n.TryGetInt64(out var l) => l,
        { ValueKind: JsonValueKind.Number } n when n.TryGetDouble(out var d) && d is >= long.MinValue and <= long.MaxValue => (long)d,
        { ValueKind: JsonValueKind.String } s when long.TryParse(s.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
        _ => null,
    };

    private static double? Number(JsonElement? value) => value switch
    {
        { ValueKind: JsonValueKind.Number } n when n.TryGetDouble(out var d) && double.IsFinite(d) => d,
        { ValueKind: JsonValueKind.String } s when double.TryParse(s.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) => d,
        _ => null,
    };

    private static IReadOnlyList<string> Strings(JsonElement? value) => value switch
    {
        { ValueKind: JsonValueKind.Array } a => a.EnumerateArray().Take(MaxDocuments).Select(Display).ToList(),
        { } v => [Display(v)],
        null => [],
    };

    private static IReadOnlyList<RetrievalDocument> Documents(JsonElement? value)
    {
        if (value is not { } v)
        {
            return [];
        }
        if (v.ValueKind == JsonValueKind.String)
        {
            // Some instrumentations send the documents as JSON text instead of a structured array.
            var text = v.GetString();
            if (string.IsNullOrWhiteSpace(text) || text.TrimStart()[0] != '[')
            {
                return [];
            }
            try
            {
                using var doc = JsonDocument.Parse(text, Options);
                return Documents(doc.RootElement);
            }
            catch (JsonException)
            {
                return [];
            }
        }
        return v.ValueKind != JsonValueKind.Array ? [] : DocumentsOf(v);
    }

    private static List<RetrievalDocument> DocumentsOf(JsonElement array)
    {
        var list = new List<RetrievalDocument>();
        foreach (var d in array.EnumerateArray())
        {
            if (list.Count >= MaxDocuments)
            {
                break;
            }
            if (d.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            JsonElement? Field(string name) => Get(d, name);
            list.Add(new RetrievalDocument(Text(Field("id")), Number(Field("score")), Text(Field("title")), Text(Field("url")), Text(Field("content"))));
        }
        return list;
    }

    private static IReadOnlyList<SpanEventView> ParseEvents(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return [];
        }
        try
        {
            using var doc = JsonDocument.Parse(json, Options);
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                return [];
            }
            var list = new List<SpanEventView>();
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (list.Count >= MaxListedEvents)
                {
                    break;
                }
                if (e.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }
                var attributes = new List<SpanAttribute>();
                if (Get(e, "attributes") is { ValueKind: JsonValueKind.Object } a)
                {
                    attributes.AddRange(a.EnumerateObject().Take(MaxListedAttributes).Select(p => new SpanAttribute(p.Name, Display(p.Value))));
                }
                list.Add(new SpanEventView(Text(Get(e, "name")) ?? "", Integer(Get(e, "timeUnixNano")) ?? 0, attributes));
            }
            return list;
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static string? Find(IReadOnlyList<SpanAttribute> attributes, string name) => attributes.FirstOrDefault(a => a.Name == name)?.Value;
}
