using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Metrics;

namespace OpsConsole.Tests.Features.Dashboards;

/// <summary>The dashboard's whole view on fixtures posted through the API: breakdowns, periods, queue, incidents, compaction.</summary>
[Trait("Category", "Integration")]
public sealed class DashboardServiceTests : IntegrationTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private DashboardService Dashboard => Factory.Services.GetRequiredService<DashboardService>();

    private Task<int> PathIdAsync(string slug = "support-reply-draft") =>
        Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == slug).Select(p => p.Id).SingleAsync(Ct));

    private static JsonObject At(string id, DateTime when, string model, string? segment, double confidence = 0.95, double latency = 400, string outcome = "ok")
    {
        var e = Ingest.Event(id, confidence: confidence, outcome: outcome);
        e["occurredAt"] = when.ToString("O");
        e["modelVersion"] = model;
        e["latencyMs"] = latency;
        if (segment is not null)
        {
            e["attributes"] = new JsonObject { ["segment"] = segment, ["tenant"] = "t-1" };
        }
        return e;
    }

    [Fact]
    public async Task Load_BreakdownsAddUpToTheWhole_PreviousPeriodKeptApart()
    {
        var now = DateTime.UtcNow;
        var events = new List<JsonNode>();
        // Current hour: 12 smb on m1, 6 enterprise on m2 (3 of them low confidence), 4 without the attribute.
        for (var i = 0; i < 12; i++) events.Add(At($"cur-smb-{i}", now.AddMinutes(-50 + i), "m1", "smb"));
        for (var i = 0; i < 6; i++) events.Add(At($"cur-ent-{i}", now.AddMinutes(-30 + i), "m2", "enterprise", confidence: i < 3 ? 0.2 : 0.9));
        for (var i = 0; i < 4; i++) events.Add(At($"cur-none-{i}", now.AddMinutes(-10 + i), "m1", null));
        // Previous hour: 7 events.
        for (var i = 0; i < 7; i++) events.Add(At($"prev-{i}", now.AddMinutes(-100 + i), "m1", "smb"));
        await Ingest.PostOkAsync(Factory.CreateClient(), Ingest.Batch([.. events]));
        var pathId = await PathIdAsync();
        var end = DashboardWindow.End(now, TimeSpan.FromHours(1));
        var query = new DashboardQuery(pathId, end.AddHours(-1), end, 6);

        var byAttribute = await Dashboard.LoadAsync(query with { Breakdown = Breakdown.Attribute }, Ct);
        var byModel = await Dashboard.LoadAsync(query with { Breakdown = Breakdown.ModelVersion }, Ct);
        var smbOnly = await Dashboard.LoadAsync(query with { Segment = "smb" }, Ct);
        var m2Only = await Dashboard.LoadAsync(query with { ModelVersion = "m2" }, Ct);

        Assert.Equal(22, byAttribute.Current.Volume);
        Assert.Equal(7, byAttribute.Previous.Volume);
        Assert.Equal(22, byAttribute.Series.Sum(s => s.Metrics.Volume));
        Assert.Equal(7, byAttribute.PreviousSeries.Sum(s => s.Metrics.Volume));
        Assert.Equal([("smb", 12L), ("enterprise", 6L)], byAttribute.Breakdown.Select(b => (b.Key, b.Metrics.Volume)));
        Assert.Equal([("m1", 16L), ("m2", 6L)], byModel.Breakdown.Select(b => (b.Key, b.Metrics.Volume)));
        Assert.Equal(byModel.Current.Volume, byModel.Breakdown.Sum(b => b.Metrics.Volume));
        Assert.Equal(12, smbOnly.Current.Volume);
        Assert.Equal(7, smbOnly.Previous.Volume);
        Assert.Equal(6, m2Only.Current.Volume);
        Assert.Equal(0.5, byAttribute.Breakdown.Single(b => b.Key == "enterprise").Metrics.EscalationRate);
        Assert.Equal(["m1", "m2"], byAttribute.ModelVersions);
        Assert.Equal(["enterprise", "smb"], byAttribute.Segments);
        Assert.Empty((await Dashboard.LoadAsync(query, Ct)).Breakdown);

        // The queue: every routed event (three low-confidence ones, plus any QA sample) waits for review.
        Assert.InRange(byAttribute.Current.Routed, 3, 22);
        Assert.Equal(byAttribute.Current.Routed + byAttribute.Previous.Routed, byAttribute.Queue.Open);
        Assert.NotNull(byAttribute.Queue.OldestCreatedAt);
    }

    [Fact]
    public async Task OpenIncidents_OnDashboardAndOverview_WorstFirst()
    {
        var triage = await PathIdAsync("ticket-triage");
        var now = DateTime.UtcNow;
        await Db.QueryAsync(Factory, async db =>
        {
            db.Incidents.AddRange(
                new Incident { PathId = triage, Title = "Confidence drift", Severity = "SEV2", Source = "drift", TriggeredAt = now },
                new Incident { PathId = triage, Title = "Old", Severity = "SEV3", Status = IncidentStatuses.Resolved, TriggeredAt = now.AddDays(-1), ResolvedAt = now });
            return await db.SaveChangesAsync(Ct);
        });

        var data = await Dashboard.LoadAsync(new DashboardQuery(triage, now.AddHours(-1), now, 4), Ct);
        var overview = await Dashboard.OverviewAsync(["support-reply-draft", "ticket-triage", "invoice-field-extraction"], now, Ct);

        Assert.Equal(1, data.OpenIncidents);
        // No path has data: the one with an open incident comes first.
        Assert.Equal("ticket-triage", overview[0].Slug);
        Assert.Equal(1, overview[0].OpenIncidents);
        Assert.All(overview.Skip(1), h => Assert.Equal(0, h.OpenIncidents));
    }

    [Fact]
    public async Task Compaction_KeepsEveryFigure_MergesLateEvents_RunsTwiceHarmlessly()
    {
        var now = DateTime.UtcNow;
        var r = new Random(11);
        var events = Enumerable.Range(0, 400).Select(i => (JsonNode)At($"c-{i}", now.AddMinutes(-r.Next(10, 4 * 24 * 60)), r.Next(3) == 0 ? "m2" : "m1",
            r.Next(2) == 0 ? "smb" : "enterprise", confidence: Math.Round(r.NextDouble(), 2), latency: Math.Round(20 + r.NextDouble() * 5000, 1),
            outcome: r.Next(10) == 0 ? "error" : "ok")).ToArray();
        var client = Factory.CreateClient();
        await Ingest.PostOkAsync(client, Ingest.Batch(events[..200]));
        await Ingest.PostOkAsync(client, Ingest.Batch(events[200..]));
        var pathId = await PathIdAsync();
        // Whole days, so day buckets fall entirely inside the window.
        var query = new DashboardQuery(pathId, RollupKey.Floor(now, 1440).AddDays(-5), RollupKey.Floor(now, 1440).AddDays(1), 6) { Breakdown = Breakdown.Attribute };
        var before = await Dashboard.LoadAsync(query, Ct);
        var rowsBefore = await Db.QueryAsync(Factory, db => db.PathRollups.CountAsync(x => x.PathId == pathId, Ct));
        var compaction = Factory.Services.GetRequiredService<RollupCompaction>();

        var hourCutoff = RollupKey.Floor(now.AddHours(-24), 60);
        var merged = await compaction.CompactAsync(1, 60, hourCutoff, Ct);

        Assert.True(merged > 0);
        var rows = await Db.QueryAsync(Factory, db => db.PathRollups.AsNoTracking().Where(x => x.PathId == pathId).ToListAsync(Ct));
        Assert.True(rows.Count < rowsBefore);
        Assert.DoesNotContain(rows, x => x.BucketMinutes == 1 && x.BucketStart < hourCutoff);
        Assert.Contains(rows, x => x.BucketMinutes == 60);
        AssertSame(before, await Dashboard.LoadAsync(query, Ct));
        Assert.Equal(0, await compaction.CompactAsync(1, 60, hourCutoff, Ct));

        // A late event for an hour already compacted lands in a minute bucket; the next run merges it.
        var lateAt = rows.First(x => x.BucketMinutes == 60 && x.Segment == "").BucketStart.AddMinutes(17);
        await Ingest.PostOkAsync(client, Ingest.Batch(At("late-1", lateAt, "m1", "smb")));
        Assert.Equal(2, await compaction.CompactAsync(1, 60, hourCutoff, Ct)); // the whole path's bucket and the segment's
        Assert.Equal(before.Current.Volume + 1, (await Dashboard.LoadAsync(query, Ct)).Current.Volume);

        // Hours into days: the figures of whole-day windows stay the same.
        var again = await Dashboard.LoadAsync(query, Ct);
        Assert.True(await compaction.CompactAsync(60, 1440, RollupKey.Floor(now, 1440), Ct) > 0);
        Assert.Contains(await Db.QueryAsync(Factory, db => db.PathRollups.Where(x => x.PathId == pathId).Select(x => x.BucketMinutes).Distinct().ToListAsync(Ct)), m => m == 1440);
        AssertSame(again, await Dashboard.LoadAsync(query, Ct));
    }

    private static void AssertSame(DashboardData expected, DashboardData actual)
    {
        static object Figures(PathMetrics m) => (m.Volume, m.Routed, m.Decided, m.ErrorRate, m.LatencyP50, m.LatencyP95, m.LatencyP99, Math.Round(m.CostTotal, 9), string.Join(",", m.ConfidenceHistogram));
        Assert.Equal(Figures(expected.Current), Figures(actual.Current));
        Assert.Equal(expected.Breakdown.Select(b => (b.Key, Figures(b.Metrics))), actual.Breakdown.Select(b => (b.Key, Figures(b.Metrics))));
        Assert.Equal(expected.Series.Sum(s => s.Metrics.Volume), actual.Series.Sum(s => s.Metrics.Volume));
    }

    [Fact]
    public async Task ChangingTheBreakdownAttribute_StartsTheBreakdownAfresh_RebuildRestoresIt()
    {
        var now = DateTime.UtcNow;
        await Ingest.PostOkAsync(Factory.CreateClient(), Ingest.Batch(At("b-1", now.AddMinutes(-3), "m1", "smb"), At("b-2", now.AddMinutes(-2), "m1", "enterprise")));
        var pathId = await PathIdAsync();
        var paths = Factory.Services.GetRequiredService<PathService>();
        var admin = Principals.Admin("admin");
        var path = (await paths.GetAsync("support-reply-draft", Ct))!.Path;
        var input = PathInput.From(path);
        Assert.Equal(2, await Db.QueryAsync(Factory, db => db.PathRollups.Where(x => x.PathId == pathId && x.Segment != "").SumAsync(x => x.Events, Ct)));

        input.BreakdownAttribute = "tenant";
        Assert.True((await paths.UpdateAsync("support-reply-draft", input, path.UpdatedAt, admin, Ct)).Succeeded);

        Assert.Equal(0, await Db.QueryAsync(Factory, db => db.PathRollups.CountAsync(x => x.PathId == pathId && x.Segment != "", Ct)));
        Assert.Equal(2, await Db.QueryAsync(Factory, db => db.PathRollups.Where(x => x.PathId == pathId && x.Segment == "").SumAsync(x => x.Events, Ct)));

        // The rebuild command recomputes the new attribute's breakdown over stored events; an unknown path changes nothing.
        var output = new StringWriter();
        Assert.Equal(2, await DashboardsFeature.RebuildAsync(Factory.Services, ["no-such-path"], output, Ct));
        Assert.Contains("No such path: no-such-path", output.ToString());
        Assert.Equal(0, await DashboardsFeature.RebuildAsync(Factory.Services, ["support-reply-draft"], output, Ct));
        var segments = await Db.QueryAsync(Factory, db => db.PathRollups.Where(x => x.PathId == pathId && x.Segment != "").Select(x => new { x.Segment, x.Events }).ToListAsync(Ct));
        Assert.Equal(["t-1"], segments.Select(s => s.Segment).Distinct());
        Assert.Equal(2, segments.Sum(s => s.Events));
    }

    [Theory]
    [InlineData("segment", true)]
    [InlineData("customer.tier", true)]
    [InlineData("", true)]
    [InlineData("has space", false)]
    [InlineData("ünïcode", false)]
    public void BreakdownAttribute_Validated(string name, bool valid)
    {
        var input = new PathInput { Name = "x", OwnerIds = ["o"], BreakdownAttribute = name };
        Assert.Equal(valid, !PathValidator.Validate(input, isNew: false).ContainsKey(nameof(PathInput.BreakdownAttribute)));
    }
}
