using System.Text.Json;
using OpsConsole.Web.Components.Shared;

namespace OpsConsole.Web.Features.Audit;

public enum DiffKind
{
    Added,
    Removed,
    Changed,
}

public sealed record DiffLine(string Path, DiffKind Kind, string? Before, string? After);

/// <summary>Compares two JSON snapshots field by field (dotted paths), for the audit page.</summary>
public static class JsonDiff
{
    public static IReadOnlyList<DiffLine> Compare(string? beforeJson, string? afterJson)
    {
        var before = Flatten(beforeJson);
        var after = Flatten(afterJson);
        var lines = new List<DiffLine>();
        foreach (var key in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            var hasBefore = before.TryGetValue(key, out var b);
            var hasAfter = after.TryGetValue(key, out var a);
            if (hasBefore && !hasAfter)
            {
                lines.Add(new(key, DiffKind.Removed, b, null));
            }
            else if (!hasBefore && hasAfter)
            {
                lines.Add(new(key, DiffKind.Added, null, a));
            }
            else if (b != a)
            {
                lines.Add(new(key, DiffKind.Changed, b, a));
            }
        }
        return lines;
    }

    private static Dictionary<string, string> Flatten(string? json)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(json))
        {
            return result;
        }
        using var doc = JsonDocument.Parse(json);
        Walk(doc.RootElement, "", result);
        return result;
    }

    private static void Walk(JsonElement e, string prefix, Dictionary<string, string> into)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    Walk(p.Value, prefix.Length == 0 ? p.Name : $"{prefix}.{p.Name}", into);
                }
                break;
            case JsonValueKind.Array when e.EnumerateArray().All(i => i.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)):
                // Lists of plain values read best as one line: [a, b, c].
                into[prefix] = "[" + string.Join(", ", e.EnumerateArray().Select(Scalar)) + "]";
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray())
                {
                    Walk(item, $"{prefix}[{i++}]", into);
                }
                break;
            default:
                into[prefix] = Scalar(e);
                break;
        }
    }

    private static string Scalar(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.Null => "null",
        _ => e.GetRawText(),
    };
}
