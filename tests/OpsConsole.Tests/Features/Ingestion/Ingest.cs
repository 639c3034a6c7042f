using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpsConsole.Web.Features.Demo;

namespace OpsConsole.Tests.Features.Ingestion;

/// <summary>Builds event batches and posts them as an AI service would.</summary>
public static class Ingest
{
    public const string DemoKey = DemoOptions.DefaultApiKey;

    public static JsonObject Event(string eventId, string path = "support-reply-draft", double? confidence = 0.95, string outcome = "ok",
        string? output = "A drafted reply.", string? input = "Customer asks about refunds.")
    {
        var e = new JsonObject
        {
            ["eventId"] = eventId,
            ["path"] = path,
            ["occurredAt"] = DateTime.UtcNow.AddSeconds(-5).ToString("O"),
            ["modelVersion"] = "gpt-test-1",
            ["outcome"] = outcome,
            ["latencyMs"] = 420,
            ["inputTokens"] = 200,
            ["outputTokens"] = 60,
            ["costUsd"] = 0.0031,
            ["input"] = input,
            ["output"] = output,
        };
        if (confidence is { } c)
        {
            e["confidence"] = c;
        }
        return e;
    }

    public static JsonObject Batch(params JsonNode[] events) => new() { ["events"] = new JsonArray(events.Select(e => e.DeepClone()).ToArray()) };

    public static HttpRequestMessage Request(string body, string? key = DemoKey, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/events") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return request;
    }

    public static Task<HttpResponseMessage> PostAsync(HttpClient client, JsonNode body, string? key = DemoKey) =>
        client.SendAsync(Request(body.ToJsonString(), key), TestContext.Current.CancellationToken);

    public static async Task<IngestResult> PostOkAsync(HttpClient client, JsonNode body, string? key = DemoKey)
    {
        using var response = await PostAsync(client, body, key);
        return await ReadOkAsync(response);
    }

    /// <summary>The per-item answer of a successful post; fails the test with the status and body otherwise.</summary>
    public static async Task<IngestResult> ReadOkAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<IngestResult>(text, JsonSerializerOptions.Web)!;
    }

    public sealed record IngestResult(int Accepted, int Duplicates, int Rejected, List<ItemResult> Results);

    public sealed record ItemResult(int Index, string? EventId, string Status, string? Reason, string? Detail, List<string>? Warnings = null);

    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken));
}
