using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace OpsConsole.E2E;

/// <summary>Posts events to the app under test as an AI service does.</summary>
public static class EventsApi
{
    public const string DemoKey = "ocs_demo_4f9c2a7e1b8d4c6a9e3f5b7d1c2a4e6f";

    public static async Task<HttpResponseMessage> PostAsync(string baseUrl, string key, IEnumerable<JsonObject> events)
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/events")
        {
            Content = new StringContent(new JsonObject { ["events"] = new JsonArray([.. events]) }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        await response.Content.LoadIntoBufferAsync(TestContext.Current.CancellationToken);
        return response;
    }
}
