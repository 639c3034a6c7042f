using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Ingestion;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Explorer;

namespace OpsConsole.Tests.Features.Ingestion;

[Trait("Category", "Integration")]
public sealed class EventExplorerTests : IntegrationTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private EventExplorerService Explorer => Factory.Services.GetRequiredService<EventExplorerService>();
    private int _pathId;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _pathId = await Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == "ticket-triage").Select(p => p.Id).SingleAsync(Ct));
        var events = new List<JsonNode>();
        var start = DateTime.UtcNow.AddHours(-3);
        for (var i = 0; i < 120; i++)
        {
            var e = Ingest.Event($"x-{i:D3}", path: "ticket-triage", confidence: i % 10 / 10.0, outcome: i % 15 == 0 ? "error" : "ok",
                output: i == 77 ? "Routed to the 100%_special queue" : $"queue {i % 4}");
            e["occurredAt"] = start.AddMinutes(i).ToString("O");
            e["modelVersion"] = i < 60 ? "triage-v1" : "triage-v2";
            if (i % 15 == 0)
            {
                e["errorCode"] = i < 60 ? "upstream_503" : "rate_limited";
            }
            events.Add(e);
        }
        await Ingest.PostOkAsync(Factory.CreateClient(), Ingest.Batch([.. events]));
    }

    private async Task<List<EventListItem>> AllAsync(EventQuery q, int pageSize = 25)
    {
        var all = new List<EventListItem>();
        EventCursor? cursor = null;
        do
        {
            var page = await Explorer.SearchAsync(_pathId, q, cursor, Ct, pageSize);
            all.AddRange(page.Items);
            cursor = page.Next;
        }
        while (cursor is not null);
        return all;
    }

    [Fact]
    public async Task Search_KeysetPaging_EveryEventOnceNewestFirst()
    {
        var all = await AllAsync(new EventQuery());
        Assert.Equal(120, all.Count);
        Assert.Equal(120, all.Select(e => e.Id).Distinct().Count());
        Assert.Equal("x-119", all[0].EventId);
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.OccurredAt >= p.Second.OccurredAt));
    }

    [Fact]
    public async Task Search_Filters_Combine()
    {
        Assert.Equal(8, (await AllAsync(new EventQuery { Outcome = "error" })).Count);
        Assert.Equal(60, (await AllAsync(new EventQuery { ModelVersion = "triage-v2" })).Count);
        Assert.All(await AllAsync(new EventQuery { MinConfidence = 0.3, MaxConfidence = 0.5 }), e => Assert.InRange(e.Confidence!.Value, 0.3, 0.5));
        var recent = await AllAsync(new EventQuery { From = DateTime.UtcNow.AddHours(-3).AddMinutes(100) });
        Assert.InRange(recent.Count, 19, 21);
        var routed = await AllAsync(new EventQuery { Routed = true });
        var notRouted = await AllAsync(new EventQuery { Routed = false });
        Assert.Equal(120, routed.Count + notRouted.Count);
        Assert.All(routed, e => Assert.NotNull(e.ReviewReason));
        // ticket-triage's threshold is 0.60: confidences 0.0–0.5 go to review.
        Assert.True(routed.Count >= 72);
    }

    [Fact]
    public async Task Search_ByErrorCode_AsTheDashboardLinksIt()
    {
        // Errors at i = 0, 15, 30, 45 (v1) and 60, 75, 90, 105 (v2).
        Assert.Equal(["x-045", "x-030", "x-015", "x-000"], (await AllAsync(new EventQuery { ErrorCode = "upstream_503" })).Select(e => e.EventId));
        Assert.Equal(4, (await AllAsync(new EventQuery { ErrorCode = " rate_limited " })).Count);
        Assert.Empty(await AllAsync(new EventQuery { ErrorCode = "upstream" }));
    }

    [Fact]
    public async Task Search_TextWithLikeWildcards_MatchedLiterally()
    {
        var hits = await AllAsync(new EventQuery { Text = "100%_special" });
        Assert.Equal("x-077", Assert.Single(hits).EventId);
        Assert.Empty(await AllAsync(new EventQuery { Text = "100%_xspecial" }));
    }

    [Fact]
    public async Task Get_EventOfAnotherPath_NotFound()
    {
        var id = (await Explorer.SearchAsync(_pathId, new EventQuery(), null, Ct)).Items[0].Id;
        Assert.NotNull(await Explorer.GetAsync(_pathId, id, Ct));
        var other = await Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == "support-reply-draft").Select(p => p.Id).SingleAsync(Ct));
        Assert.Null(await Explorer.GetAsync(other, id, Ct));
    }

    [Fact]
    public async Task RecentModelVersions_ListsDistinct()
    {
        Assert.Equal(["triage-v1", "triage-v2"], await Explorer.RecentModelVersionsAsync(_pathId, Ct));
    }
}
