using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Ingestion;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Tests.Features.Ingestion;

/// <summary>
/// Items that try to make the batch reader lose its place: text that is not Unicode, event-shaped
/// objects inside fields, duplicate keys, deep nesting, numbers no AI call produces.
/// The rule under test: a readable envelope of N items gets N results in order, and only top-level
/// items are ever stored.
/// </summary>
[Trait("Category", "Integration")]
public sealed class HostileBatchTests
{
    private static readonly DateTime Now = new(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);

    /// <summary>A valid item as JSON text; <paramref name="extra"/> is spliced in as further properties.</summary>
    private static string Item(string id, string extra = "") =>
        $$"""{"eventId":"{{id}}","path":"support-reply-draft","occurredAt":"2026-11-23T11:59:00Z","confidence":0.9{{(extra.Length > 0 ? "," + extra : "")}}}""";

    private static List<ParsedItem> Read(params string[] items) =>
        EventContract.ReadBatch(Encoding.UTF8.GetBytes("{\"events\":[" + string.Join(",", items) + "]}"), Now, 1000);

    // Each places a lone surrogate escape and an event-shaped object in one nested spot of the first item.
    public static TheoryData<string> NestedInvalidText => new()
    {
        $$"""  "sources":[{"title":"\ud800","url":"https://x","snippet":{{Item("smuggled")}}}]""",
        $$"""  "sources":[{"title":"t","url":"https://x/\udc00"},{{Item("smuggled")}}]""",
        $$"""  "sources":[{"title":"t","snippet":"s","note\ud800":{{Item("smuggled")}}}]""",
        $$"""  "attributes":{"seg\ud800ment":"smb","x":"y"},"sources":[{{Item("smuggled")}}]""",
        $$"""  "attributes":{"segment":"\udfff"},"extra":{{Item("smuggled")}}""",
        $$$"""  "sources":[{"title":"t","url":"u","snippet":"s","x":{"deep":["\ud800",{{{Item("smuggled")}}}]}}]""",
    };

    [Theory]
    [MemberData(nameof(NestedInvalidText))]
    public void ReadBatch_InvalidTextInsideNestedValue_OneResultPerItemAndNextItemIntact(string hostile)
    {
        var items = Read(Item("first", hostile), Item("second"), Item("third"));

        Assert.Equal(3, items.Count);
        Assert.Equal("invalid_text", items[0].Rejection?.Reason);
        Assert.Equal([0, 1, 2], items.Select(i => i.Index));
        Assert.Null(items[1].Rejection);
        Assert.Equal("second", items[1].Fields.EventId);
        Assert.Null(items[2].Rejection);
        Assert.Equal("third", items[2].Fields.EventId);
        Assert.DoesNotContain(items, i => i.Fields.EventId == "smuggled");
    }

    [Fact]
    public void ReadBatch_EventInsideSourceOfRejectedItem_NeverBecomesAnItem()
    {
        // The defect as found: an item whose source text was invalid made the reader resume inside
        // the source, and the event-shaped object there was stored as an item of the batch.
        var items = Read(Item("outer", $$"""  "sources":[{"title":"\ud800"},{{Item("inner")}}]"""));

        var only = Assert.Single(items);
        Assert.Equal("invalid_text", only.Rejection?.Reason);
        Assert.Equal("outer", only.EventIdForQuarantine);
    }

    [Theory]
    [InlineData("\"attributes\":{\"segment\":\"\\ud800\"}")]
    [InlineData("\"attributes\":{\"\\udc00\":\"smb\"}")]
    [InlineData("\"sources\":[{\"title\":\"t\",\"other\":\"\\ud800\"}]")]
    [InlineData("\"input\":\"a\\ud800b\"")]
    [InlineData("\"output\":\"\\udfff\"")]
    [InlineData("\"modelVersion\":\"v\\ud800\"")]
    [InlineData("\"errorMessage\":\"\\ud800\"")]
    [InlineData("\"unit\":\"\\ud800\"")]
    public void ReadOne_LoneSurrogateInAnyStoredText_InvalidText(string field)
    {
        var item = EventContract.ReadOne(Encoding.UTF8.GetBytes(Item("e", field)), Now);
        Assert.Equal("invalid_text", item.Rejection?.Reason);
    }

    [Theory]
    [InlineData("\"attributes\":{\"segment\":\"a\",\"segment\":\"b\"}", "invalid_field:attributes")]
    [InlineData("\"sources\":[{\"title\":\"a\",\"title\":\"b\"}]", "invalid_field:sources")]
    [InlineData("\"eventId\":\"again\"", "invalid_field:eventId")]
    public void ReadOne_DuplicateKeys_Rejected(string field, string reason)
    {
        Assert.Equal(reason, EventContract.ReadOne(Encoding.UTF8.GetBytes(Item("e", field)), Now).Rejection?.Reason);
    }

    [Fact]
    public void ReadBatch_ItemNestedTooDeep_RejectedAloneNextItemRead()
    {
        var deep = "\"x\":" + new string('[', 100) + new string(']', 100);
        var items = Read(Item("deep", deep), Item("next"));

        Assert.Equal(2, items.Count);
        Assert.Equal("too_deep", items[0].Rejection?.Reason);
        Assert.Null(items[1].Rejection);
    }

    [Theory]
    [InlineData("latencyMs", "1.7976931348623157e308")]
    [InlineData("latencyMs", "86400000.5")]
    [InlineData("costUsd", "1e308")]
    [InlineData("costUsd", "10000.01")]
    [InlineData("inputTokens", "9223372036854775807")]
    [InlineData("outputTokens", "100000001")]
    [InlineData("latencyMs", "1e400")]
    [InlineData("costUsd", "-1e-300")]
    public void ReadOne_NumberAboveItsBound_Rejected(string field, string value)
    {
        var item = EventContract.ReadOne(Encoding.UTF8.GetBytes(Item("e", $"\"{field}\":{value}")), Now);
        Assert.Equal("invalid_field:" + field, item.Rejection?.Reason);
    }

    [Theory]
    [InlineData("latencyMs", "86400000")]
    [InlineData("costUsd", "10000")]
    [InlineData("inputTokens", "100000000")]
    [InlineData("outputTokens", "0")]
    public void ReadOne_NumberAtItsBound_Accepted(string field, string value)
    {
        Assert.Null(EventContract.ReadOne(Encoding.UTF8.GetBytes(Item("e", $"\"{field}\":{value}")), Now).Rejection);
    }
}

/// <summary>
/// A seeded generator of hostile batches through the real endpoint and database: at least 10,000
/// items mixing invalid escapes at every depth, event-shaped objects in every field, duplicate keys,
/// deep nesting and huge numbers, with clean items between them.
/// </summary>
[Trait("Category", "Integration")]
public sealed class HostileBatchFuzzTests : IAsyncLifetime
{
    private const int Items = 10_500;
    private readonly OpsConsoleFactory _factory = new OpsConsoleFactory()
        .With("OpsConsole:Ingestion:RequestsPerSecond", "100000")
        .With("OpsConsole:Ingestion:Burst", "100000");

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private enum Expect
    {
        Accepted,
        Rejected,
        Either,
    }

    private static readonly string[] BadEscapes = [@"\ud800", @"\udfff", @"\ud800\u0041", @"\udbff\udbff", @"x\uDC00y"];

    private static readonly string[] HugeNumbers =
        ["1.7976931348623157e308", "1e308", "1e400", "-1e400", "99999999999999999999999", "9223372036854775807", "-0", "1e-400", "4.9e-324"];

    [Fact]
    public async Task Post_SeededHostileItems_OneResultPerItemNoServerErrorOnlyTopLevelStored()
    {
        var seed = 20261202;
        var random = new Random(seed);
        var client = _factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var sent = 0;
        var batchNo = 0;
        var acceptedIds = new HashSet<string>();
        var expectations = new Dictionary<Expect, int>();
        while (sent < Items)
        {
            batchNo++;
            var count = Math.Min(random.Next(1, 200), Items - sent);
            var items = new List<(string Json, string Id, Expect Expect, string What)>();
            for (var i = 0; i < count; i++)
            {
                items.Add(Generate(random, $"top-{batchNo}-{i}"));
            }
            sent += count;
            var body = "{\"events\":[" + string.Join(",", items.Select(x => x.Json)) + "]}";
            using var response = await client.SendAsync(Ingest.Request(body), ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            var where = $"seed {seed}, batch {batchNo}";
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{where}: {(int)response.StatusCode} {text}");
            var result = JsonSerializer.Deserialize<Ingest.IngestResult>(text, JsonSerializerOptions.Web)!;
            Assert.Equal(count, result.Results.Count);
            for (var i = 0; i < count; i++)
            {
                var r = result.Results[i];
                var (_, id, expect, what) = items[i];
                Assert.True(r.Index == i, $"{where}, result {i} has index {r.Index}");
                expectations[expect] = expectations.GetValueOrDefault(expect) + 1;
                if (expect == Expect.Accepted)
                {
                    Assert.True(r.Status == "accepted", $"{where}, item {i} ({what}) → {r.Status} {r.Reason} {r.Detail}");
                }
                else if (expect == Expect.Rejected)
                {
                    Assert.True(r.Status == "rejected", $"{where}, item {i} ({what}) → {r.Status}");
                }
                if (r.Status == "accepted")
                {
                    Assert.Equal(id, r.EventId);
                    Assert.True(acceptedIds.Add(id), $"{where}: {id} accepted twice");
                }
            }
        }
        Assert.True(sent >= 10_000);
        // The generator must reach each kind often, or the test proves little.
        Assert.True(expectations.GetValueOrDefault(Expect.Accepted) > Items / 5, string.Join(", ", expectations));
        Assert.True(expectations.GetValueOrDefault(Expect.Rejected) > Items / 3, string.Join(", ", expectations));

        var stored = await Db.QueryAsync(_factory, db => db.InferenceEvents.AsNoTracking()
            .Select(e => new { e.EventId, e.SourcesJson, e.AttributesJson, e.Input, e.Output, e.ModelVersion }).ToListAsync(ct));
        Assert.Equal(acceptedIds.Count, stored.Count);
        foreach (var e in stored)
        {
            Assert.True(acceptedIds.Contains(e.EventId), $"seed {seed}: stored '{e.EventId}' was never a top-level item accepted");
            // Whatever was stored must read back on the event's page.
            _ = EventJson.Sources(e.SourcesJson);
            _ = EventJson.Attributes(e.AttributesJson);
            foreach (var text in new[] { e.Input, e.Output, e.ModelVersion })
            {
                Assert.True(text is null || IsValidUtf16(text), $"seed {seed}: '{e.EventId}' holds invalid text");
            }
        }
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

    private static string Valid(string id, string extra = "") =>
        $$"""{"eventId":"{{id}}","path":"support-reply-draft","occurredAt":"{{DateTime.UtcNow.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture)}}","confidence":0.95,"outcome":"ok","latencyMs":300,"costUsd":0.002,"inputTokens":10,"outputTokens":5{{extra}}}""";

    private static string Nest(Random r, string inner, int depth)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            sb.Append(r.Next(2) == 0 ? "[" : "{\"k\":");
        }
        var open = sb.ToString();
        sb.Append(inner);
        for (var i = open.Length - 1; i >= 0; i--)
        {
            if (open[i] == '[')
            {
                sb.Append(']');
            }
            else if (open[i] == '{')
            {
                sb.Append('}');
            }
        }
        return sb.ToString();
    }

    private static (string Json, string Id, Expect Expect, string What) Generate(Random r, string id)
    {
        var bad = BadEscapes[r.Next(BadEscapes.Length)];
        var smuggled = Valid("smuggled-" + id);
        switch (r.Next(16))
        {
            case 0:
            case 1:
            case 2:
                return (Valid(id, ",\"attributes\":{\"segment\":\"smb\"},\"sources\":[{\"title\":\"t\",\"url\":\"https://h/x\"}]"), id, Expect.Accepted, "clean");
            case 3:
                // Invalid text in a source or attribute at any depth, with an event object beside it.
                var where = r.Next(6) switch
                {
                    0 => $"\"sources\":[{{\"title\":\"{bad}\",\"snippet\":{smuggled}}}]",
                    1 => $"\"sources\":[{{\"url\":\"{bad}\"}},{smuggled}]",
                    2 => $"\"attributes\":{{\"a{bad}\":\"v\",\"b\":\"c\"}},\"x\":{smuggled}",
                    3 => $"\"attributes\":{{\"segment\":\"{bad}\"}}",
                    4 => $"\"sources\":[{{\"title\":\"t\",\"x\":{Nest(r, $"\"{bad}\"", r.Next(1, 40))}}}]",
                    _ => $"\"sources\":[{{\"title\":\"t\",\"more\":{Nest(r, smuggled.Replace("smuggled", bad), r.Next(1, 20))}}}]",
                };
                return (Valid(id, "," + where), id, Expect.Rejected, "invalid text nested: " + where[..Math.Min(60, where.Length)]);
            case 4:
                // Invalid text in a top-level field that is stored.
                var field = new[] { "input", "output", "modelVersion", "promptVersion", "unit", "errorMessage", "errorCode", "traceId" }[r.Next(8)];
                return (Valid(id, $",\"{field}\":\"a{bad}b\""), id, Expect.Rejected, "invalid text in " + field);
            case 5:
                // An event-shaped object where a string or number belongs.
                var target = new[] { "input", "output", "confidence", "latencyMs", "sources", "attributes", "modelVersion" }[r.Next(7)];
                return (Valid(id, $",\"{target}\":{smuggled}"), id, Expect.Rejected, "event object in " + target);
            case 6:
                // Event-shaped objects in places that are ignored or allowed: the item stands, the inner one is never stored.
                var allowed = r.Next(3) switch
                {
                    0 => $",\"unknown\":{smuggled}",
                    1 => $",\"sources\":[{{\"title\":\"t\",\"extra\":{smuggled}}}]",
                    _ => $",\"meta\":{Nest(r, smuggled, r.Next(1, 50))}",
                };
                return (Valid(id, allowed), id, Expect.Accepted, "event object in an ignored field");
            case 7:
                // Duplicate keys.
                var dup = r.Next(4) switch
                {
                    0 => ",\"eventId\":\"" + id + "-again\"",
                    1 => ",\"attributes\":{\"segment\":\"a\",\"segment\":\"b\"}",
                    2 => ",\"sources\":[{\"url\":\"a\",\"url\":\"b\"}]",
                    _ => ",\"latencyMs\":5",
                };
                return (Valid(id, dup), id, Expect.Rejected, "duplicate key" + dup);
            case 8:
                // Deep nesting in an ignored property: within the item limit it is ignored, beyond it the item is refused.
                var depth = r.Next(1, 200);
                var deepExpect = depth < EventContract.MaxDepth - 2 ? Expect.Accepted : depth > EventContract.MaxDepth + 2 ? Expect.Rejected : Expect.Either;
                return (Valid(id, ",\"deep\":" + Nest(r, "1", depth)), id, deepExpect, $"depth {depth}");
            case 9:
                // Numbers no AI call produces.
                var numberField = new[] { "latencyMs", "costUsd", "inputTokens", "outputTokens", "confidence" }[r.Next(5)];
                var number = HugeNumbers[r.Next(HugeNumbers.Length)];
                var fine = number is "-0" || (number is "1e-400" or "4.9e-324" && !numberField.EndsWith("Tokens", StringComparison.Ordinal));
                var json = Valid(id).Replace($"\"{numberField}\":", $"\"ignored-{numberField}\":")[..^1] + $",\"{numberField}\":{number}}}";
                return (json, id, fine ? Expect.Accepted : Expect.Rejected, $"{numberField}={number}");
            case 10:
                // Invalid text in an ignored property's value: the property is never stored, so either answer is fair.
                return (Valid(id, $",\"note\":\"{bad}\""), id, Expect.Either, "invalid text in an ignored value");
            case 11:
                // Invalid text in a top-level property name.
                return (Valid(id, $",\"na{bad}me\":1"), id, Expect.Rejected, "invalid text in a name");
            case 12:
                // Not an object at all.
                var notObject = new[] { "1", "\"" + bad + "\"", "[" + smuggled + "]", "null", "true", Nest(r, smuggled, r.Next(1, 30)) }[r.Next(6)];
                return (notObject, id, Expect.Rejected, "not an object");
            case 13:
                // Huge strings close to the limits.
                var atLimit = r.Next(2) == 0;
                return (Valid(id, $",\"input\":\"{new string('x', atLimit ? EventContract.MaxTextBytes : EventContract.MaxTextBytes + 1)}\""), id, atLimit ? Expect.Accepted : Expect.Rejected, "long input");
            case 14:
                // A valid item with escapes that are fine (a real surrogate pair, control characters).
                return (Valid(id, ",\"input\":\"\\ud83d\\ude00 \\n\\t\\u0000\",\"attributes\":{\"segment\":\"\\u00e9\"}"), id, Expect.Accepted, "valid escapes");
            default:
                // Many items' worth of attributes and sources.
                var attrs = string.Join(",", Enumerable.Range(0, r.Next(1, 60)).Select(i => $"\"k{i}\":\"v\""));
                return (Valid(id, ",\"attributes\":{" + attrs + "}"), id, attrs.Split(',').Length > EventContract.MaxAttributes ? Expect.Rejected : Expect.Accepted, "attributes");
        }
    }
}
