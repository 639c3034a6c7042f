using System.Text.Json.Nodes;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Tests.Components;

/// <summary>The dashboard's context freshness section on the real services and database.</summary>
[Trait("Category", "Integration")]
public sealed class ContextFreshnessPanelTests : ComponentTestBase, IAsyncLifetime
{
    private readonly OpsConsoleFactory _factory = new();

    public ValueTask InitializeAsync()
    {
        _factory.CreateClient().Dispose();
        Services.AddFallbackServiceProvider(_factory.Services);
        return ValueTask.CompletedTask;
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await base.DisposeAsync();
        await _factory.DisposeAsync();
    }

    private Task<int> PathIdAsync(string slug) => Db.QueryAsync(_factory, db => db.Paths.Where(p => p.Slug == slug).Select(p => p.Id).SingleAsync());

    [Fact]
    public async Task Render_SeededEvents_RowPerSourceWithStaleRateP95AndUnknownNames()
    {
        // Whole seconds: PostgreSQL keeps microseconds, so a time with 100 ns ticks would come back a tick younger than 30 minutes.
        var t = DateTime.UtcNow.AddMinutes(-30);
        t = new DateTime(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        JsonObject E(string id, params (string System, DateTime Updated)[] sources)
        {
            var e = Ingest.Event(id);
            e["occurredAt"] = t.ToString("O");
            e["sources"] = new JsonArray(sources.Select(s => (JsonNode)new JsonObject { ["title"] = "x", ["system"] = s.System, ["sourceUpdatedAt"] = s.Updated.ToString("O") }).ToArray());
            return e;
        }
        await Ingest.PostOkAsync(_factory.CreateClient(), Ingest.Batch(
            E("p1", ("Ticket", t.AddMinutes(-30))), E("p2", ("Ticket", t.AddMinutes(-1))), E("p3", ("CRM", t)), Ingest.Event("p4")));
        var pathId = await PathIdAsync("support-reply-draft");

        var cut = Render<ContextFreshnessPanel>(p => p.Add(x => x.PathId, pathId).Add(x => x.From, t.AddHours(-1)).Add(x => x.To, t.AddHours(1))
            .Add(x => x.Slo, 0.10));

        cut.WaitForAssertion(() => cut.Find("[data-testid=freshness-table]"), TimeSpan.FromSeconds(10));
        Assert.Equal("50.0 %", cut.Find("[data-testid=freshness-stale-rate]").TextContent);
        Assert.Equal("25.0 %", cut.Find("[data-testid=freshness-no-info]").TextContent);
        Assert.Equal("over SLO", cut.Find("[data-testid=freshness-breach]").TextContent.Trim());
        var ticket = cut.FindAll("[data-testid=freshness-row]").Single(r => r.TextContent.Contains("Ticket"));
        Assert.Equal("50.0 %", ticket.QuerySelector("[data-testid=freshness-row-stale]")!.TextContent);
        Assert.StartsWith("30 min", ticket.QuerySelector("[data-testid=freshness-row-p95]")!.TextContent.Trim());
        Assert.Contains("(over)", ticket.QuerySelector("[data-testid=freshness-row-p95]")!.TextContent);
        Assert.Contains("CRM · 1", cut.Find("[data-testid=freshness-unknown]").TextContent);
    }

    [Fact]
    public async Task Render_NoRegistryOrNoData_SaysWhichIsMissing()
    {
        var pathId = await PathIdAsync("ticket-triage");
        var now = DateTime.UtcNow;
        await Db.QueryAsync(_factory, async db =>
        {
            var path = await db.Paths.SingleAsync(p => p.Id == pathId);
            path.ContextSources = [];
            return await db.SaveChangesAsync();
        });
        // An event naming a source, but without its last update: still no figures.
        var e = Ingest.Event("no-update", "ticket-triage");
        e["sources"] = new JsonArray(new JsonObject { ["title"] = "Routing rules", ["system"] = "Routing rules" });
        await Ingest.PostOkAsync(_factory.CreateClient(), Ingest.Batch(e));

        var none = Render<ContextFreshnessPanel>(p => p.Add(x => x.PathId, pathId).Add(x => x.From, now.AddHours(-1)).Add(x => x.To, now.AddMinutes(1)));
        none.WaitForAssertion(() => Assert.Contains("no context sources in its registry", none.Find("[data-testid=freshness-empty]").TextContent), TimeSpan.FromSeconds(10));

        var registered = await PathIdAsync("support-reply-draft");
        var noData = Render<ContextFreshnessPanel>(p => p.Add(x => x.PathId, registered).Add(x => x.From, now.AddHours(-1)).Add(x => x.To, now.AddMinutes(1)));
        noData.WaitForAssertion(() => Assert.Contains("No event in this range named a registered context source", noData.Find("[data-testid=freshness-empty]").TextContent), TimeSpan.FromSeconds(10));
    }
}
