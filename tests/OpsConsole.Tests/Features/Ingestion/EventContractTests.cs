using System.Text.Json;
using System.Text.Json.Nodes;
using OpsConsole.Web.Features.Ingestion;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Tests.Features.Ingestion;

public class EventContractTests
{
    private static readonly DateTime Now = new(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);

    private static JsonObject Valid() => new()
    {
        ["eventId"] = "evt-1",
        ["path"] = "support-reply-draft",
        ["occurredAt"] = "2026-11-23T11:59:00Z",
        ["confidence"] = 0.8,
        ["latencyMs"] = 120.5,
        ["inputTokens"] = 300,
        ["outputTokens"] = 80,
        ["costUsd"] = 0.0042,
        ["outcome"] = "ok",
        ["input"] = "question",
        ["output"] = "answer",
        ["attributes"] = new JsonObject { ["segment"] = "smb" },
        ["sources"] = new JsonArray(new JsonObject { ["title"] = "Refunds", ["url"] = "https://help/x", ["snippet"] = "…" }),
    };

    private static Rejection? Check(JsonObject item, out EventFields fields) => Read(item.ToJsonString(), out fields);

    private static Rejection? Read(string json, out EventFields fields)
    {
        var item = EventContract.ReadOne(System.Text.Encoding.UTF8.GetBytes(json), Now);
        fields = item.Fields;
        return item.Rejection;
    }

    private static string? ReasonFor(Action<JsonObject> change)
    {
        var item = Valid();
        change(item);
        return Check(item, out _)?.Reason;
    }

    [Fact]
    public void Validate_CompleteItem_ReturnsFields()
    {
        Assert.Null(Check(Valid(), out var f));
        Assert.Equal("evt-1", f.EventId);
        Assert.Equal(new DateTime(2026, 11, 23, 11, 59, 0, DateTimeKind.Utc), f.OccurredAt);
        Assert.Equal(0.8, f.Confidence);
        Assert.Equal(300, f.InputTokens);
        Assert.Equal("{\"segment\":\"smb\"}", f.AttributesJson);
    }

    [Fact]
    public void Validate_OnlyRequiredFields_DefaultsOutcomeToOk()
    {
        var item = new JsonObject { ["eventId"] = "e", ["path"] = "p1", ["occurredAt"] = "2026-11-23T11:00:00+02:00" };
        Assert.Null(Check(item, out var f));
        Assert.Equal(Outcomes.Ok, f.Outcome);
        Assert.Equal(new DateTime(2026, 11, 23, 9, 0, 0, DateTimeKind.Utc), f.OccurredAt);
        Assert.Null(f.Confidence);
    }

    [Theory]
    [InlineData("eventId", null, "invalid_field:eventId")]
    [InlineData("eventId", "", "invalid_field:eventId")]
    [InlineData("eventId", "   ", "invalid_field:eventId")]
    [InlineData("path", null, "invalid_field:path")]
    [InlineData("occurredAt", null, "invalid_field:occurredAt")]
    [InlineData("occurredAt", "2026-11-23 11:59", "invalid_field:occurredAt")]
    [InlineData("occurredAt", "2026-11-23T11:59:00", "invalid_field:occurredAt")] // no offset: not RFC 3339
    [InlineData("occurredAt", "23/11/2026", "invalid_field:occurredAt")]
    [InlineData("occurredAt", "2026-11-23T12:05:01Z", "invalid_field:occurredAt")] // more than 5 min ahead
    [InlineData("occurredAt", "2026-02-30T10:00:00Z", "invalid_field:occurredAt")]
    [InlineData("outcome", "failed", "invalid_field:outcome")]
    [InlineData("outcome", "OK", "invalid_field:outcome")]
    [InlineData("confidence", "0.5", "invalid_field:confidence")]
    [InlineData("latencyMs", "fast", "invalid_field:latencyMs")]
    [InlineData("modelVersion", "", null)]
    public void Validate_StringFieldRules(string field, string? value, string? expected)
    {
        Assert.Equal(expected, ReasonFor(i =>
        {
            if (value is null)
            {
                i.Remove(field);
            }
            else
            {
                i[field] = value;
            }
        }));
    }

    [Theory]
    [InlineData("confidence", -0.01, "invalid_field:confidence")]
    [InlineData("confidence", 1.0001, "invalid_field:confidence")]
    [InlineData("confidence", 0.0, null)]
    [InlineData("confidence", 1.0, null)]
    [InlineData("latencyMs", -1.0, "invalid_field:latencyMs")]
    [InlineData("latencyMs", 0.0, null)]
    [InlineData("costUsd", -0.0001, "invalid_field:costUsd")]
    [InlineData("inputTokens", -1.0, "invalid_field:inputTokens")]
    [InlineData("inputTokens", 1.5, "invalid_field:inputTokens")]
    [InlineData("outputTokens", -3.0, "invalid_field:outputTokens")]
    public void Validate_NumberFieldRules(string field, double value, string? expected)
    {
        Assert.Equal(expected, ReasonFor(i => i[field] = value));
    }

    [Fact]
    public void Validate_NumberBeyondDoubleRange_Rejected()
    {
        Assert.Equal("invalid_field:latencyMs", Read("""{"eventId":"e","path":"p1","occurredAt":"2026-11-23T11:00:00Z","latencyMs":1e400}""", out _)?.Reason);
    }

    [Fact]
    public void Validate_EventIdLength_128AllowedAnd129Rejected()
    {
        Assert.Null(ReasonFor(i => i["eventId"] = new string('x', 128)));
        Assert.Equal("invalid_field:eventId", ReasonFor(i => i["eventId"] = new string('x', 129)));
    }

    [Fact]
    public void Validate_TextFields_32KbUtf8Limit()
    {
        Assert.Null(ReasonFor(i => i["input"] = new string('a', 32 * 1024)));
        Assert.Equal("invalid_field:input", ReasonFor(i => i["input"] = new string('a', 32 * 1024 + 1)));
        // 11,000 three-byte characters are 33,000 bytes, over the limit though under 32,768 chars.
        Assert.Equal("invalid_field:output", ReasonFor(i => i["output"] = new string('€', 11_000)));
        Assert.Equal("invalid_field:output", ReasonFor(i => i["output"] = 42));
    }

    [Fact]
    public void Validate_Attributes_Limits()
    {
        var fifty = new JsonObject();
        for (var n = 0; n < 50; n++)
        {
            fifty["k" + n] = "v";
        }
        Assert.Null(ReasonFor(i => i["attributes"] = fifty));
        var fiftyOne = new JsonObject();
        for (var n = 0; n < 51; n++)
        {
            fiftyOne["k" + n] = "v";
        }
        Assert.Equal("invalid_field:attributes", ReasonFor(i => i["attributes"] = fiftyOne));
        Assert.Equal("invalid_field:attributes", ReasonFor(i => i["attributes"] = new JsonObject { ["k"] = new string('v', 257) }));
        Assert.Null(ReasonFor(i => i["attributes"] = new JsonObject { ["k"] = new string('v', 256) }));
        Assert.Equal("invalid_field:attributes", ReasonFor(i => i["attributes"] = new JsonObject { ["k"] = 3 }));
        Assert.Equal("invalid_field:attributes", ReasonFor(i => i["attributes"] = new JsonArray("a")));
    }

    [Fact]
    public void Validate_Sources_Limits()
    {
        JsonArray Sources(int n)
        {
            var a = new JsonArray();
            for (var k = 0; k < n; k++)
            {
                a.Add(new JsonObject { ["title"] = "t" + k });
            }
            return a;
        }
        Assert.Null(ReasonFor(i => i["sources"] = Sources(20)));
        Assert.Equal("invalid_field:sources", ReasonFor(i => i["sources"] = Sources(21)));
        Assert.Equal("invalid_field:sources", ReasonFor(i => i["sources"] = new JsonArray("just a string")));
        Assert.Equal("invalid_field:sources", ReasonFor(i => i["sources"] = new JsonArray(new JsonObject { ["url"] = 5 })));
    }

    [Fact]
    public void Validate_RepeatedProperty_Rejected()
    {
        Assert.Equal("invalid_field:eventId", Read("""{"eventId":"a","eventId":"b","path":"p1","occurredAt":"2026-11-23T11:00:00Z"}""", out _)?.Reason);
    }

    [Fact]
    public void Validate_NotAnObject_Rejected()
    {
        Assert.Equal("not_an_object", Read("1", out _)?.Reason);
        Assert.Equal("not_an_object", Read("[{\"eventId\":\"x\"}]", out _)?.Reason);
    }

    [Fact]
    public void Validate_UnknownPropertiesAndNulls_Ignored()
    {
        Assert.Null(ReasonFor(i =>
        {
            i["somethingNew"] = new JsonObject { ["deep"] = true };
            i["confidence"] = null;
            i["unit"] = null;
        }));
    }

    [Fact]
    public void Validate_LoneSurrogateEscape_RejectedNotThrown()
    {
        Assert.Equal("invalid_text", Read("""{"eventId":"\ud800","path":"p1","occurredAt":"2026-11-23T11:00:00Z"}""", out _)?.Reason);
    }

    [Theory]
    [InlineData("2026-11-23T11:59:00Z")]
    [InlineData("2026-11-23t11:59:00z")]
    [InlineData("2026-11-23T12:59:00.123456+01:00")]
    [InlineData("2026-11-23 11:59:00Z")] // RFC 3339 allows a space for T
    [InlineData("2026-11-23T11:59:00.5-00:00")]
    public void Validate_Rfc3339Forms_Accepted(string at)
    {
        Assert.Null(ReasonFor(i => i["occurredAt"] = at));
    }

    [Fact]
    public void ReadBatch_FirstProblemWins_AndReadingStaysInStep()
    {
        const string body = """
            {"meta":{"x":[1,2]},"events":[
              {"eventId":"a","confidence":"high","nested":{"deep":[1,{"k":"v"}]},"path":"p1","occurredAt":"2026-11-23T11:00:00Z"},
              {"eventId":"b","path":"p1","occurredAt":"2026-11-23T11:00:00Z","attributes":{"k":"v"},"sources":[{"title":"t"}]}
            ],"trailer":true}
            """;
        var bytes = System.Text.Encoding.UTF8.GetBytes(body);
        var items = EventContract.ReadBatch(bytes, Now, 10);

        Assert.Equal(2, items.Count);
        Assert.Equal("invalid_field:confidence", items[0].Rejection?.Reason);
        Assert.Equal(("a", "p1"), (items[0].EventIdForQuarantine, items[0].PathForQuarantine));
        Assert.StartsWith("{\"eventId\":\"a\"", System.Text.Encoding.UTF8.GetString(bytes, items[0].Raw.Start, items[0].Raw.Length));
        Assert.Null(items[1].Rejection);
        Assert.Equal("{\"k\":\"v\"}", items[1].Fields.AttributesJson);
        Assert.Equal("[{\"title\":\"t\"}]", items[1].Fields.SourcesJson);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"events\":{}}")]
    [InlineData("{\"events\":[],\"events\":[]}")]
    public void ReadBatch_WrongEnvelope_Throws(string body)
    {
        Assert.ThrowsAny<EnvelopeException>(() => EventContract.ReadBatch(System.Text.Encoding.UTF8.GetBytes(body), Now, 10));
    }

    [Theory]
    [InlineData("{\"events\":[]} {}")]
    [InlineData("{\"events\":[")]
    [InlineData("{\"events\":[NaN]}")]
    public void ReadBatch_NotJson_Throws(string body)
    {
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => EventContract.ReadBatch(System.Text.Encoding.UTF8.GetBytes(body), Now, 10));
    }

    [Fact]
    public void ReadBatch_OverTheItemLimit_TooLarge()
    {
        var body = "{\"events\":[" + string.Join(",", Enumerable.Repeat("{}", 11)) + "]}";
        Assert.Throws<BatchTooLargeException>(() => EventContract.ReadBatch(System.Text.Encoding.UTF8.GetBytes(body), Now, 10));
    }
}
