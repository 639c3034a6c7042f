using OpsConsole.Web.Features.Ingestion;
using System.Text.Json;

namespace OpsConsole.Web.Features.Events;

/// <param name="System">The context source's name in the path's registry, when sent.</param>
/// <param name="RetrievedAt">When the AI service read the source (UTC).</param>
/// <param name="SourceUpdatedAt">When the source was last updated in its system of record (UTC): the age is measured from here.</param>
public sealed record EventSource(string? Title, string? Url, string? Snippet, string? System = null, DateTime? RetrievedAt = null, DateTime? SourceUpdatedAt = null);

/// <summary>
/// Reads the sources and attributes an event was stored with (JSON as sent, validated at ingestion).
/// Pages call it for whatever the database holds, including rows written before a rule existed or
/// edited by hand, so nothing here may throw: text that is not Unicode is shown as its JSON escape,
/// and a value that is not the expected JSON is shown as it is stored.
/// </summary>
public static class EventJson
{
    public static IReadOnlyList<EventSource> Sources(string? json)
    {
        if (json is null)
        {
            return [];
        }
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                return [new EventSource(json, null, null)];
            }
            return doc.RootElement.EnumerateArray()
                .Select(s => s.ValueKind == JsonValueKind.Object
                    ? new EventSource(Str(s, "title"), Str(s, "url"), Str(s, "snippet"), Str(s, "system"), Time(s, "retrievedAt"), Time(s, "sourceUpdatedAt"))
                    : new EventSource(s.GetRawText(), null, null))
                .ToList();
        }
        catch (JsonException)
        {
            return [new EventSource(json, null, null)];
        }
    }

    public static IReadOnlyList<(string Name, string Value)> Attributes(string? json)
    {
        if (json is null)
        {
            return [];
        }
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return [("(unreadable)", json)];
            }
            return doc.RootElement.EnumerateObject()
                .Select(p => (Text(p), p.Value.ValueKind == JsonValueKind.String ? Text(p.Value) : p.Value.GetRawText()))
                .OrderBy(p => p.Item1, StringComparer.Ordinal).ToList();
        }
        catch (JsonException)
        {
            return [("(unreadable)", json)];
        }
    }

    /// <summary>A string value, or its JSON escape when it is not valid Unicode (a lone surrogate).</summary>
    private static string Text(JsonElement value)
    {
        try
        {
            return value.GetString() ?? "";
        }
        catch (InvalidOperationException)
        {
            return value.GetRawText();
        }
    }

    private static string Text(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            return "(name is not valid Unicode)";
        }
    }

    /// <summary>One attribute's value from the stored attributes object; null when absent or no name is given.</summary>
    public static string? Attribute(string? json, string? name)
    {
        if (json is null || string.IsNullOrEmpty(name))
        {
            return null;
        }
        // Called for every ingested event of a path with a breakdown attribute: a pooled buffer, not a new array each time.
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(System.Text.Encoding.UTF8.GetMaxByteCount(json.Length));
        try
        {
            return Find(buffer.AsSpan(0, System.Text.Encoding.UTF8.GetBytes(json, buffer)), name);
        }
        catch (JsonException)
        {
            return null;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string? Find(ReadOnlySpan<byte> utf8, string name)
    {
        var reader = new Utf8JsonReader(utf8);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(name);
            reader.Read();
            if (match && reader.TokenType == JsonTokenType.String)
            {
                // Text that is not Unicode cannot be a segment (ingestion refuses it; an old or edited row may hold it).
                try
                {
                    return reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    return null;
                }
            }
            reader.Skip();
        }
        return null;
    }

    /// <summary>A stored timestamp as UTC; null when absent or not one (a row written before the rule, or edited by hand).</summary>
    private static DateTime? Time(JsonElement e, string name) =>
        Str(e, name) is { } s && DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var at)
            ? at.UtcDateTime : null;

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? Text(v) : null;
}
