using System.Text.Json.Nodes;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Explorer;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure.Security;
using OpsConsole.Web.Features.Traces;
using Microsoft.AspNetCore.Components;
using OpsConsole.Web.Data;

namespace OpsConsole.Tests.Components;

/// <summary>The event page rendered by bUnit on the real services and database: the event as the AI service sent it.</summary>
[Trait("Category", "Integration")]
public sealed class EventDetailPageTests : ComponentTestBase, IAsyncLifetime
{
    private readonly OpsConsoleFactory _factory = new();

    public ValueTask InitializeAsync()
    {
        foreach (var type in new[] { typeof(PathCatalog), typeof(EventExplorerService), typeof(OpsConsole.Web.Features.Traces.TraceQueries) })
        {
            Services.AddSingleton(type, _factory.Services.GetRequiredService(type));
        }
        SignedInAs(AppRoles.Admin);
        return ValueTask.CompletedTask;
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await base.DisposeAsync();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task Open_SentInputOutputAndSources_ShownAsText_OnlyTheHttpLinkClickable()
    {
        var id = "bunit-" + Guid.NewGuid().ToString("N");
        var e = Ingest.Event(id, input: "{\"ticket\": \"<b>refund</b>\"}", output: "We refund within 14 days.");
        e["sources"] = new JsonArray(
            new JsonObject { ["title"] = "Refund policy", ["url"] = "https://help.example/refunds", ["snippet"] = "Paid within 14 days." },
            new JsonObject { ["title"] = "<script>alert(1)</script>", ["url"] = "javascript:alert(1)" });
        await Ingest.PostOkAsync(_factory.CreateClient(), Ingest.Batch(e));
        var row = await Db.QueryAsync(_factory, db => db.InferenceEvents.Where(x => x.EventId == id).Select(x => x.Id).SingleAsync());

        var page = Render<EventDetailPage>(p => p.Add(x => x.Slug, "support-reply-draft").Add(x => x.Id, row));
        page.WaitForAssertion(() => page.Find("[data-testid=event-id]"));

        Assert.Equal("{\"ticket\": \"<b>refund</b>\"}", page.Find("[data-testid=event-input]").TextContent);
        Assert.Equal("We refund within 14 days.", page.Find("[data-testid=event-output]").TextContent);
        var sources = page.Find("[data-testid=event-sources]");
        Assert.Equal("Sources", sources.QuerySelector("h2")!.TextContent);
        Assert.Equal(["https://help.example/refunds"], sources.QuerySelectorAll("a").Select(a => a.GetAttribute("href")));
        Assert.Contains("<script>alert(1)</script>", sources.TextContent);
        Assert.Contains("javascript:alert(1)", sources.TextContent);
        Assert.Empty(page.FindAll("script"));
        Assert.Contains("mud-grid-item-xs-12", sources.ParentElement!.ClassName);
    }

    [Fact]
    public async Task Open_TabTraceWithScores_TraceTabShowsOwnSpanSelected_ScoresListed()
    {
        var pathId = await Db.QueryAsync(_factory, db => db.Paths.Where(p => p.Slug == "support-reply-draft").Select(p => p.Id).SingleAsync());
        var eventId = "traced-" + Guid.NewGuid().ToString("N");
        var traceId = Guid.NewGuid().ToString("N");
        var at = DateTime.UtcNow;
        var start = (at - DateTime.UnixEpoch).Ticks * 100;
        await using (var db = await _factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Xunit.TestContext.Current.CancellationToken))
        {
            db.InferenceEvents.Add(new InferenceEvent { PathId = pathId, EventId = eventId, TraceId = traceId, OccurredAt = at, ReceivedAt = at, Outcome = Outcomes.Ok });
            db.TraceSpans.AddRange(
                new TraceSpan { TraceId = traceId, SpanId = "00000000000000a1", PathId = pathId, Name = "invoke_agent", StartUnixNano = start, EndUnixNano = start + 9_000_000, StartedAt = at, ReceivedAt = at },
                new TraceSpan { TraceId = traceId, SpanId = "00000000000000a2", ParentSpanId = "00000000000000a1", PathId = pathId, Name = "chat", Operation = "chat", EventId = eventId, StartUnixNano = start + 1_000_000, EndUnixNano = start + 8_000_000, StartedAt = at, ReceivedAt = at });
            db.EventScores.Add(new EventScore { PathId = pathId, EventId = eventId, Name = "relevance", Value = 0.75, Label = "relevant", Explanation = "answers the question", ReceivedAt = at });
            await db.SaveChangesAsync(Xunit.TestContext.Current.CancellationToken);
        }
        var row = await Db.QueryAsync(_factory, db => db.InferenceEvents.Where(x => x.EventId == eventId).Select(x => x.Id).SingleAsync());
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/paths/support-reply-draft/events/{row}?tab=trace");

        var page = Render<EventDetailPage>(p => p.Add(x => x.Slug, "support-reply-draft").Add(x => x.Id, row));
        page.WaitForAssertion(() => page.Find("[data-testid=trace-tree]"));

        Assert.Contains("Trace (2 spans)", page.Find("[data-testid=event-tabs]").TextContent);
        Assert.Equal("00000000000000a2", page.Find("[role=treeitem][aria-selected=true]").GetAttribute("data-span-id"));
        Assert.Equal($"/paths/support-reply-draft/events/{row}", page.Find("[data-testid=span-event-link]").GetAttribute("href"));
        // Found and clicked in one turn of the renderer: a render in between (the page's loads finishing) would
        // retire the tab's handler id (bUnit's UnknownEventHandlerIdException, seen once in a full run on PostgreSQL).
        await page.InvokeAsync(() => page.FindAll(".mud-tab")[0].Click());
        page.WaitForAssertion(() => Assert.Contains("answers the question", page.Find("[data-testid=event-scores]").TextContent));
    }
}
