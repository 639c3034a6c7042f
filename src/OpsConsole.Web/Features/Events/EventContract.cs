using OpsConsole.Web.Features.Ingestion;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using OpsConsole.Web.Infrastructure;

namespace OpsConsole.Web.Features.Events;

/// <summary>An item that passed the field rules; its path is not resolved yet.</summary>
public sealed class EventFields
{
    public string EventId { get; set; } = "";
    public string Path { get; set; } = "";
    public DateTime OccurredAt { get; set; }
    public string? ModelVersion { get; set; }
    public string? PromptVersion { get; set; }
    public string? Unit { get; set; }
    /// <summary>The input as sent; see <see cref="Utf8Text"/> for why it may still be UTF-8 bytes.</summary>
    public Utf8Text Input { get; set; }
    public Utf8Text Output { get; set; }
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
    /// <summary>The id of the release that produced the output, as sent; checked against the path's releases at ingestion.</summary>
    public string? Release { get; set; }
    /// <summary>The primary event's id when this is a candidate's output run in shadow (same rules as an event id).</summary>
    public string? ShadowOf { get; set; }
}

/// <summary>Why an item was refused: a machine-readable code and a sentence for the person reading it.</summary>
public readonly record struct Rejection(string Reason, string Detail)
{
    public static Rejection Field(string name, string detail) => new("invalid_field:" + name, detail);
}

/// <summary>One item of a batch as read: its fields when valid, else why not, and its raw JSON for quarantine.</summary>
public sealed class ParsedItem
{
    public required int Index { get; init; }
    public required EventFields Fields { get; init; }
    public Rejection? Rejection { get; set; }
    /// <summary>The item's bytes in the body (start, length).</summary>
    public (int Start, int Length) Raw { get; set; }
    /// <summary>Best-effort path and event id of a refused item, so quarantine can be filtered by path.</summary>
    public string? PathForQuarantine { get; set; }
    public string? EventIdForQuarantine { get; set; }
    /// <summary>Fields dropped from an item that is still stored (a source's freshness field the contract could not use).</summary>
    public List<string>? Warnings { get; set; }
}

/// <summary>The body is not the envelope <c>{"events":[…]}</c>: the whole request is refused.</summary>
public class EnvelopeException(string message) : Exception(message);

/// <summary>The envelope holds more items than one batch may.</summary>
public sealed class BatchTooLargeException(string message) : EnvelopeException(message);

/// <summary>
/// The field rules of one inference event (DESIGN.md "Ingestion"), applied in one forward pass
/// over the UTF-8 body with <see cref="Utf8JsonReader"/>: no document tree, no string per
/// property name. Checked once, at the edge; everything after trusts <see cref="EventFields"/>.
/// Unknown properties are ignored so clients can send newer fields to an older console.
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
    public const int MaxDepth = 64;
    // Upper bounds no real AI call reaches; beyond them a value is a bug or an attack, and one such
    // value would dominate every sum, percentile and chart of its path (README "Events API").
    /// <summary>One day: no single inference call is still being waited for after it.</summary>
    public const double MaxLatencyMs = 86_400_000;
    /// <summary>Ten thousand US dollars for one call.</summary>
    public const double MaxCostUsd = 10_000;
    /// <summary>A hundred million tokens in or out of one call (today's largest context windows are about 10 M).</summary>
    public const long MaxTokens = 100_000_000;
    public static readonly TimeSpan MaxFutureSkew = TimeSpan.FromMinutes(5);
    private static readonly DateTime Earliest = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    /// <summary>The envelope reader only bounds items, so it tolerates deeper nesting than an item may have: a too-deep item is refused alone.</summary>
    private static readonly JsonReaderOptions EnvelopeReaderOptions = new() { MaxDepth = 4 * MaxDepth };
    private static readonly JsonReaderOptions ItemReaderOptions = new() { MaxDepth = MaxDepth };

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+\-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();

    private enum Field
    {
        EventId, Path, OccurredAt, ModelVersion, PromptVersion, Unit, TraceId, ErrorCode, ErrorMessage,
        Input, Output, Confidence, LatencyMs, CostUsd, InputTokens, OutputTokens, Outcome, Sources, Attributes, Release, ShadowOf,
    }

    private static readonly (byte[] Name, Field Field)[] Fields =
    [
        ("eventId"u8.ToArray(), Field.EventId), ("path"u8.ToArray(), Field.Path), ("occurredAt"u8.ToArray(), Field.OccurredAt),
        ("modelVersion"u8.ToArray(), Field.ModelVersion), ("promptVersion"u8.ToArray(), Field.PromptVersion), ("unit"u8.ToArray(), Field.Unit),
        ("traceId"u8.ToArray(), Field.TraceId), ("errorCode"u8.ToArray(), Field.ErrorCode), ("errorMessage"u8.ToArray(), Field.ErrorMessage),
        ("input"u8.ToArray(), Field.Input), ("output"u8.ToArray(), Field.Output), ("confidence"u8.ToArray(), Field.Confidence),
        ("latencyMs"u8.ToArray(), Field.LatencyMs), ("costUsd"u8.ToArray(), Field.CostUsd), ("inputTokens"u8.ToArray(), Field.InputTokens),
        ("outputTokens"u8.ToArray(), Field.OutputTokens), ("outcome"u8.ToArray(), Field.Outcome), ("sources"u8.ToArray(), Field.Sources),
        ("attributes"u8.ToArray(), Field.Attributes), ("release"u8.ToArray(), Field.Release),
        ("shadowOf"u8.ToArray(), Field.ShadowOf),
    ];

    /// <summary>
    /// Reads a whole batch. Throws <see cref="JsonException"/> when the body is not JSON and
    /// <see cref="EnvelopeException"/> when it is not <c>{"events":[…]}</c> or holds more than
    /// <paramref name="maxItems"/> items.
    /// </summary>
    /// <remarks>
    /// Each item is first bounded by the envelope reader's own <see cref="Utf8JsonReader.Skip"/>,
    /// which checks the item's structure and nothing else, and then read by a reader of its own over
    /// exactly those bytes. Whatever an item contains (text that is not Unicode, an event-shaped
    /// object inside a source, nesting too deep for the field rules), the envelope reader's place
    /// does not depend on how the item's fields were read, so every item gets one result and nothing
    /// inside an item can be taken for the next one.
    /// </remarks>
    public static List<ParsedItem> ReadBatch(ReadOnlySpan<byte> body, DateTime now, int maxItems)
    {
        var reader = new Utf8JsonReader(body, EnvelopeReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new EnvelopeException("Expected an object {\"events\": [ … ]}.");
        }
        List<ParsedItem>? items = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isEvents = reader.ValueTextEquals("events"u8);
            reader.Read();
            if (!isEvents)
            {
                reader.Skip();
                continue;
            }
            if (items is not null || reader.TokenType != JsonTokenType.StartArray)
            {
                throw new EnvelopeException("Expected an object {\"events\": [ … ]} with one \"events\" array.");
            }
            items = [];
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (items.Count == maxItems)
                {
                    throw new BatchTooLargeException($"A batch holds at most {maxItems:N0} events. Split it into smaller batches.");
                }
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                var end = (int)reader.BytesConsumed;
                items.Add(ReadItem(body[start..end], start, items.Count, now));
            }
        }
        // Anything after the envelope (a second document, garbage) makes the reader throw here.
        while (reader.Read())
        {
        }
        return items ?? throw new EnvelopeException("Expected an object {\"events\": [ … ]}.");
    }

    /// <summary>Reads one item on its own (a quarantined item being replayed).</summary>
    public static ParsedItem ReadOne(ReadOnlySpan<byte> json, DateTime now)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json))
        {
            return new ParsedItem { Index = 0, Fields = new EventFields(), Rejection = InvalidText, Raw = (0, json.Length) };
        }
        try
        {
            // The same bounding as in a batch: the item must be one whole JSON value.
            var bound = new Utf8JsonReader(json, EnvelopeReaderOptions);
            bound.Read();
            bound.Skip();
            var end = (int)bound.BytesConsumed;
            while (bound.Read())
            {
            }
            return ReadItem(json[..end], 0, 0, now);
        }
        catch (JsonException)
        {
            return new ParsedItem
            {
                Index = 0,
                Fields = new EventFields(),
                Raw = (0, json.Length),
                Rejection = new Rejection("not_an_object", "The item is not one JSON value."),
            };
        }
    }

    private static readonly Rejection InvalidText = new("invalid_text", "The item contains text that is not valid Unicode (for example a lone surrogate escape such as \\ud800).");

    /// <summary>
    /// Reads one item from exactly its own bytes <paramref name="json"/>, which sit at
    /// <paramref name="offset"/> in the body and are known to be one well-formed JSON value.
    /// </summary>
    private static ParsedItem ReadItem(ReadOnlySpan<byte> json, int offset, int index, DateTime now)
    {
        var item = new ParsedItem { Index = index, Fields = new EventFields(), Raw = (offset, json.Length) };
        var reader = new Utf8JsonReader(json, ItemReaderOptions);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            item.Rejection = new Rejection("not_an_object", "Each item of \"events\" must be a JSON object.");
            return item;
        }
        var f = item.Fields;
        var seen = 0;
        try
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = Lookup(ref reader);
                reader.Read();
                if (field is not { } known)
                {
                    reader.Skip();
                    continue;
                }
                var bit = 1 << (int)known;
                Rejection? problem;
                if ((seen & bit) != 0)
                {
                    problem = Rejection.Field(Name(known), $"\"{Name(known)}\" appears more than once in the item.");
                    reader.Skip();
                }
                else
                {
                    seen |= bit;
                    problem = ReadField(ref reader, json, known, f, now, item);
                }
                // The first problem decides; reading goes on so a later field cannot hide invalid text.
                item.Rejection ??= problem;
            }
        }
        catch (InvalidOperationException)
        {
            // Text that is valid JSON but not valid Unicode (a lone surrogate escape) lands here,
            // wherever it sits; the item's bounds are already known, so reading simply stops.
            item.Rejection ??= InvalidText;
            return item;
        }
        catch (JsonException)
        {
            // The item is well formed (the envelope reader bounded it), so only its depth can fail here.
            item.Rejection ??= new Rejection("too_deep", $"The item nests deeper than {MaxDepth} levels.");
            return item;
        }
        if (item.Rejection is null)
        {
            if ((seen & (1 << (int)Field.EventId)) == 0)
            {
                item.Rejection = Rejection.Field("eventId", "eventId is required (1–128 characters).");
            }
            else if ((seen & (1 << (int)Field.Path)) == 0)
            {
                item.Rejection = Rejection.Field("path", "path is required: the slug of the operating path.");
            }
            else if ((seen & (1 << (int)Field.OccurredAt)) == 0)
            {
                item.Rejection = Rejection.Field("occurredAt", "occurredAt is required (RFC 3339, e.g. 2026-11-23T10:15:00Z).");
            }
            else if (f.ShadowOf is { } primary && primary == f.EventId)
            {
                item.Rejection = Rejection.Field("shadowOf", "shadowOf names the primary event: another event than this one.");
            }
        }
        return item;
    }

    private static Field? Lookup(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped)
        {
            var name = reader.GetString()!;
            foreach (var (bytes, field) in Fields)
            {
                if (System.Text.Encoding.UTF8.GetString(bytes) == name)
                {
                    return field;
                }
            }
            return null;
        }
        var span = reader.ValueSpan;
        foreach (var (bytes, field) in Fields)
        {
            if (span.SequenceEqual(bytes))
            {
                return field;
            }
        }
        return null;
    }

    private static string Name(Field field) => System.Text.Encoding.UTF8.GetString(Fields[(int)field].Name);

    private static Rejection? ReadField(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, Field field, EventFields f, DateTime now, ParsedItem item)
    {
        switch (field)
        {
            case Field.EventId:
                {
                    var problem = RequiredString(ref reader, "eventId", MaxEventIdLength, out var value);
                    item.EventIdForQuarantine = Clip(value);
                    f.EventId = problem is null ? value! : "";
                    return problem;
                }
            case Field.Path:
                {
                    var problem = RequiredString(ref reader, "path", MaxShortText, out var value);
                    item.PathForQuarantine = Clip(value);
                    f.Path = problem is null ? value! : "";
                    return problem;
                }
            case Field.OccurredAt:
                {
                    var problem = Timestamp(ref reader, now, out var at);
                    f.OccurredAt = at;
                    return problem;
                }
            case Field.ModelVersion:
                return OptionalString(ref reader, "modelVersion", MaxShortText, v => f.ModelVersion = v);
            case Field.PromptVersion:
                return OptionalString(ref reader, "promptVersion", MaxShortText, v => f.PromptVersion = v);
            case Field.Unit:
                return OptionalString(ref reader, "unit", MaxAttributeLength, v => f.Unit = v);
            case Field.TraceId:
                return OptionalString(ref reader, "traceId", MaxShortText, v => f.TraceId = v);
            case Field.Release:
                return OptionalString(ref reader, "release", MaxShortText, v => f.Release = v);
            case Field.ShadowOf:
                {
                    if (reader.TokenType == JsonTokenType.Null)
                    {
                        return null;
                    }
                    // The primary's id, so the same rule as an event id: 1–128 characters, not only white space.
                    var problem = RequiredString(ref reader, "shadowOf", MaxEventIdLength, out var value);
                    f.ShadowOf = problem is null ? value : null;
                    return problem;
                }
            case Field.ErrorCode:
                return OptionalString(ref reader, "errorCode", MaxShortText, v => f.ErrorCode = v);
            case Field.ErrorMessage:
                return OptionalString(ref reader, "errorMessage", MaxErrorMessage, v => f.ErrorMessage = v);
            case Field.Input:
                return OptionalText(ref reader, "input", v => f.Input = v);
            case Field.Output:
                return OptionalText(ref reader, "output", v => f.Output = v);
            case Field.Confidence:
                {
                    var problem = OptionalNumber(ref reader, "confidence", 1, out var value);
                    f.Confidence = value;
                    return problem;
                }
            case Field.LatencyMs:
                {
                    var problem = OptionalNumber(ref reader, "latencyMs", MaxLatencyMs, out var value);
                    f.LatencyMs = value;
                    return problem;
                }
            case Field.CostUsd:
                {
                    var problem = OptionalNumber(ref reader, "costUsd", MaxCostUsd, out var value);
                    f.CostUsd = value;
                    return problem;
                }
            case Field.InputTokens:
                {
                    var problem = OptionalCount(ref reader, "inputTokens", out var value);
                    f.InputTokens = value;
                    return problem;
                }
            case Field.OutputTokens:
                {
                    var problem = OptionalCount(ref reader, "outputTokens", out var value);
                    f.OutputTokens = value;
                    return problem;
                }
            case Field.Outcome:
                return Outcome(ref reader, f);
            case Field.Sources:
                {
                    var start = (int)reader.TokenStartIndex;
                    List<DroppedValue>? dropped = null;
                    var problem = Sources(ref reader, now, ref dropped);
                    f.SourcesJson = problem is null && reader.TokenType != JsonTokenType.Null ? SourcesText(body, start, (int)reader.BytesConsumed, dropped) : null;
                    if (problem is null && dropped is not null)
                    {
                        (item.Warnings ??= []).AddRange(dropped.Select(d => d.Warning));
                    }
                    return problem;
                }
            case Field.Attributes:
                {
                    var start = (int)reader.TokenStartIndex;
                    var problem = Attributes(ref reader);
                    f.AttributesJson = problem is null && reader.TokenType != JsonTokenType.Null ? System.Text.Encoding.UTF8.GetString(body[start..(int)reader.BytesConsumed]) : null;
                    return problem;
                }
            default:
                reader.Skip();
                return null;
        }
    }

    private static string? Clip(string? s) => s is null ? null : s.Length > 200 ? s[..200] : s;

    private static Rejection? RequiredString(ref Utf8JsonReader reader, string name, int max, out string? value)
    {
        value = null;
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return Rejection.Field(name, $"{name} must be a string of 1–{max} characters.");
        }
        value = reader.GetString()!;
        return value.Length > max || string.IsNullOrWhiteSpace(value)
            ? Rejection.Field(name, $"{name} must be a string of 1–{max} characters.")
            : null;
    }

    private static Rejection? OptionalString(ref Utf8JsonReader reader, string name, int max, Action<string?> set)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return Rejection.Field(name, $"{name} must be a string (at most {max} characters) or null.");
        }
        var value = reader.GetString()!;
        if (value.Length > max)
        {
            return Rejection.Field(name, $"{name} must be at most {max} characters.");
        }
        set(value);
        return null;
    }

    private static Rejection? OptionalText(ref Utf8JsonReader reader, string name, Action<Utf8Text> set)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return Rejection.Field(name, $"{name} must be a string or null.");
        }
        byte[] utf8;
        if (!reader.ValueIsEscaped)
        {
            utf8 = reader.ValueSpan.ToArray();
        }
        else
        {
            // Unescaping never makes the text longer than its escaped form.
            var buffer = new byte[reader.ValueSpan.Length];
            utf8 = buffer.AsSpan(0, reader.CopyString(buffer)).ToArray();
            // An escape can spell a lone surrogate, which no UTF-8 text holds; the body itself was checked before reading.
            if (!System.Text.Unicode.Utf8.IsValid(utf8))
            {
                throw new InvalidOperationException("Invalid UTF-16 in an escaped string.");
            }
        }
        if (utf8.Length > MaxTextBytes)
        {
            return Rejection.Field(name, $"{name} must be at most 32 KB (UTF-8).");
        }
        set(Utf8Text.FromUtf8(utf8));
        return null;
    }

    private static Rejection? OptionalNumber(ref Utf8JsonReader reader, string name, double max, out double? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var d) || !double.IsFinite(d) || d < 0 || d > max)
        {
            reader.Skip();
            return Rejection.Field(name, $"{name} must be a number from 0 to {max.ToString("#,0.##", CultureInfo.InvariantCulture)}.");
        }
        value = d;
        return null;
    }

    private static Rejection? OptionalCount(ref Utf8JsonReader reader, string name, out long? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var n) || n is < 0 or > MaxTokens)
        {
            reader.Skip();
            return Rejection.Field(name, $"{name} must be a whole number from 0 to {MaxTokens.ToString("#,0", CultureInfo.InvariantCulture)}.");
        }
        value = n;
        return null;
    }

    private static Rejection? Outcome(ref Utf8JsonReader reader, EventFields f)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        string? known = null;
        if (reader.TokenType == JsonTokenType.String)
        {
            known = reader.ValueTextEquals("ok"u8) ? Outcomes.Ok
                : reader.ValueTextEquals("error"u8) ? Outcomes.Error
                : reader.ValueTextEquals("timeout"u8) ? Outcomes.Timeout
                : reader.ValueTextEquals("fallback"u8) ? Outcomes.Fallback
                : null;
        }
        else
        {
            reader.Skip();
        }
        if (known is null)
        {
            return Rejection.Field("outcome", "outcome must be one of ok, error, timeout, fallback.");
        }
        f.Outcome = known;
        return null;
    }

    private static Rejection? Timestamp(ref Utf8JsonReader reader, DateTime now, out DateTime value)
    {
        if (!TryTimestamp(ref reader, out value))
        {
            return Rejection.Field("occurredAt", "occurredAt must be an RFC 3339 timestamp with an offset, e.g. 2026-11-23T10:15:00Z.");
        }
        if (value > now + MaxFutureSkew)
        {
            return Rejection.Field("occurredAt", "occurredAt is more than 5 minutes in the future; check the sender's clock.");
        }
        return value < Earliest ? Rejection.Field("occurredAt", "occurredAt is before the year 2000.") : null;
    }

    /// <summary>Reads an RFC 3339 timestamp with an offset (skipping any other value); false when the value is not one.</summary>
    private static bool TryTimestamp(ref Utf8JsonReader reader, out DateTime value)
    {
        value = default;
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return false;
        }
        DateTimeOffset at;
        var span = reader.ValueSpan;
        // Fast path: plain ISO 8601 with 'T' and an explicit offset, parsed from the UTF-8 bytes.
        if (!reader.ValueIsEscaped && span.Length is >= 20 and <= 40 && span[10] is (byte)'T' or (byte)'t'
            && (span[^1] is (byte)'Z' or (byte)'z' || (span[^6] is (byte)'+' or (byte)'-' && span[^3] == (byte)':'))
            && reader.TryGetDateTimeOffset(out at))
        {
        }
        else
        {
            var s = CheckedString(ref reader);
            if (s.Length > 40 || !Rfc3339().IsMatch(s)
                || !DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out at))
            {
                return false;
            }
        }
        value = at.UtcDateTime;
        return true;
    }

    /// <summary>A source field the contract drops while keeping the event: its value's bytes in the item, and why.</summary>
    private readonly record struct DroppedValue(int Start, int End, string Warning);

    /// <summary>
    /// Checks the sources array. Title, url and snippet break the item when wrong (they are what a
    /// reviewer reads). The freshness fields (system, retrievedAt, sourceUpdatedAt) only describe the
    /// context, so a wrong one is dropped alone, with a warning, and the event is kept: losing an output
    /// because of a sender's clock would hide exactly the traffic freshness is meant to judge.
    /// </summary>
    private static Rejection? Sources(ref Utf8JsonReader reader, DateTime now, ref List<DroppedValue>? dropped)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        var tooMany = Rejection.Field("sources", $"sources must be an array of at most {MaxSources} objects.");
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return tooMany;
        }
        var count = 0;
        Rejection? problem = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (++count > MaxSources)
            {
                problem ??= tooMany;
            }
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                SkipChecked(ref reader);
                problem ??= Rejection.Field("sources", "Each source must be an object with title, url and snippet.");
                continue;
            }
            // Each known field at most once, so the source shown to a reviewer (and judged for freshness) is the one sent.
            var seen = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var (bit, max) = reader.ValueTextEquals("title"u8) ? (1, 500) : reader.ValueTextEquals("url"u8) ? (2, 2048) : reader.ValueTextEquals("snippet"u8) ? (4, 4096)
                    : reader.ValueTextEquals("system"u8) ? (8, MaxShortText) : reader.ValueTextEquals("retrievedAt"u8) ? (16, 0) : reader.ValueTextEquals("sourceUpdatedAt"u8) ? (32, 0) : (0, -1);
                if (reader.ValueIsEscaped)
                {
                    CheckedString(ref reader);
                }
                var name = bit switch { 1 => "title", 2 => "url", 4 => "snippet", 8 => "system", 16 => "retrievedAt", _ => "sourceUpdatedAt" };
                reader.Read();
                if (max < 0)
                {
                    // Other keys are kept as sent (stored with the source), so their text is checked too.
                    SkipChecked(ref reader);
                    continue;
                }
                if ((seen & bit) != 0)
                {
                    problem ??= Rejection.Field("sources", $"A source's {name} appears more than once.");
                }
                seen |= bit;
                if (reader.TokenType == JsonTokenType.Null)
                {
                    continue;
                }
                var start = (int)reader.TokenStartIndex;
                string? warning = null;
                if (bit is 16 or 32)
                {
                    if (!TryTimestamp(ref reader, out var at))
                    {
                        warning = $"sources[{count - 1}].{name} dropped: not an RFC 3339 timestamp with an offset (e.g. 2026-11-23T10:15:00Z).";
                    }
                    else if (at > now + MaxFutureSkew)
                    {
                        warning = $"sources[{count - 1}].{name} dropped: more than 5 minutes in the future; check the sender's clock.";
                    }
                    else if (at < Earliest)
                    {
                        warning = $"sources[{count - 1}].{name} dropped: before the year 2000.";
                    }
                }
                else if (bit == 8)
                {
                    if (reader.TokenType != JsonTokenType.String || !FitsChecked(ref reader, max) || string.IsNullOrWhiteSpace(CheckedString(ref reader)))
                    {
                        SkipChecked(ref reader);
                        warning = $"sources[{count - 1}].system dropped: it must be the context source's name in the path's registry (1–{max} characters).";
                    }
                }
                else if (reader.TokenType != JsonTokenType.String || !FitsChecked(ref reader, max))
                {
                    SkipChecked(ref reader);
                    problem ??= Rejection.Field("sources", $"A source's {name} must be a string of at most {max} characters.");
                }
                if (warning is not null)
                {
                    (dropped ??= []).Add(new DroppedValue(start, (int)reader.BytesConsumed, warning));
                }
            }
        }
        return problem;
    }

    /// <summary>The sources as stored: as sent, except that each dropped value is replaced by null (read as absent).</summary>
    private static string SourcesText(ReadOnlySpan<byte> json, int start, int end, List<DroppedValue>? dropped)
    {
        if (dropped is null)
        {
            return Encoding.UTF8.GetString(json[start..end]);
        }
        var text = new StringBuilder();
        var at = start;
        foreach (var d in dropped)
        {
            text.Append(Encoding.UTF8.GetString(json[at..d.Start])).Append("null");
            at = d.End;
        }
        return text.Append(Encoding.UTF8.GetString(json[at..end])).ToString();
    }

    private static Rejection? Attributes(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            SkipChecked(ref reader);
            return Rejection.Field("attributes", "attributes must be an object of string values.");
        }
        Rejection? problem = null;
        var invalid = Rejection.Field("attributes", $"Each attribute needs a name and a string value of at most {MaxAttributeLength} characters.");
        List<string>? names = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = CheckedString(ref reader);
            names ??= [];
            if (names.Count == MaxAttributes)
            {
                problem ??= Rejection.Field("attributes", $"At most {MaxAttributes} attributes.");
            }
            else if (names.Contains(name))
            {
                // Which value would count (for the breakdown, for redaction) is ambiguous: refuse rather than guess.
                problem ??= Rejection.Field("attributes", $"The attribute '{Clip(name)}' appears more than once.");
            }
            else
            {
                names.Add(name);
            }
            reader.Read();
            if (name.Length is 0 or > MaxAttributeLength || reader.TokenType != JsonTokenType.String
                || !FitsChecked(ref reader, MaxAttributeLength))
            {
                SkipChecked(ref reader);
                problem ??= invalid;
            }
        }
        return problem;
    }

    /// <summary>The string or property name the reader stands on; throws <see cref="InvalidOperationException"/> when it is not valid Unicode.</summary>
    private static string CheckedString(ref Utf8JsonReader reader) => reader.GetString()!;

    /// <summary>Whether the string the reader stands on is valid text of at most <paramref name="max"/> UTF-16 characters.</summary>
    private static bool FitsChecked(ref Utf8JsonReader reader, int max) =>
        // Unescaped text was checked as UTF-8 with the whole body, and never has more UTF-16 characters than bytes.
        (!reader.ValueIsEscaped && reader.ValueSpan.Length <= max) || CheckedString(ref reader).Length <= max;

    /// <summary>
    /// Skips the value the reader stands on, checking the text of every name and string inside it:
    /// values stored as sent (sources, attributes) must never hold text a page cannot read.
    /// </summary>
    private static void SkipChecked(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
        {
            CheckedString(ref reader);
            return;
        }
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return;
        }
        var depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
            {
                CheckedString(ref reader);
            }
        }
    }
}
