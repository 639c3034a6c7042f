using System.Text;
using System.Text.Json;

namespace OpsConsole.Web.Features.Evaluation;

/// <summary>A case as a dataset file gives it.</summary>
public sealed record DatasetCase(string CaseId, string Input, string? Expected, bool Critical, IReadOnlyList<string> Tags);

/// <summary>One refused line of a dataset file: its number (from 1) and why.</summary>
public sealed record DatasetLineError(int Line, string Error);

/// <summary>
/// Reads and writes datasets as JSON Lines: one object per line,
/// <c>{"caseId", "input", "expected"?, "critical"?, "tags"?}</c>. Each line is read on its own, so a
/// broken line is reported by its number and cannot change how another is read; a version is made
/// only from a file without errors (a golden set with holes would be a different set). Blank lines
/// are skipped.
/// </summary>
public static class DatasetJsonl
{
    public const int MaxCases = 10_000;
    public const int MaxCaseIdLength = 200;
    public const int MaxNameLength = 100;
    public const int MaxTextLength = 64 * 1024;
    public const int MaxTags = 20;
    public const int MaxTagLength = 50;
    public const int MaxErrorsListed = 100;

    private static readonly string[] Known = ["caseId", "input", "expected", "critical", "tags"];

    /// <summary>Dataset names: 1–100 letters, digits, '-', '_', '.'.</summary>
    public static string? CheckName(string? name) =>
        string.IsNullOrEmpty(name) || name.Length > MaxNameLength || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? $"A dataset name is 1–{MaxNameLength} letters, digits, '-', '_' or '.'."
            : null;

    /// <summary>The cases of <paramref name="text"/>, or the errors of its lines (at most <see cref="MaxErrorsListed"/>).</summary>
    public static (IReadOnlyList<DatasetCase> Cases, IReadOnlyList<DatasetLineError> Errors) Parse(string text)
    {
        var cases = new List<DatasetCase>();
        var errors = new List<DatasetLineError>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            var (item, error) = ParseLine(line);
            if (item is not null && seen.TryGetValue(item.CaseId, out var first))
            {
                error = $"caseId '{item.CaseId}' is already on line {first}.";
                item = null;
            }
            if (item is null)
            {
                if (errors.Count < MaxErrorsListed)
                {
                    errors.Add(new DatasetLineError(number, error!));
                }
                continue;
            }
            seen[item.CaseId] = number;
            cases.Add(item);
        }
        if (errors.Count == 0 && cases.Count == 0)
        {
            errors.Add(new DatasetLineError(0, "The file has no cases."));
        }
        if (cases.Count > MaxCases)
        {
            errors.Add(new DatasetLineError(0, $"A version holds at most {MaxCases:N0} cases; this file has {cases.Count:N0}."));
        }
        return (cases, errors);
    }

    private static (DatasetCase? Case, string? Error) ParseLine(string line)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line, new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            return (null, "not a JSON object: " + ex.Message);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, "a case is a JSON object.");
            }
            foreach (var property in root.EnumerateObject())
            {
                if (!Known.Contains(property.Name))
                {
                    return (null, $"unknown member '{Printable(property.Name)}' (known: {string.Join(", ", Known)}).");
                }
            }
            var (caseId, idError) = Text(root, "caseId", required: true, MaxCaseIdLength);
            if (idError is not null)
            {
                return (null, idError);
            }
            var (input, inputError) = Text(root, "input", required: true, MaxTextLength);
            if (inputError is not null)
            {
                return (null, inputError);
            }
            var (expected, expectedError) = Text(root, "expected", required: false, MaxTextLength);
            if (expectedError is not null)
            {
                return (null, expectedError);
            }
            var critical = false;
            if (root.TryGetProperty("critical", out var c) && c.ValueKind != JsonValueKind.Null)
            {
                if (c.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    return (null, "critical is true or false.");
                }
                critical = c.GetBoolean();
            }
            var tags = new List<string>();
            if (root.TryGetProperty("tags", out var t) && t.ValueKind != JsonValueKind.Null)
            {
                if (t.ValueKind != JsonValueKind.Array || t.GetArrayLength() > MaxTags)
                {
                    return (null, $"tags is an array of at most {MaxTags} strings.");
                }
                foreach (var tag in t.EnumerateArray())
                {
                    if (tag.ValueKind != JsonValueKind.String || !TryGetText(tag, out var value) || value.Length is 0 or > MaxTagLength || value.Any(char.IsControl))
                    {
                        return (null, $"a tag is a string of 1–{MaxTagLength} characters without control characters.");
                    }
                    if (!tags.Contains(value, StringComparer.Ordinal))
                    {
                        tags.Add(value);
                    }
                }
            }
            return (new DatasetCase(caseId!, input!, expected, critical, tags), null);
        }
    }

    private static (string? Value, string? Error) Text(JsonElement root, string name, bool required, int max)
    {
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return (null, required ? $"{name} is required." : null);
        }
        if (element.ValueKind != JsonValueKind.String || !TryGetText(element, out var value))
        {
            return (null, $"{name} is a string of valid text.");
        }
        if (required && value.Length == 0)
        {
            return (null, $"{name} is empty.");
        }
        if (value.Length > max)
        {
            return (null, $"{name} is at most {max:N0} characters.");
        }
        if (name == "caseId" && value.Any(char.IsControl))
        {
            return (null, "caseId has control characters.");
        }
        return (value, null);
    }

    /// <summary>The string's value, refusing an escaped lone surrogate (not valid text).</summary>
    internal static bool TryGetText(JsonElement element, out string value)
    {
        try
        {
            value = element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            value = "";
            return false;
        }
        return !HasLoneSurrogate(value);
    }

    private static bool HasLoneSurrogate(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return true;
            }
        }
        return false;
    }

    private static string Printable(string s) => s.Length > 40 ? s[..40] + "…" : s;

    /// <summary>
    /// Why <paramref name="item"/> could not be a line of a dataset file, or null: the case is written
    /// and read back, so a form and an upload follow exactly the same rules.
    /// </summary>
    public static string? Check(DatasetCase item)
    {
        // The writer would quietly replace a lone surrogate; refuse it as an upload's parser does.
        if (new[] { item.CaseId, item.Input, item.Expected ?? "" }.Concat(item.Tags).Any(HasLoneSurrogate))
        {
            return "The case holds text that is not valid (a lone surrogate).";
        }
        string line;
        try
        {
            line = Write([item]);
        }
        catch (ArgumentException)
        {
            return "The case holds text that is not valid (a lone surrogate).";
        }
        var (_, errors) = Parse(line);
        return errors.Count == 0 ? null : errors[0].Error;
    }

    private static readonly JsonWriterOptions Compact = new() { Indented = false };

    /// <summary>The cases as JSON Lines, in the order given (what <see cref="Parse"/> reads back to the same cases).</summary>
    public static string Write(IEnumerable<DatasetCase> cases)
    {
        var text = new StringBuilder();
        using var buffer = new MemoryStream();
        foreach (var c in cases)
        {
            buffer.SetLength(0);
            using (var writer = new Utf8JsonWriter(buffer, Compact))
            {
                writer.WriteStartObject();
                writer.WriteString("caseId", c.CaseId);
                writer.WriteString("input", c.Input);
                if (c.Expected is not null)
                {
                    writer.WriteString("expected", c.Expected);
                }
                writer.WriteBoolean("critical", c.Critical);
                writer.WriteStartArray("tags");
                foreach (var tag in c.Tags)
                {
                    writer.WriteStringValue(tag);
                }
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            text.Append(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)).Append('\n');
        }
        return text.ToString();
    }
}
