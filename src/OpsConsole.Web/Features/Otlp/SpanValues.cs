using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Collections;
using OpsConsole.Web.Features.Otlp.Proto;

namespace OpsConsole.Web.Features.Otlp;

using OpsConsole.Web.Features.Traces;

/// <summary>What converting one span's values found: anything cut to fit, or text that is not Unicode.</summary>
public sealed class SpanCut
{
    public bool Truncated { get; set; }
    /// <summary>Where the span holds text that is not valid UTF-16 (a lone surrogate), else null: such a span is refused.</summary>
    public string? InvalidText { get; set; }
}

/// <summary>
/// OTLP values (<see cref="AnyValue"/>) as the JSON and text OpsConsole stores, within
/// <see cref="SpanLimits"/>. Never throws on what a client sent: text that is not Unicode is
/// reported in <see cref="SpanCut.InvalidText"/>, U+0000 becomes U+FFFD (PostgreSQL text cannot hold it).
/// </summary>
public static class SpanValues
{
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        // Deeper values are cut by depth below long before this.
        MaxDepth = 64,
        SkipValidation = false,
    };

    /// <summary>The text to store: U+0000 replaced; <paramref name="cut"/> told when it is not valid UTF-16 or was cut.</summary>
    public static string Text(string? value, int max, SpanCut cut, string where)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        if (!IsValidUtf16(value))
        {
            cut.InvalidText ??= where;
            return "";
        }
        if (value.Contains('\0'))
        {
            value = value.Replace('\0', '\uFFFD');
        }
        if (value.Length > max)
        {
            cut.Truncated = true;
            var keep = max;
            // Never split a surrogate pair.
            if (char.IsHighSurrogate(value[keep - 1]))
            {
                keep--;
            }
            return value[..keep] + SpanLimits.TruncationMarker(value.Length - keep);
        }
        return value;
    }

    public static bool IsValidUtf16(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]))
                {
                    return false;
                }
                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A name (span, service, attribute key) cut to <see cref="SpanLimits.MaxNameLength"/> without a marker.</summary>
    public static string Name(string? value, SpanCut cut, string where)
    {
        var text = Text(value, int.MaxValue, cut, where);
        if (text.Length > SpanLimits.MaxNameLength)
        {
            cut.Truncated = true;
            text = text[..(char.IsHighSurrogate(text[SpanLimits.MaxNameLength - 1]) ? SpanLimits.MaxNameLength - 1 : SpanLimits.MaxNameLength)];
        }
        return text;
    }

    /// <summary>Attributes as a JSON object (first of a repeated key wins), at most <see cref="SpanLimits.MaxAttributesPerSpan"/>.</summary>
    public static string AttributesJson(RepeatedField<KeyValue> attributes, uint droppedBySender, SpanCut cut, string where)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteAttributes(w, attributes, droppedBySender, cut, where);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static void WriteAttributes(Utf8JsonWriter w, RepeatedField<KeyValue> attributes, uint droppedBySender, SpanCut cut, string where)
    {
        w.WriteStartObject();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var dropped = (long)droppedBySender;
        foreach (var kv in attributes)
        {
            var key = Name(kv.Key, cut, where + " attribute name");
            if (key.Length == 0 || !seen.Add(key))
            {
                continue;
            }
            if (seen.Count > SpanLimits.MaxAttributesPerSpan)
            {
                dropped++;
                continue;
            }
            w.WritePropertyName(key);
            WriteValue(w, kv.Value, 0, SpanLimits.MaxValueLength, cut, where + " attribute '" + key + "'");
        }
        if (dropped > 0)
        {
            cut.Truncated = true;
            w.WriteNumber("opsconsole.dropped_attributes", dropped);
        }
        w.WriteEndObject();
    }

    /// <summary>Writes one value; strings longer than <paramref name="maxLength"/> are cut with the marker, nesting past <see cref="SpanLimits.MaxValueDepth"/> is replaced.</summary>
    public static void WriteValue(Utf8JsonWriter w, AnyValue? value, int depth, int maxLength, SpanCut cut, string where)
    {
        if (value is null)
        {
            w.WriteNullValue();
            return;
        }
        if (depth > SpanLimits.MaxValueDepth && value.ValueCase is AnyValue.ValueOneofCase.ArrayValue or AnyValue.ValueOneofCase.KvlistValue)
        {
            cut.Truncated = true;
            w.WriteStringValue($"…[truncated: nested deeper than {SpanLimits.MaxValueDepth} levels]");
            return;
        }
        switch (value.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue:
                w.WriteStringValue(Text(value.StringValue, maxLength, cut, where));
                break;
            case AnyValue.ValueOneofCase.BoolValue:
                w.WriteBooleanValue(value.BoolValue);
                break;
            case AnyValue.ValueOneofCase.IntValue:
                w.WriteNumberValue(value.IntValue);
                break;
            case AnyValue.ValueOneofCase.DoubleValue:
                var d = value.DoubleValue;
                if (double.IsFinite(d))
                {
                    w.WriteNumberValue(d);
                }
                else
                {
                    w.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
                }
                break;
            case AnyValue.ValueOneofCase.BytesValue:
                var bytes = value.BytesValue;
                var maxBytes = maxLength / 4 * 3;
                if (bytes.Length > maxBytes)
                {
                    cut.Truncated = true;
                    w.WriteStringValue(Convert.ToBase64String(bytes.Span[..maxBytes]) + SpanLimits.TruncationMarker(bytes.Length - maxBytes).Replace("characters", "bytes"));
                }
                else
                {
                    w.WriteStringValue(Convert.ToBase64String(bytes.Span));
                }
                break;
            case AnyValue.ValueOneofCase.ArrayValue:
                w.WriteStartArray();
                var n = 0;
                foreach (var item in value.ArrayValue.Values)
                {
                    if (++n > SpanLimits.MaxArrayItems)
                    {
                        cut.Truncated = true;
                        w.WriteStringValue($"…[truncated: {value.ArrayValue.Values.Count - SpanLimits.MaxArrayItems:N0} more items]");
                        break;
                    }
                    WriteValue(w, item, depth + 1, maxLength, cut, where);
                }
                w.WriteEndArray();
                break;
            case AnyValue.ValueOneofCase.KvlistValue:
                w.WriteStartObject();
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var kv in value.KvlistValue.Values)
                {
                    var key = Name(kv.Key, cut, where);
                    if (!names.Add(key))
                    {
                        continue;
                    }
                    if (names.Count > SpanLimits.MaxArrayItems)
                    {
                        cut.Truncated = true;
                        break;
                    }
                    w.WritePropertyName(key);
                    WriteValue(w, kv.Value, depth + 1, maxLength, cut, where);
                }
                w.WriteEndObject();
                break;
            default:
                // Not set, or a string-table index (profiles only): nothing to show.
                w.WriteNullValue();
                break;
        }
    }

    /// <summary>The first value of each key.</summary>
    public static Dictionary<string, AnyValue> Lookup(RepeatedField<KeyValue> attributes)
    {
        var map = new Dictionary<string, AnyValue>(attributes.Count, StringComparer.Ordinal);
        foreach (var kv in attributes)
        {
            if (kv.Value is not null)
            {
                map.TryAdd(kv.Key, kv.Value);
            }
        }
        return map;
    }

    /// <summary>A value read as text: strings as they are, numbers and booleans in invariant form; arrays and maps are not text.</summary>
    public static string? AsText(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString("R", CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        _ => null,
    };

    /// <summary>
    /// A number as sent (double, integer, or a string that reads as a number); null when absent.
    /// <paramref name="unreadable"/> is set when a value is there but is not a number, so the event's
    /// own rules can refuse it by name instead of it being silently dropped.
    /// </summary>
    public static double? AsNumber(AnyValue? value, out bool unreadable)
    {
        unreadable = false;
        switch (value?.ValueCase)
        {
            case null or AnyValue.ValueOneofCase.None:
                return null;
            case AnyValue.ValueOneofCase.DoubleValue:
                return value.DoubleValue;
            case AnyValue.ValueOneofCase.IntValue:
                return value.IntValue;
            case AnyValue.ValueOneofCase.StringValue when double.TryParse(value.StringValue, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed):
                return parsed;
            default:
                unreadable = true;
                return null;
        }
    }

    /// <summary>A value as JSON text without the attribute length limit (message contents are read from it), or null when unreadable.</summary>
    public static JsonDocument? AsJson(AnyValue? value, int maxLength)
    {
        if (value is null)
        {
            return null;
        }
        try
        {
            if (value.ValueCase == AnyValue.ValueOneofCase.StringValue)
            {
                return JsonDocument.Parse(value.StringValue, new JsonDocumentOptions { MaxDepth = 32 });
            }
            var buffer = new ArrayBufferWriter<byte>(256);
            var cut = new SpanCut();
            using (var w = new Utf8JsonWriter(buffer, WriterOptions))
            {
                WriteValue(w, value, 0, maxLength, cut, "value");
            }
            return cut.InvalidText is null ? JsonDocument.Parse(buffer.WrittenMemory) : null;
        }
        catch (JsonException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Lower-case hex of an id, or null when it is not exactly <paramref name="length"/> bytes or all zero (invalid per OTLP).</summary>
    public static string? Hex(ByteString id, int length)
    {
        if (id.Length != length)
        {
            return null;
        }
        var span = id.Span;
        return span.IndexOfAnyExcept((byte)0) < 0 ? null : Convert.ToHexStringLower(span);
    }
}
