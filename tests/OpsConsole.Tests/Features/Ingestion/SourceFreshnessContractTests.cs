using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Tests.Features.Ingestion;

/// <summary>The freshness fields of a source: a wrong one is dropped with a warning, the event is kept.</summary>
public class SourceFreshnessContractTests
{
    private static readonly DateTime Now = new(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);

    private static JsonObject Item(string id, params JsonObject[] sources) => new()
    {
        ["eventId"] = id,
        ["path"] = "support-reply-draft",
        ["occurredAt"] = "2026-11-23T11:59:00Z",
        ["output"] = "answer",
        ["sources"] = new JsonArray(sources),
    };

    private static JsonObject Source(JsonNode? system = null, JsonNode? retrievedAt = null, JsonNode? sourceUpdatedAt = null)
    {
        var s = new JsonObject { ["title"] = "Refunds", ["url"] = "https://help.example/refunds" };
        if (system is not null)
        {
            s["system"] = system;
        }
        if (retrievedAt is not null)
        {
            s["retrievedAt"] = retrievedAt;
        }
        if (sourceUpdatedAt is not null)
        {
            s["sourceUpdatedAt"] = sourceUpdatedAt;
        }
        return s;
    }

    private static ParsedItem ReadOne(JsonObject item) => EventContract.ReadOne(Encoding.UTF8.GetBytes(item.ToJsonString()), Now);

    private static IReadOnlyList<EventSource> Stored(ParsedItem item) => EventJson.Sources(item.Fields.SourcesJson);

    [Fact]
    public void ReadOne_FreshnessFields_AreStoredAndReadBack()
    {
        var item = ReadOne(Item("e1", Source("Help centre", "2026-11-23T11:58:00+01:00", "2026-11-20T08:00:00Z")));

        Assert.Null(item.Rejection);
        Assert.Null(item.Warnings);
        var s = Assert.Single(Stored(item));
        Assert.Equal("Help centre", s.System);
        Assert.Equal(new DateTime(2026, 11, 23, 10, 58, 0, DateTimeKind.Utc), s.RetrievedAt);
        Assert.Equal(new DateTime(2026, 11, 20, 8, 0, 0, DateTimeKind.Utc), s.SourceUpdatedAt);
    }

    [Fact]
    public void ReadOne_RetrievedAtBeyondFiveMinutesAhead_DropsTheFieldAndKeepsTheEvent()
    {
        var item = ReadOne(Item("e1", Source("Help centre", "2026-11-23T12:05:01Z", "2026-11-20T08:00:00Z")));

        Assert.Null(item.Rejection);
        var warning = Assert.Single(item.Warnings!);
        Assert.Contains("sources[0].retrievedAt", warning);
        Assert.Contains("future", warning);
        var s = Assert.Single(Stored(item));
        Assert.Null(s.RetrievedAt);
        // The rest of the source stays as sent.
        Assert.Equal("Help centre", s.System);
        Assert.Equal("Refunds", s.Title);
        Assert.Equal(new DateTime(2026, 11, 20, 8, 0, 0, DateTimeKind.Utc), s.SourceUpdatedAt);
        Assert.DoesNotContain("12:05:01", item.Fields.SourcesJson);
    }

    [Fact]
    public void ReadOne_RetrievedAtExactlyFiveMinutesAhead_IsKept()
    {
        var item = ReadOne(Item("e1", Source("Help centre", "2026-11-23T12:05:00Z")));

        Assert.Null(item.Rejection);
        Assert.Null(item.Warnings);
        Assert.Equal(new DateTime(2026, 11, 23, 12, 5, 0, DateTimeKind.Utc), Assert.Single(Stored(item)).RetrievedAt);
    }

    [Theory]
    [InlineData("\"yesterday\"")]
    [InlineData("\"2026-11-23T11:00:00\"")]
    [InlineData("\"2026-13-45T11:00:00Z\"")]
    [InlineData("1732356000")]
    [InlineData("{\"at\":\"2026-11-23T11:00:00Z\"}")]
    [InlineData("[\"2026-11-23T11:00:00Z\"]")]
    [InlineData("\"1999-12-31T23:59:59Z\"")]
    [InlineData("true")]
    public void ReadOne_MalformedSourceUpdatedAt_DropsTheFieldAndKeepsTheEvent(string value)
    {
        var item = ReadOne(Item("e1", Source("Help centre", sourceUpdatedAt: JsonNode.Parse(value))));

        Assert.Null(item.Rejection);
        Assert.Contains("sources[0].sourceUpdatedAt", Assert.Single(item.Warnings!));
        var s = Assert.Single(Stored(item));
        Assert.Null(s.SourceUpdatedAt);
        Assert.Equal("Help centre", s.System);
        // What is stored is still JSON a page can read.
        using var doc = JsonDocument.Parse(item.Fields.SourcesJson!);
    }

    [Theory]
    [InlineData("42")]
    [InlineData("{\"name\":\"Help centre\"}")]
    [InlineData("\"   \"")]
    [InlineData("\"\"")]
    public void ReadOne_SystemNotAName_DropsTheFieldAndKeepsTheEvent(string value)
    {
        var item = ReadOne(Item("e1", Source(JsonNode.Parse(value), sourceUpdatedAt: "2026-11-20T08:00:00Z")));

        Assert.Null(item.Rejection);
        Assert.Contains("sources[0].system", Assert.Single(item.Warnings!));
        Assert.Null(Assert.Single(Stored(item)).System);
    }

    [Fact]
    public void ReadOne_HugeValues_AreDroppedNotStored()
    {
        var item = ReadOne(Item("e1", Source(new string('s', 201), new string('9', 100_000), new string('1', 50))));

        Assert.Null(item.Rejection);
        Assert.Equal(3, item.Warnings!.Count);
        Assert.True(item.Fields.SourcesJson!.Length < 500);
    }

    [Fact]
    public void ReadOne_FreshnessFieldTwice_RefusesTheItem()
    {
        var json = "{\"eventId\":\"e1\",\"path\":\"p1\",\"occurredAt\":\"2026-11-23T11:59:00Z\",\"sources\":[{\"system\":\"A\",\"system\":\"B\"}]}";
        var item = EventContract.ReadOne(Encoding.UTF8.GetBytes(json), Now);

        Assert.Equal("invalid_field:sources", item.Rejection?.Reason);
    }

    [Fact]
    public void ReadOne_EscapedFieldName_IsReadLikeThePlainOne()
    {
        var json = "{\"eventId\":\"e1\",\"path\":\"p1\",\"occurredAt\":\"2026-11-23T11:59:00Z\",\"sources\":[{\"\\u0073ystem\":\"Ticket\",\"retrievedAt\":\"2027-01-01T00:00:00Z\"}]}";
        var item = EventContract.ReadOne(Encoding.UTF8.GetBytes(json), Now);

        Assert.Null(item.Rejection);
        Assert.Single(item.Warnings!);
        var s = Assert.Single(Stored(item));
        Assert.Equal("Ticket", s.System);
        Assert.Null(s.RetrievedAt);
    }

    [Fact]
    public void ReadBatch_LoneSurrogateInSystem_RefusesThatItemAlone_AsAnyInvalidText()
    {
        var bad = "{\"eventId\":\"e1\",\"path\":\"p1\",\"occurredAt\":\"2026-11-23T11:59:00Z\",\"sources\":[{\"system\":\"Tick\\ud800et\"}]}";
        var good = Item("e2", Source("Ticket", sourceUpdatedAt: "2026-11-23T11:50:00Z")).ToJsonString();
        var items = EventContract.ReadBatch(Encoding.UTF8.GetBytes($"{{\"events\":[{bad},{good}]}}"), Now, 10);

        Assert.Equal("invalid_text", items[0].Rejection?.Reason);
        Assert.Null(items[1].Rejection);
        Assert.Equal("Ticket", Assert.Single(Stored(items[1])).System);
    }

    [Fact]
    public void ReadBatch_OneItemsBadSource_LeavesTheNextItemAsSent()
    {
        var first = Item("e1", Source("Help centre", "2030-01-01T00:00:00Z", "not a time"), Source(7));
        var second = Item("e2", Source("Ticket", "2026-11-23T11:58:00Z", "2026-11-23T11:50:00Z"));
        var body = Encoding.UTF8.GetBytes(new JsonObject { ["events"] = new JsonArray(first, second) }.ToJsonString());

        var items = EventContract.ReadBatch(body, Now, 10);

        Assert.Equal(2, items.Count);
        Assert.All(items, i => Assert.Null(i.Rejection));
        Assert.Equal(3, items[0].Warnings!.Count);
        Assert.Contains(items[0].Warnings!, w => w.StartsWith("sources[1].system", StringComparison.Ordinal));
        Assert.Null(items[1].Warnings);
        var s = Assert.Single(Stored(items[1]));
        Assert.Equal(("Ticket", new DateTime(2026, 11, 23, 11, 58, 0, DateTimeKind.Utc), new DateTime(2026, 11, 23, 11, 50, 0, DateTimeKind.Utc)),
            (s.System, s.RetrievedAt!.Value, s.SourceUpdatedAt!.Value));
    }
}
