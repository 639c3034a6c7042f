using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace OpsConsole.Web.Features.Ingestion;

/// <summary>An item that passed the field rules; its path is not resolved yet.</summary>
public sealed class EventFields
{
    public string EventId { get; set; } = "";
    public string Path { get; set; } = "";
    public DateTime OccurredAt { get; set; }
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
    public string? SourcesJson { get; set; }
    public string? AttributesJson { get; set; }
}

/// <summary>Why an item was refused: a machine-readable code and a sentence for the person reading it.</summary>
public readonly record struct Rejection(string Reason, string Detail)
{
    public static Rejection Field(string name, string detail) => new("invalid_field:" + name, detail);
}

/// <summary>
/// The field rules of one inference event (DESIGN.md "Ingestion"). Checked once, at the edge;
/// everything after trusts <see cref="EventFields"/>. Unknown properties are ignored so clients
/// can send newer fields to an older console.
/// </summary>
public static partial class EventContract
{
    public const int MaxEventIdLength = 128;
    public const int MaxTextBytes = 32 * 1024;
    public const int MaxAttributes = 50;
    public const int MaxAttributeLength = 256;
    public const int MaxSources = 20;
    public const int MaxShortText = 200;
    public const int MaxErrorMessage = 4096;
    public static readonly TimeSpan MaxFutureSkew = TimeSpan.FromMinutes(5);
    private static readonly DateTime Earliest = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+\-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();

    /// <summary>Validates one item of the batch. <paramref name="now"/> bounds <c>occurredAt</c> in the future.</summary>
    public static Rejection? Validate(JsonElement item, DateTime now, out EventFields fields)
    {
        fields = new EventFields();
        if (item.ValueKind != JsonValueKind.Object)
        {
            return new Rejection("not_an_object", "Each item of \"events\" must be a JSON object.");
        }
        try
        {
            return ValidateObject(item, now, fields);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException)
        {
            // Strings that are valid JSON but not valid Unicode (a lone surrogate escape) land here.
            return new Rejection("invalid_text", "The item contains text that is not valid Unicode.");
        }
    }

    private static Rejection? ValidateObject(JsonElement item, DateTime now, EventFields f)
    {
        bool hasEventId = false, hasPath = false, hasOccurredAt = false;
        // Which known fields were seen, one bit each: a repeated field is refused (hot path: no set allocated per item).
        var seen = 0;
        foreach (var prop in item.EnumerateObject())
        {
            var name = prop.Name;
            var v = prop.Value;
            Rejection? problem = null;
            var bit = FieldBit(name);
            if (bit == 0)
            {
                continue;
            }
            if ((seen & bit) != 0)
            {
                return Rejection.Field(name, $"\"{name}\" appears more than once in the item.");
            }
            seen |= bit;
            switch (name)
            {
                case "eventId":
                    hasEventId = true;
                    problem = RequiredString(v, name, MaxEventIdLength, out var eventId);
                    f.EventId = eventId;
                    break;
                case "path":
                    hasPath = true;
                    problem = RequiredString(v, name, MaxShortText, out var path);
                    f.Path = path;
                    break;
                case "occurredAt":
                    hasOccurredAt = true;
                    problem = Timestamp(v, now, out var at);
                    f.OccurredAt = at;
                    break;
                case "modelVersion":
                    problem = OptionalString(v, name, MaxShortText, out var model);
                    f.ModelVersion = model;
                    break;
                case "promptVersion":
                    problem = OptionalString(v, name, MaxShortText, out var prompt);
                    f.PromptVersion = prompt;
                    break;
                case "unit":
                    problem = OptionalString(v, name, MaxAttributeLength, out var unit);
                    f.Unit = unit;
                    break;
                case "traceId":
                    problem = OptionalString(v, name, MaxShortText, out var trace);
                    f.TraceId = trace;
                    break;
                case "errorCode":
                    problem = OptionalString(v, name, MaxShortText, out var code);
                    f.ErrorCode = code;
                    break;
                case "errorMessage":
                    problem = OptionalString(v, name, MaxErrorMessage, out var message);
                    f.ErrorMessage = message;
                    break;
                case "input":
                    problem = OptionalText(v, name, out var input);
                    f.Input = input;
                    break;
                case "output":
                    problem = OptionalText(v, name, out var output);
                    f.Output = output;
                    break;
                case "confidence":
                    problem = OptionalNumber(v, name, out var confidence);
                    if (problem is null && confidence is > 1)
                    {
                        problem = Rejection.Field(name, "confidence must be a number between 0 and 1.");
                    }
                    f.Confidence = confidence;
                    break;
                case "latencyMs":
                    problem = OptionalNumber(v, name, out var latency);
                    f.LatencyMs = latency;
                    break;
                case "costUsd":
                    problem = OptionalNumber(v, name, out var cost);
                    f.CostUsd = cost;
                    break;
                case "inputTokens":
                    problem = OptionalCount(v, name, out var inTokens);
                    f.InputTokens = inTokens;
                    break;
                case "outputTokens":
                    problem = OptionalCount(v, name, out var outTokens);
                    f.OutputTokens = outTokens;
                    break;
                case "outcome":
                    problem = Outcome(v, out var outcome);
                    f.Outcome = outcome;
                    break;
                case "sources":
                    problem = Sources(v);
                    f.SourcesJson = v.ValueKind == JsonValueKind.Null ? null : v.GetRawText();
                    break;
                case "attributes":
                    problem = Attributes(v);
                    f.AttributesJson = v.ValueKind == JsonValueKind.Null ? null : v.GetRawText();
                    break;
            }
            if (problem is not null)
            {
                return problem;
            }
        }
        if (!hasEventId)
        {
            return Rejection.Field("eventId", "eventId is required (1–128 characters).");
        }
        if (!hasPath)
        {
            return Rejection.Field("path", "path is required: the slug of the operating path.");
        }
        if (!hasOccurredAt)
        {
            return Rejection.Field("occurredAt", "occurredAt is required (RFC 3339, e.g. 2026-11-23T10:15:00Z).");
        }
        return null;
    }

    private static readonly string[] KnownFields =
    [
        "eventId", "path", "occurredAt", "modelVersion", "promptVersion", "unit", "traceId", "errorCode", "errorMessage",
        "input", "output", "confidence", "latencyMs", "costUsd", "inputTokens", "outputTokens", "outcome", "sources", "attributes",
    ];

    private static int FieldBit(string name)
    {
        var i = Array.IndexOf(KnownFields, name);
        return i < 0 ? 0 : 1 << i;
    }

    private static Rejection? RequiredString(JsonElement v, string name, int max, out string value)
    {
        value = "";
        if (v.ValueKind != JsonValueKind.String)
        {
            return Rejection.Field(name, $"{name} must be a string of 1–{max} characters.");
        }
        var s = v.GetString()!;
        if (s.Length > max || string.IsNullOrWhiteSpace(s))
        {
            return Rejection.Field(name, $"{name} must be a string of 1–{max} characters.");
        }
        value = s;
        return null;
    }

    private static Rejection? OptionalString(JsonElement v, string name, int max, out string? value)
    {
        value = null;
        if (v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (v.ValueKind != JsonValueKind.String)
        {
            return Rejection.Field(name, $"{name} must be a string (at most {max} characters) or null.");
        }
        value = v.GetString()!;
        return value.Length > max ? Rejection.Field(name, $"{name} must be at most {max} characters.") : null;
    }

    private static Rejection? OptionalText(JsonElement v, string name, out string? value)
    {
        value = null;
        if (v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (v.ValueKind != JsonValueKind.String)
        {
            return Rejection.Field(name, $"{name} must be a string or null.");
        }
        value = v.GetString()!;
        // Cheap bound first: a UTF-16 char is at most 3 UTF-8 bytes.
        return value.Length * 3 > MaxTextBytes && Encoding.UTF8.GetByteCount(value) > MaxTextBytes
            ? Rejection.Field(name, $"{name} must be at most 32 KB (UTF-8).")
            : null;
    }

    private static Rejection? OptionalNumber(JsonElement v, string name, out double? value)
    {
        value = null;
        if (v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d) || d < 0)
        {
            return Rejection.Field(name, $"{name} must be a finite number, zero or more.");
        }
        value = d;
        return null;
    }

    private static Rejection? OptionalCount(JsonElement v, string name, out long? value)
    {
        value = null;
        if (v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var n) || n < 0)
        {
            return Rejection.Field(name, $"{name} must be a whole number, zero or more.");
        }
        value = n;
        return null;
    }

    private static Rejection? Outcome(JsonElement v, out string value)
    {
        value = Outcomes.Ok;
        if (v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        var s = v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var known = s switch
        {
            "ok" => Outcomes.Ok,
            "error" => Outcomes.Error,
            "timeout" => Outcomes.Timeout,
            "fallback" => Outcomes.Fallback,
            _ => null,
        };
        if (known is null)
        {
            return Rejection.Field("outcome", "outcome must be one of ok, error, timeout, fallback.");
        }
        value = known;
        return null;
    }

    private static Rejection? Timestamp(JsonElement v, DateTime now, out DateTime value)
    {
        value = default;
        var s = v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        if (s is null || s.Length > 40 || !Rfc3339().IsMatch(s)
            || !DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var at))
        {
            return Rejection.Field("occurredAt", "occurredAt must be an RFC 3339 timestamp with an offset, e.g. 2026-11-23T10:15:00Z.");
        }
        value = at.UtcDateTime;
        if (value > now + MaxFutureSkew)
        {
            return Rejection.Field("occurredAt", "occurredAt is more than 5 minutes in the future; check the sender's clock.");
        }
        return value < Earliest ? Rejection.Field("occurredAt", "occurredAt is before the year 2000.") : null;
    }

    private static Rejection? Sources(JsonElement v)
    {
        if (v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() > MaxSources)
        {
            return Rejection.Field("sources", $"sources must be an array of at most {MaxSources} objects.");
        }
        foreach (var source in v.EnumerateArray())
        {
            if (source.ValueKind != JsonValueKind.Object)
            {
                return Rejection.Field("sources", "Each source must be an object with title, url and snippet.");
            }
            foreach (var p in source.EnumerateObject())
            {
                var max = p.Name switch { "title" => 500, "url" => 2048, "snippet" => 4096, _ => -1 };
                if (max < 0)
                {
                    continue;
                }
                if (p.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null)
                    || (p.Value.ValueKind == JsonValueKind.String && p.Value.GetString()!.Length > max))
                {
                    return Rejection.Field("sources", $"A source's {p.Name} must be a string of at most {max} characters.");
                }
            }
        }
        return null;
    }

    private static Rejection? Attributes(JsonElement v)
    {
        if (v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (v.ValueKind != JsonValueKind.Object)
        {
            return Rejection.Field("attributes", "attributes must be an object of string values.");
        }
        var count = 0;
        foreach (var p in v.EnumerateObject())
        {
            if (++count > MaxAttributes)
            {
                return Rejection.Field("attributes", $"At most {MaxAttributes} attributes.");
            }
            if (p.Name.Length is 0 or > MaxAttributeLength || p.Value.ValueKind != JsonValueKind.String
                || p.Value.GetString()!.Length > MaxAttributeLength)
            {
                return Rejection.Field("attributes", $"Each attribute needs a name and a string value of at most {MaxAttributeLength} characters.");
            }
        }
        return null;
    }
}
