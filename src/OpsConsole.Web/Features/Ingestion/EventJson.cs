using System.Text.Json;

namespace OpsConsole.Web.Features.Ingestion;

public sealed record EventSource(string? Title, string? Url, string? Snippet);

/// <summary>Reads the sources and attributes an event was stored with (validated JSON, as sent).</summary>
public static class EventJson
{
    public static IReadOnlyList<EventSource> Sources(string? json)
    {
        if (json is null)
        {
            return [];
        }
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(s => new EventSource(Str(s, "title"), Str(s, "url"), Str(s, "snippet"))).ToList();
    }

    public static IReadOnlyList<(string Name, string Value)> Attributes(string? json)
    {
        if (json is null)
        {
            return [];
        }
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateObject().Select(p => (p.Name, p.Value.GetString() ?? "")).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
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
            var reader = new Utf8JsonReader(buffer.AsSpan(0, System.Text.Encoding.UTF8.GetBytes(json, buffer)));
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var match = reader.ValueTextEquals(name);
                reader.Read();
                if (match && reader.TokenType == JsonTokenType.String)
                {
                    return reader.GetString();
                }
                reader.Skip();
            }
            return null;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
