using OpsConsole.Web.Features.Traces;
using static OpsConsole.Tests.Features.Traces.TraceSpans;

namespace OpsConsole.Tests.Features.Traces;

public sealed class TraceTreeTests
{
    [Fact]
    public void Build_Spans_DepthFirstChildrenByStartTime()
    {
        var rows = TraceTree.Build(
        [
            Span(Id(3), Id(1), 50, 90, "answer"),
            Span(Id(1), null, 0, 100, "root"),
            Span(Id(4), Id(2), 5, 30, "search"),
            Span(Id(2), Id(1), 0, 40, "retrieve"),
        ]);

        Assert.Equal(["root", "retrieve", "search", "answer"], rows.Select(r => r.Span.Name));
        Assert.Equal([0, 1, 2, 1], rows.Select(r => r.Depth));
        Assert.Equal([true, true, false, false], rows.Select(r => r.HasChildren));
    }

    [Fact]
    public void Build_Waterfall_OffsetAndWidthAreFractionsOfTheTrace()
    {
        var rows = TraceTree.Build([Span(Id(1), null, 0, 200), Span(Id(2), Id(1), 50, 150)]);

        Assert.Equal(0, rows[0].Offset, 6);
        Assert.Equal(1, rows[0].Width, 6);
        Assert.Equal(0.25, rows[1].Offset, 6);
        Assert.Equal(0.5, rows[1].Width, 6);
        Assert.Equal(100, rows[1].DurationMs, 6);
    }

    [Fact]
    public void Build_MissingParentSelfParentAndCycle_EverySpanOnceWithoutLooping()
    {
        var rows = TraceTree.Build(
        [
            Span(Id(1), Id(99), 0, 10, "orphan"),
            Span(Id(2), Id(2), 1, 10, "self"),
            Span(Id(3), Id(4), 2, 10, "cycle a"),
            Span(Id(4), Id(3), 3, 10, "cycle b"),
        ]);

        Assert.Equal(4, rows.Count);
        Assert.Equal(["orphan", "self", "cycle a", "cycle b"], rows.Select(r => r.Span.Name));
        Assert.Equal([0, 0, 0, 1], rows.Select(r => r.Depth));
    }

    [Fact]
    public void Build_ChainOfThousandSpans_DepthBoundedNoStackOverflow()
    {
        var spans = Enumerable.Range(1, 1000).Select(i => Span(Id(i), i == 1 ? null : Id(i - 1), i, 2000)).ToList();

        var rows = TraceTree.Build(spans);

        Assert.Equal(1000, rows.Count);
        Assert.Equal(TraceTree.MaxDepth, rows.Max(r => r.Depth));
    }

    [Fact]
    public void Build_StatusErrorOrExceptionEvent_IsError()
    {
        var events = """[{"name":"exception","timeUnixNano":1733200000001000000,"attributes":{"exception.type":"TimeoutError","exception.message":"upstream timed out","exception.stacktrace":"at Foo()"}}]""";
        var rows = TraceTree.Build([Span(Id(1), null, 0, 10, status: SpanStatus.Error), Span(Id(2), Id(1), 1, 5, events: events), Span(Id(3), Id(1), 6, 9)]);

        Assert.Equal([true, true, false], rows.Select(r => r.IsError));
        var ex = Assert.Single(rows[1].Exceptions);
        Assert.Equal(new SpanException("TimeoutError", "upstream timed out", "at Foo()"), ex);
    }

    [Fact]
    public void Build_RetrievalDocumentsAsArrayOrJsonString_Parsed()
    {
        var array = """{"gen_ai.retrieval.query.text":"refund window","gen_ai.data_source.id":"kb","gen_ai.retrieval.documents":[{"id":"doc-1","score":0.92,"title":"Refunds","url":"https://help.example/refunds","content":"Within 14 days."},{"id":7,"score":"0.5"}]}""";
        var text = """{"gen_ai.retrieval.documents":"[{\"id\":\"doc-2\",\"score\":0.4}]"}""";

        var rows = TraceTree.Build([Span(Id(1), null, 0, 10, operation: "retrieval", attributes: array), Span(Id(2), null, 1, 10, attributes: text)]);

        Assert.True(rows[0].IsRetrieval);
        Assert.Equal("refund window", rows[0].RetrievalQuery);
        Assert.Equal("kb", rows[0].DataSource);
        Assert.Equal([new RetrievalDocument("doc-1", 0.92, "Refunds", "https://help.example/refunds", "Within 14 days."), new RetrievalDocument("7", 0.5, null, null, null)], rows[0].Documents);
        Assert.True(rows[1].IsRetrieval);
        Assert.Equal("doc-2", Assert.Single(rows[1].Documents).Id);
        Assert.DoesNotContain(rows[0].Attributes, a => a.Name == "gen_ai.retrieval.documents");
    }

    [Fact]
    public void Build_ToolAndGenAiSpans_Summarised()
    {
        var tool = """{"gen_ai.tool.name":"lookup_order","gen_ai.tool.call.id":"call_1","gen_ai.tool.call.arguments":"{\"order\":42}","gen_ai.tool.call.result":{"status":"shipped"}}""";
        var chat = """{"gen_ai.request.model":"gpt-x","gen_ai.response.model":"gpt-x-2025","gen_ai.usage.input_tokens":120,"gen_ai.usage.output_tokens":"30","gen_ai.response.finish_reasons":["stop"],"user.tier":"gold"}""";

        var rows = TraceTree.Build([Span(Id(1), null, 0, 10, operation: "chat", attributes: chat), Span(Id(2), Id(1), 1, 5, operation: "execute_tool", attributes: tool)]);

        Assert.Equal(new ToolCall("lookup_order", "call_1", "{\"order\":42}", "{\"status\":\"shipped\"}"), rows[1].Tool);
        var g = rows[0].GenAi!;
        Assert.Equal(("gpt-x", "gpt-x-2025", 120L, 30L), (g.RequestModel, g.ResponseModel, g.InputTokens, g.OutputTokens));
        Assert.Equal(["stop"], g.FinishReasons);
        Assert.Equal([new SpanAttribute("user.tier", "gold")], rows[0].Attributes);
    }

    [Theory]
    [InlineData("not json", null)]
    [InlineData("[1,2,3]", null)]
    [InlineData("{\"gen_ai.retrieval.documents\": 5, \"gen_ai.usage.input_tokens\": \"many\", \"gen_ai.tool.name\": {\"a\": [1]}}", null)]
    [InlineData("{\"gen_ai.retrieval.documents\": \"[not json\", \"gen_ai.response.finish_reasons\": 3}", "{\"a\":")]
    [InlineData("{\"gen_ai.retrieval.documents\": [1, \"x\", null, [], {\"id\": {\"deep\": true}, \"score\": \"NaN\"}]}", "[{\"name\": 5, \"timeUnixNano\": \"soon\", \"attributes\": [1]}, 7]")]
    public void Build_HostileJson_DoesNotThrow(string attributes, string? events)
    {
        var rows = TraceTree.Build([Span(Id(1), null, 0, 10, operation: "retrieval", attributes: attributes, events: events)]);

        var row = Assert.Single(rows);
        Assert.All(row.Documents, d => Assert.NotNull(d));
    }

    [Fact]
    public void Build_HugeDocumentArrayAndDeepNesting_Bounded()
    {
        var docs = string.Join(",", Enumerable.Range(0, 5000).Select(i => $"{{\"id\":\"d{i}\",\"score\":1}}"));
        var deep = new string('[', 200) + new string(']', 200);
        var rows = TraceTree.Build([Span(Id(1), null, 0, 10, attributes: $"{{\"gen_ai.retrieval.documents\":[{docs}]}}"), Span(Id(2), null, 0, 10, attributes: $"{{\"x\":{deep}}}")]);

        Assert.Equal(TraceTree.MaxDocuments, rows[0].Documents.Count);
        Assert.Empty(rows[1].Attributes);
    }

    [Fact]
    public void Build_DroppedAttributesAndEndBeforeStart_Reported()
    {
        var rows = TraceTree.Build([Span(Id(1), null, 10, 5, attributes: """{"opsconsole.dropped_attributes": 12}""")]);

        Assert.Equal(12, rows[0].DroppedAttributes);
        Assert.Equal(0, rows[0].DurationMs);
        Assert.Equal(0, rows[0].Width);
    }

    [Theory]
    [InlineData("{\"a\":1}", "{\n  \"a\": 1\n}")]
    [InlineData("plain text", "plain text")]
    [InlineData("{broken", "{broken")]
    public void Pretty_JsonOrNot_IndentedOrAsIs(string text, string expected) =>
        Assert.Equal(expected, TraceTree.Pretty(text).ReplaceLineEndings("\n"));

    [Fact]
    public void Build_NoSpans_Empty() => Assert.Empty(TraceTree.Build([]));
}
