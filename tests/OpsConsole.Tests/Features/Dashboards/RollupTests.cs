using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Tests.Features.Dashboards;

/// <summary>Rollups kept up by ingestion and review equal rollups recomputed from the raw data.</summary>
[Trait("Category", "Integration")]
public sealed class RollupTests : IntegrationTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Incremental_AfterIngestDuplicatesDecisionsAndReopen_EqualsRebuildFromRawData()
    {
        var r = new Random(3);
        var client = Factory.CreateClient();
        var ids = new List<string>();
        for (var batch = 0; batch < 6; batch++)
        {
            var events = new List<JsonNode>();
            for (var i = 0; i < 40; i++)
            {
                var id = $"ru-{batch}-{i}";
                ids.Add(id);
                var e = Ingest.Event(id, confidence: Math.Round(r.NextDouble(), 3), outcome: new[] { "ok", "ok", "ok", "error", "timeout", "fallback" }[r.Next(6)]);
                e["modelVersion"] = r.Next(2) == 0 ? "m-a" : "m-b";
                e["latencyMs"] = Math.Round(50 + r.NextDouble() * 3000, 1);
                e["occurredAt"] = DateTime.UtcNow.AddMinutes(-r.Next(0, 90)).ToString("O");
                // The demo path breaks down by "segment": most events carry one, some do not.
                if (r.Next(4) > 0)
                {
                    e["attributes"] = new JsonObject { ["segment"] = r.Next(3) == 0 ? "enterprise" : "smb" };
                }
                events.Add(e);
            }
            // A retried batch: every event of it again, stored and counted once.
            events.AddRange(events.Take(10).Select(e => e.DeepClone()));
            await Ingest.PostOkAsync(client, Ingest.Batch([.. events]));
        }

        var queue = Factory.Services.GetRequiredService<ReviewQueueService>();
        var items = await Db.QueryAsync(Factory, db => db.ReviewItems.OrderBy(i => i.Id).Select(i => i.Id).Take(12).ToListAsync(Ct));
        var alice = Principals.Admin("alice");
        for (var i = 0; i < items.Count; i++)
        {
            Assert.True((await queue.ClaimAsync(items[i], alice, Ct)).Succeeded);
            var decision = (i % 3) switch
            {
                0 => new DecisionInput(ReviewDecision.Approve),
                1 => new DecisionInput(ReviewDecision.Correct, "fixed text"),
                _ => new DecisionInput(ReviewDecision.Reject, null, ["hallucination"]),
            };
            Assert.True((await queue.DecideAsync(items[i], decision, alice, Ct)).Succeeded);
        }
        Assert.True((await queue.ReopenAsync(items[0], Principals.Admin("boss"), Ct)).Succeeded);
        await queue.ClaimAsync(items[0], Principals.Admin("bob"), Ct);
        Assert.True((await queue.DecideAsync(items[0], new DecisionInput(ReviewDecision.Reject, null, ["wrong-tone"]), Principals.Admin("bob"), Ct)).Succeeded);

        var dbFactory = Factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync(Ct);
        var pathId = await db.Paths.Where(p => p.Slug == "support-reply-draft").Select(p => p.Id).SingleAsync(Ct);
        var expected = await RollupRebuild.ComputeAsync(db, pathId, Ct);
        var stored = await db.PathRollups.AsNoTracking().Where(x => x.PathId == pathId).ToListAsync(Ct);

        Assert.Equal(240, stored.Where(x => x.Segment == "").Sum(x => x.Events));
        Assert.Equal(12, stored.Where(x => x.Segment == "").Sum(x => x.Approved + x.Corrected + x.Rejected));
        Assert.InRange(stored.Where(x => x.Segment != "").Sum(x => x.Events), 120, 239);
        Assert.Equal(expected.Count, stored.Count);
        foreach (var row in stored)
        {
            var e = expected[new RollupKey(row.PathId, row.ModelVersion, row.BucketStart, row.Segment)];
            Assert.Equal(
                (e.Events, e.Ok, e.Errors, e.Timeouts, e.Fallbacks, e.InputTokens, e.OutputTokens, e.RoutedLowConfidence, e.RoutedError, e.RoutedQaSample),
                (row.Events, row.Ok, row.Errors, row.Timeouts, row.Fallbacks, row.InputTokens, row.OutputTokens, row.RoutedLowConfidence, row.RoutedError, row.RoutedQaSample));
            Assert.Equal((e.Approved, e.Corrected, e.Rejected, e.QaApproved, e.QaDecided), (row.Approved, row.Corrected, row.Rejected, row.QaApproved, row.QaDecided));
            Assert.Equal(e.CostUsd, row.CostUsd, 9);
            Assert.Equal(e.Latency.ToBytes(), row.Latency);
            Assert.Equal(RollupDelta.HistogramBytes(e.Confidence), row.Confidence);
        }

        // The dashboard reads the same figures back for the window, all models and one model.
        var dashboard = Factory.Services.GetRequiredService<DashboardService>();
        var all = await dashboard.MetricsAsync(pathId, DateTime.UtcNow.AddHours(-3), DateTime.UtcNow.AddMinutes(1), null, Ct);
        var modelA = await dashboard.MetricsAsync(pathId, DateTime.UtcNow.AddHours(-3), DateTime.UtcNow.AddMinutes(1), "m-a", Ct);
        Assert.Equal(240, all.Volume);
        Assert.Equal(stored.Where(x => x.ModelVersion == "m-a" && x.Segment == "").Sum(x => x.Events), modelA.Volume);
        Assert.Equal(12, all.Decided);

        // The rebuild command produces the same rows.
        await RollupRebuild.RebuildAsync(db, pathId, Ct);
        var rebuilt = await db.PathRollups.AsNoTracking().Where(x => x.PathId == pathId).ToListAsync(Ct);
        Assert.Equal(stored.Sum(x => x.Events), rebuilt.Sum(x => x.Events));
        Assert.Equal(stored.Sum(x => x.Rejected), rebuilt.Sum(x => x.Rejected));
        Assert.Equal(stored.Where(x => x.Segment == "smb").Sum(x => x.Approved + x.Corrected + x.Rejected), rebuilt.Where(x => x.Segment == "smb").Sum(x => x.Approved + x.Corrected + x.Rejected));
    }

    [Fact]
    public async Task Overview_PathBreachingItsSlo_ListedFirst()
    {
        var dbFactory = Factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync(Ct);
        var ids = await db.Paths.ToDictionaryAsync(p => p.Slug, p => p.Id, Ct);
        var now = DateTime.UtcNow;
        var slow = new LatencySketch();
        slow.Add(9000); // invoice-field-extraction's p95 SLO is 2,500 ms
        var fast = new LatencySketch();
        fast.Add(100);
        var histogram = RollupDelta.HistogramBytes(new ConfidenceHistogram());
        db.PathRollups.AddRange(
            new PathRollup { PathId = ids["invoice-field-extraction"], BucketStart = now.AddMinutes(-10), Events = 1, Ok = 1, Latency = slow.ToBytes(), Confidence = histogram },
            new PathRollup { PathId = ids["ticket-triage"], BucketStart = now.AddMinutes(-10), Events = 1, Ok = 1, Latency = fast.ToBytes(), Confidence = histogram });
        await db.SaveChangesAsync(Ct);

        var overview = await Factory.Services.GetRequiredService<DashboardService>()
            .OverviewAsync(["ticket-triage", "support-reply-draft", "invoice-field-extraction"], now, Ct);

        Assert.Equal("invoice-field-extraction", overview[0].Slug);
        Assert.Equal(SloState.Breached, overview[0].Worst);
        Assert.Equal(SloState.NoData, overview.Single(h => h.Slug == "support-reply-draft").Worst);
    }
}
