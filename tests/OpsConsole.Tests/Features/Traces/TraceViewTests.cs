using Bunit;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Components;
using OpsConsole.Web.Features.Traces;
using static OpsConsole.Tests.Features.Traces.TraceSpans;

namespace OpsConsole.Tests.Features.Traces;

/// <summary>The trace tab on spans given to it: tree, keys, and what the selected span shows.</summary>
public sealed class TraceViewTests : ComponentTestBase
{
    public TraceViewTests() =>
        // The spans are passed in: the queries are never asked.
        Services.AddSingleton(new TraceQueries(null!));

    private static TraceData Trace(params TraceSpan[] spans) => new(TraceId, spans, new Dictionary<string, SpanEventLink>());

    private static TraceData Agent() => Trace(
        Span(Id(1), null, 0, 1000, "invoke_agent support", operation: "invoke_agent"),
        Span(Id(2), Id(1), 10, 200, "retrieval kb", operation: "retrieval",
            attributes: """{"gen_ai.retrieval.query.text":"refund window","gen_ai.retrieval.documents":[{"id":"doc-1","score":0.92,"title":"Refund policy","url":"https://help.example/refunds","content":"Refunds within 14 days."}]}"""),
        Span(Id(3), Id(1), 220, 400, "execute_tool lookup_order", operation: "execute_tool", status: SpanStatus.Error,
            attributes: """{"gen_ai.tool.name":"lookup_order","gen_ai.tool.call.arguments":"{\"order\":42}","gen_ai.tool.call.result":"timeout"}"""),
        Span(Id(4), Id(1), 420, 900, "chat gpt-x", operation: "chat", attributes: """{"gen_ai.request.model":"gpt-x","gen_ai.usage.input_tokens":120}"""),
        Span(Id(5), Id(1), 910, 990, "execute_tool notify", operation: "execute_tool",
            events: """[{"name":"exception","timeUnixNano":1733200000950000000,"attributes":{"exception.type":"IOError","exception.message":"broken pipe","exception.stacktrace":"at Send()"}}]"""));

    private static string Selected(IRenderedComponent<TraceView> view) =>
        view.Find("[role=treeitem][aria-selected=true]").GetAttribute("data-span-id")!;

    [Fact]
    public void Render_Trace_TreeRowsWithLevelsAndErrorsMarked()
    {
        var view = Render<TraceView>(p => p.Add(x => x.Trace, Agent()));

        var rows = view.FindAll("[role=treeitem]");
        Assert.Equal(5, rows.Count);
        Assert.Equal(["1", "2", "2", "2", "2"], rows.Select(r => r.GetAttribute("aria-level")));
        Assert.Equal(2, view.FindAll(".ops-trace-error").Count);
        Assert.Contains("error:", rows[2].TextContent);
        Assert.Equal("0", view.Find("[role=tree]").GetAttribute("tabindex"));
        Assert.Contains("next/previous error", view.Find("[data-testid=trace-keys]").TextContent);
        Assert.Equal(Id(1), Selected(view));
    }

    [Fact]
    public void KeyDown_ArrowDownAndN_MoveSelection()
    {
        var view = Render<TraceView>(p => p.Add(x => x.Trace, Agent()));
        var tree = view.Find("[role=tree]");

        tree.KeyDown(new KeyboardEventArgs { Key = "ArrowDown" });
        Assert.Equal(Id(2), Selected(view));
        view.Find("[role=tree]").KeyDown(new KeyboardEventArgs { Key = "n" });
        Assert.Equal(Id(3), Selected(view));
        view.Find("[role=tree]").KeyDown(new KeyboardEventArgs { Key = "n" });
        Assert.Equal(Id(5), Selected(view));
        view.Find("[role=tree]").KeyDown(new KeyboardEventArgs { Key = "n" });
        Assert.Equal(Id(3), Selected(view));
        view.Find("[role=tree]").KeyDown(new KeyboardEventArgs { Key = "p" });
        Assert.Equal(Id(5), Selected(view));
        view.Find("[role=tree]").KeyDown(new KeyboardEventArgs { Key = "Home" });
        Assert.Equal(Id(1), Selected(view));
        view.Find("[role=tree]").KeyDown(new KeyboardEventArgs { Key = "ArrowUp" });
        Assert.Equal(Id(1), Selected(view));
        view.Find("[role=tree]").KeyDown(new KeyboardEventArgs { Key = "End" });
        Assert.Equal(Id(5), Selected(view));
        Assert.Contains("broken pipe", view.Find("[data-testid=span-exception]").TextContent);
    }

    [Fact]
    public void Select_RetrievalSpan_ShowsDocuments()
    {
        var view = Render<TraceView>(p => p.Add(x => x.Trace, Agent()).Add(x => x.SelectedSpanId, Id(2)));

        var doc = view.Find("[data-testid=retrieval-document]");
        Assert.Contains("Refund policy", doc.TextContent);
        Assert.Contains("score 0.92", doc.TextContent);
        Assert.Contains("Refunds within 14 days.", doc.TextContent);
        Assert.Equal("https://help.example/refunds", doc.QuerySelector("a")!.GetAttribute("href"));
        Assert.Equal("refund window", view.Find("[data-testid=retrieval-query]").TextContent);
    }

    [Fact]
    public void Click_ToolSpan_ShowsArgumentsPrettyAndResult()
    {
        var view = Render<TraceView>(p => p.Add(x => x.Trace, Agent()));

        view.FindAll("[role=treeitem]")[2].Click();

        Assert.Equal("{\n  \"order\": 42\n}", view.Find("[data-testid=tool-arguments]").TextContent.ReplaceLineEndings("\n"));
        Assert.Equal("timeout", view.Find("[data-testid=tool-result]").TextContent);
        Assert.Equal("error", view.Find("[data-testid=span-status]").TextContent.Trim());
    }

    [Fact]
    public void Render_NoSpans_EmptyStateNamesTheTrace()
    {
        var view = Render<TraceView>(p => p.Add(x => x.Trace, Trace()));

        Assert.Contains($"No spans were stored for trace {TraceId}", view.Find("[data-testid=trace-empty]").TextContent);
        Assert.Empty(view.FindAll("[role=tree]"));
    }

    [Fact]
    public void Render_TraceAtTheLimit_SaysSo()
    {
        var spans = Enumerable.Range(1, SpanLimits.MaxSpansPerTrace).Select(i => Span(Id(i), i == 1 ? null : Id(1), i, i + 1)).ToArray();

        var view = Render<TraceView>(p => p.Add(x => x.Trace, Trace(spans)));

        Assert.Contains("1,000", view.Find("[data-testid=trace-limit]").TextContent);
    }
}
