using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Ingestion;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Tests.Features.Ingestion;

/// <summary>
/// Hostile input: randomly mutated batches must never produce a 5xx, and nothing stored may break
/// the field rules. The seed is printed on failure so a finding can be replayed.
/// </summary>
[Trait("Category", "Integration")]
public sealed class IngestionFuzzTests : IAsyncLifetime
{
    private const int Payloads = 1200;
    private readonly OpsConsoleFactory _factory = new OpsConsoleFactory()
        .With("OpsConsole:Ingestion:RequestsPerSecond", "100000")
        .With("OpsConsole:Ingestion:Burst", "100000");

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task Post_MutatedPayloads_NeverServerErrorAndStoredEventsObeyRules()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var client = _factory.CreateClient();
        var statuses = new Dictionary<HttpStatusCode, int>();
        for (var i = 0; i < Payloads; i++)
        {
            var (bytes, description) = Mutate(random, i);
            using var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/events") { Content = content };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Ingest.DemoKey);
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.True((int)response.StatusCode < 500, $"seed {seed}, payload {i} ({description}) → {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
            statuses[response.StatusCode] = statuses.GetValueOrDefault(response.StatusCode) + 1;
        }
        // The mutations must reach both the envelope checks and the per-item rules, or the test proves little.
        Assert.True(statuses.GetValueOrDefault(HttpStatusCode.OK) > Payloads / 4, string.Join(", ", statuses));
        Assert.True(statuses.GetValueOrDefault(HttpStatusCode.BadRequest) > Payloads / 20, string.Join(", ", statuses));

        var stored = await Db.QueryAsync(_factory, db => db.InferenceEvents.AsNoTracking().ToListAsync(TestContext.Current.CancellationToken));
        Assert.True(stored.Count > 100, $"only {stored.Count} events stored");
        foreach (var e in stored)
        {
            var where = $"seed {seed}, event '{e.EventId}'";
            Assert.True(e.EventId.Length is >= 1 and <= EventContract.MaxEventIdLength && !string.IsNullOrWhiteSpace(e.EventId), where);
            Assert.True(e.Confidence is null || (double.IsFinite(e.Confidence.Value) && e.Confidence is >= 0 and <= 1), where);
            Assert.True(e.LatencyMs is null || (double.IsFinite(e.LatencyMs.Value) && e.LatencyMs >= 0), where);
            Assert.True(e.CostUsd is null || (double.IsFinite(e.CostUsd.Value) && e.CostUsd >= 0), where);
            Assert.True(e.InputTokens is null or >= 0 && e.OutputTokens is null or >= 0, where);
            Assert.Contains(e.Outcome, Outcomes.All);
            Assert.True(e.OccurredAt <= e.ReceivedAt + EventContract.MaxFutureSkew, where);
            Assert.True(Encoding.UTF8.GetByteCount(e.Input ?? "") <= EventContract.MaxTextBytes, where);
            Assert.True(Encoding.UTF8.GetByteCount(e.Output ?? "") <= EventContract.MaxTextBytes, where);
            if (e.AttributesJson is not null)
            {
                var attributes = JsonNode.Parse(e.AttributesJson)!.AsObject();
                Assert.True(attributes.Count <= EventContract.MaxAttributes, where);
                Assert.All(attributes, a => Assert.True(a.Value!.GetValueKind() == JsonValueKind.String && a.Value.GetValue<string>().Length <= 256, where));
            }
            if (e.SourcesJson is not null)
            {
                Assert.True(JsonNode.Parse(e.SourcesJson)!.AsArray().Count <= EventContract.MaxSources, where);
            }
        }
    }

    private static readonly Func<Random, JsonNode?>[] HostileValues =
    [
        _ => null,
        r => r.Next(),
        r => -r.NextDouble() * 1000,
        r => r.NextDouble() * 1e300,
        _ => true,
        _ => "",
        _ => "   ",
        r => new string((char)r.Next(32, 0x2FFF), r.Next(1, 40_000)),
        _ => "NaN",
        _ => "Infinity",
        _ => new JsonArray(1, "two", null),
        _ => new JsonObject { ["nested"] = new JsonObject { ["deeper"] = 1 } },
        _ => "2026-13-45T99:99:99Z",
        _ => DateTime.UtcNow.AddYears(3).ToString("O"),
        _ => "1999-12-31T23:59:59Z",
        _ => "\u0000\u0001\u0002",
        _ => "ok",
        _ => "error",
        _ => 0.5,
        _ => 1.0000001,
    ];

    private static readonly string[] Fields =
    [
        "eventId", "path", "occurredAt", "confidence", "latencyMs", "inputTokens", "outputTokens", "costUsd", "outcome",
        "input", "output", "modelVersion", "unit", "traceId", "attributes", "sources", "errorMessage",
    ];

    private static (byte[] Body, string Description) Mutate(Random r, int n)
    {
        var events = new JsonArray();
        var count = r.Next(1, 12);
        for (var i = 0; i < count; i++)
        {
            var path = r.Next(10) == 0 ? "no-such-path" : new[] { "support-reply-draft", "invoice-field-extraction", "ticket-triage" }[r.Next(3)];
            events.Add(Ingest.Event($"fz-{n}-{i}-{r.Next(3)}", path: path, confidence: r.NextDouble()));
        }
        var kind = r.Next(12);
        string description;
        switch (kind)
        {
            case <= 4:
                // Replace or remove a field in some items.
                description = "field values";
                foreach (var e in events.Select(x => x!.AsObject()))
                {
                    var field = Fields[r.Next(Fields.Length)];
                    if (r.Next(4) == 0)
                    {
                        e.Remove(field);
                    }
                    else
                    {
                        e[field] = HostileValues[r.Next(HostileValues.Length)](r);
                    }
                }
                break;
            case 5:
                description = "attributes and sources at and over the limits";
                foreach (var e in events.Select(x => x!.AsObject()))
                {
                    var attributes = new JsonObject();
                    for (var k = 0; k < r.Next(45, 56); k++)
                    {
                        attributes["a" + k] = new string('v', r.Next(250, 260));
                    }
                    e["attributes"] = attributes;
                    var sources = new JsonArray();
                    for (var k = 0; k < r.Next(18, 23); k++)
                    {
                        sources.Add(new JsonObject { ["title"] = "t", ["url"] = r.Next(5) == 0 ? 5 : "https://x" });
                    }
                    e["sources"] = sources;
                }
                break;
            case 6:
                description = "huge text";
                events[0]!["input"] = new string('x', r.Next(32 * 1024 - 10, 32 * 1024 + 10));
                break;
            default:
                description = "raw bytes";
                break;
        }
        var json = Encoding.UTF8.GetBytes(new JsonObject { ["events"] = events }.ToJsonString());
        if (kind < 7)
        {
            return (json, description);
        }
        // Raw mutations the JSON writer would never produce.
        switch (r.Next(7))
        {
            case 0:
                json[r.Next(json.Length)] = (byte)r.Next(0x80, 0x100); // invalid UTF-8 (mostly)
                return (json, "invalid utf-8 byte");
            case 1:
                return (json[..r.Next(json.Length)], "truncated");
            case 2:
                return (Encoding.UTF8.GetBytes("{\"events\":[" + new string('[', r.Next(60, 2000)) + "]}"), "deep nesting");
            case 3:
                return (Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(json).Replace("\"confidence\":", "\"confidence\":NaN,\"x\":")), "NaN literal");
            case 4:
                return (Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(json).Replace("\"eventId\":\"", "\"eventId\":\"\\ud800")), "lone surrogate");
            case 5:
                return (Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(json).Replace("\"latencyMs\":420", "\"latencyMs\":1e999")), "number overflow");
            default:
                return (Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(json).Replace("\"path\":", "\"path\":\"ticket-triage\",\"path\":")), "duplicate keys");
        }
    }
}
