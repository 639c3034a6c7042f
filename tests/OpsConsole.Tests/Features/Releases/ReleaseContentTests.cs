using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OpsConsole.Web.Features.Releases;

namespace OpsConsole.Tests.Features.Releases;

public sealed class ReleaseContentTests
{
    private static JsonElement Json(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    private static ReleaseInput Input(string parameters = """{"temperature": 0.2, "maxTokens": 800}""") => new()
    {
        Model = "gpt-4o-2024-08-06",
        PromptVersion = "reply-v7",
        PromptTemplateHash = "sha256:ab12",
        Parameters = Json(parameters),
        Context = Json("""{"index": "kb-2026-11", "topK": 5}"""),
        Notes = "Shorter replies.",
    };

    [Fact]
    public void Id_IsTheSha256OfTheCanonicalJson_HandChecked()
    {
        var (content, errors) = ReleaseContent.From("support-reply-draft", Input());
        Assert.Empty(errors);
        const string canonical = """{"context":{"index":"kb-2026-11","topK":5},"model":"gpt-4o-2024-08-06","notes":"Shorter replies.","parameters":{"maxTokens":800,"temperature":0.2},"path":"support-reply-draft","promptTemplateHash":"sha256:ab12","promptVersion":"reply-v7"}""";
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))), content!.Id);
        Assert.Equal("""{"maxTokens":800,"temperature":0.2}""", content.ParametersJson);
        Assert.Equal(64, content.Id.Length);
    }

    [Fact]
    public void Id_SameContentSameId_AnyChangeOrOtherPathANewOne()
    {
        var a = ReleaseContent.From("p", Input()).Content!.Id;
        Assert.Equal(a, ReleaseContent.From("p", Input("""{ "maxTokens":8e2 , "temperature":0.20 }""")).Content!.Id);
        Assert.NotEqual(a, ReleaseContent.From("p", Input("""{"temperature": 0.3, "maxTokens": 800}""")).Content!.Id);
        Assert.NotEqual(a, ReleaseContent.From("q", Input()).Content!.Id);
        var noted = Input();
        noted.Notes = "Other notes.";
        Assert.NotEqual(a, ReleaseContent.From("p", noted).Content!.Id);
    }

    [Fact]
    public void From_AbsentObjectsAreEmptyObjects_TextIsTrimmed()
    {
        var (content, errors) = ReleaseContent.From("p", new ReleaseInput { Model = "  m  ", PromptVersion = "v1" });
        Assert.Empty(errors);
        Assert.Equal(("m", "{}", "{}", "", (string?)null), (content!.Model, content.ParametersJson, content.ContextJson, content.Notes, content.PromptTemplateHash));
    }

    [Fact]
    public void From_EveryBadFieldNamed_NothingElseLost()
    {
        var (content, errors) = ReleaseContent.From("p", new ReleaseInput
        {
            Model = "",
            PromptVersion = new string('v', 201),
            PromptTemplateHash = "a\u0001b",
            Parameters = Json("[1, 2]"),
            Context = Json("""{"a": 1, "a": 2}"""),
            Notes = "bad \ud800 text",
        });
        Assert.Null(content);
        Assert.Equal(["context", "model", "notes", "parameters", "promptTemplateHash", "promptVersion"], errors.Keys.Order());
        Assert.Contains("required", errors["model"]);
        Assert.Contains("200", errors["promptVersion"]);
        Assert.Contains("JSON object", errors["parameters"]);
        Assert.Contains("twice", errors["context"]);
        Assert.Contains("UTF-16", errors["notes"]);
    }

    [Fact]
    public void From_HugeParameters_Refused()
    {
        var big = "{\"x\":\"" + new string('a', ReleaseContent.MaxObjectBytes) + "\"}";
        var (content, errors) = ReleaseContent.From("p", Input(big));
        Assert.Null(content);
        Assert.Contains("KB", errors["parameters"]);
    }
}
