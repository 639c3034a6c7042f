using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Features.Releases;

/// <summary>What CI or the path page posts to create a release.</summary>
public sealed class ReleaseInput
{
    public string? Model { get; set; }
    public string? PromptVersion { get; set; }
    public string? PromptTemplateHash { get; set; }
    /// <summary>A JSON object (model parameters: temperature, max tokens…), or absent.</summary>
    public JsonElement? Parameters { get; set; }
    /// <summary>Retrieval/context configuration: a JSON object, or absent.</summary>
    public JsonElement? Context { get; set; }
    public string? Notes { get; set; }
}

/// <summary>
/// A release's content checked and in canonical form, and its id: the SHA-256 (lowercase hex) of
/// <c>{"context":…,"model":…,"notes":…,"parameters":…,"path":…,"promptTemplateHash":…,"promptVersion":…}</c>
/// written by <see cref="Jcs"/> (RFC 8785). The path is part of it, so two paths never share a release.
/// </summary>
public sealed record ReleaseContent(string Id, string Model, string PromptVersion, string? PromptTemplateHash, string ParametersJson, string ContextJson, string Notes)
{
    public const int MaxTextLength = 200;
    public const int MaxNotesLength = 4000;
    /// <summary>Largest canonical parameters or context object, in UTF-8 bytes.</summary>
    public const int MaxObjectBytes = 64 * 1024;

    /// <summary>The content, or the fields that are wrong (camelCase names, as posted) with what is wrong with each.</summary>
    public static (ReleaseContent? Content, Dictionary<string, string> Errors) From(string pathSlug, ReleaseInput input)
    {
        var errors = new Dictionary<string, string>();
        var model = Text(input.Model, "model", required: true, MaxTextLength, errors);
        var prompt = Text(input.PromptVersion, "promptVersion", required: true, MaxTextLength, errors);
        var template = Text(input.PromptTemplateHash, "promptTemplateHash", required: false, MaxTextLength, errors);
        var notes = Text(input.Notes, "notes", required: false, MaxNotesLength, errors, multiline: true) ?? "";
        var parameters = Object(input.Parameters, "parameters", errors);
        var context = Object(input.Context, "context", errors);
        if (errors.Count > 0)
        {
            return (null, errors);
        }
        var canonical = new StringBuilder("{\"context\":").Append(context)
            .Append(",\"model\":").Append(Quoted(model!))
            .Append(",\"notes\":").Append(Quoted(notes))
            .Append(",\"parameters\":").Append(parameters)
            .Append(",\"path\":").Append(Quoted(pathSlug))
            .Append(",\"promptTemplateHash\":").Append(template is null ? "null" : Quoted(template))
            .Append(",\"promptVersion\":").Append(Quoted(prompt!))
            .Append('}').ToString();
        var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
        return (new ReleaseContent(id, model!, prompt!, template, parameters!, context!, notes), errors);
    }

    private static string Quoted(string s) => Jcs.Quote(s);

    private static string? Text(string? value, string field, bool required, int max, Dictionary<string, string> errors, bool multiline = false)
    {
        var v = value?.Trim();
        if (string.IsNullOrEmpty(v))
        {
            if (required)
            {
                errors[field] = $"{field} is required.";
            }
            return null;
        }
        if (v.Length > max)
        {
            errors[field] = $"{field} is at most {max:N0} characters (got {v.Length:N0}).";
        }
        else if (v.Any(c => char.IsControl(c) && !(multiline && c is '\n' or '\r' or '\t')))
        {
            errors[field] = $"{field} contains control characters.";
        }
        else if (v.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0 && !IsValidUtf16(v))
        {
            errors[field] = $"{field} is not valid UTF-16 text (a lone surrogate).";
        }
        return v;
    }

    private static bool IsValidUtf16(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return false;
            }
        }
        return true;
    }

    private static string? Object(JsonElement? value, string field, Dictionary<string, string> errors)
    {
        if (value is not { } v || v.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return "{}";
        }
        if (v.ValueKind != JsonValueKind.Object)
        {
            errors[field] = $"{field} must be a JSON object (got {v.ValueKind.ToString().ToLowerInvariant()}).";
            return null;
        }
        try
        {
            var canonical = Jcs.Write(v);
            if (Encoding.UTF8.GetByteCount(canonical) > MaxObjectBytes)
            {
                errors[field] = $"{field} is larger than {MaxObjectBytes / 1024} KB.";
                return null;
            }
            return canonical;
        }
        catch (FormatException ex)
        {
            errors[field] = $"{field}: {ex.Message.Replace("$", field, StringComparison.Ordinal)}";
            return null;
        }
    }
}
