using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Drift;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Tests.Features.Dashboards;

/// <summary>Context freshness end to end: events posted through the events API, figures read back, drift and SLO on them.</summary>
[Trait("Category", "Integration")]
public sealed class ContextFreshnessIntegrationTests : IntegrationTest
{
    // support-reply-draft's registry: Help centre (SLO 1 day), Ticket (SLO 5 minutes).
    private const string Slug = "support-reply-draft";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<int> PathIdAsync() => Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == Slug).Select(p => p.Id).SingleAsync(Ct));

    private static JsonObject Cited(string id, DateTime at, params JsonObject[] sources)
    {
        var e = Ingest.Event(id, Slug);
        e["occurredAt"] = at.ToString("O");
        if (sources.Length > 0)
        {
            e["sources"] = new JsonArray(sources);
        }
        return e;
    }

    private static JsonObject Source(string system, JsonNode? updated, JsonNode? retrieved = null)
    {
        var s = new JsonObject { ["title"] = system + " article", ["system"] = system, ["sourceUpdatedAt"] = updated };
        if (retrieved is not null)
        {
            s["retrievedAt"] = retrieved;
        }
        return s;
    }

    private static string Iso(DateTime t) => t.ToString("O");

    [Fact]
    public async Task Freshness_SeededEvents_PerSourceRatesP95UnknownAndNoInfo()
    {
        var t = DateTime.UtcNow.AddHours(-2);
        t = new DateTime(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        var batch = Ingest.Batch(
            Cited("fresh-1", t, Source("Help centre", Iso(t.AddDays(-2))), Source("Ticket", Iso(t.AddMinutes(-2)))),
            Cited("fresh-2", t, Source("Ticket", Iso(t.AddMinutes(-10)))),
            Cited("fresh-3", t, Source("help centre", Iso(t.AddHours(-1))), Source("Wiki", Iso(t.AddDays(-9)))),
            Cited("fresh-4", t, Source("Wiki", Iso(t.AddDays(-1)))),
            Cited("fresh-5", t),
            Cited("fresh-6", t, Source("Ticket", Iso(t.AddMinutes(-1)), Iso(DateTime.UtcNow.AddHours(2)))),
            Cited("fresh-7", t, Source("Ticket", "last tuesday")));

        var result = await Ingest.PostOkAsync(Factory.CreateClient(), batch);

        Assert.Equal(7, result.Accepted);
        Assert.Contains("sources[0].retrievedAt", Assert.Single(result.Results[5].Warnings!));
        Assert.Contains("sources[0].sourceUpdatedAt", Assert.Single(result.Results[6].Warnings!));
        Assert.Null(result.Results[0].Warnings);

        var f = await Factory.Services.GetRequiredService<FreshnessQueries>().WindowAsync(await PathIdAsync(), t.AddMinutes(-1), t.AddMinutes(1), Ct);

        Assert.Equal((7, 2, 4, 2), (f.Events, f.WithoutInfo, f.Judged, f.StaleEvents));
        var help = f.Sources.Single(s => s.Name == "Help centre");
        Assert.Equal((2, 1, TimeSpan.FromDays(2)), (help.Events, help.Stale, help.P95Age));
        var ticket = f.Sources.Single(s => s.Name == "Ticket");
        Assert.Equal((3, 1, TimeSpan.FromMinutes(10)), (ticket.Events, ticket.Stale, ticket.P95Age));
        Assert.Equal([("Wiki", 2)], f.Unknown);
    }

    [Fact]
    public async Task StaleContextSlo_BreachedOnTwoChecks_DriftStatisticAlerts_OneIncident()
    {
        var pathId = await PathIdAsync();
        await Db.QueryAsync(Factory, async db =>
        {
            var path = await db.Paths.SingleAsync(p => p.Id == pathId, Ct);
            path.Slo = new PathSlo { P95LatencyMs = path.Slo.P95LatencyMs, MaxErrorRate = path.Slo.MaxErrorRate, MaxStaleContextRate = 0.10 };
            return await db.SaveChangesAsync(Ct);
        });
        var w = DriftCheckService.WindowsAt(DateTime.UtcNow, new DriftPolicy());
        // 120 events inside both the current window and the one checked 15 minutes before: a third built on a 30-minute-old ticket.
        var events = Enumerable.Range(0, 120).Select(i =>
        {
            var at = w.CurrentTo.AddMinutes(-60).AddSeconds(i * 10);
            return (JsonNode)Cited($"slo-{i}", at, Source("Ticket", Iso(at.AddMinutes(i % 3 == 0 ? -30 : -1))));
        }).ToArray();
        Assert.Equal(120, (await Ingest.PostOkAsync(Factory.CreateClient(), Ingest.Batch(events))).Accepted);

        var first = await Factory.Services.GetRequiredService<DriftCheckService>().CheckAsync(pathId, Ct);

        var stat = first!.Statistics.Single(s => s.Name == "stale context rate");
        Assert.Equal((DriftVerdicts.Alert, 40.0 / 120, 0.10), (stat.Verdict, stat.Value!.Value, stat.Threshold!.Value));
        Assert.Contains("Ticket", stat.Detail);
        // One check sees the breach once: no SLO incident yet.
        Assert.False(await Db.QueryAsync(Factory, db => db.Incidents.AnyAsync(i => i.Cause == IncidentCauses.SloStaleContext, Ct)));

        // The check of the slot before had run too (as it would have 15 minutes earlier); the current slot is checked again.
        await Db.QueryAsync(Factory, async db =>
        {
            db.DriftCheckRuns.Add(new DriftCheckRun
            {
                PathId = pathId,
                CurrentFrom = w.CurrentFrom.AddMinutes(-15),
                CurrentTo = w.CurrentTo.AddMinutes(-15),
                ReferenceFrom = w.ReferenceFrom.AddMinutes(-15),
                ReferenceTo = w.ReferenceTo.AddMinutes(-15),
                RanAt = DateTime.UtcNow,
                Verdict = DriftVerdicts.Ok,
            });
            await db.DriftCheckRuns.Where(r => r.PathId == pathId && r.CurrentTo == w.CurrentTo).ExecuteDeleteAsync(Ct);
            return await db.SaveChangesAsync(Ct);
        });
        await Factory.Services.GetRequiredService<DriftCheckService>().CheckAsync(pathId, Ct);
        // And once more: the open incident takes it, no second one.
        await Db.QueryAsync(Factory, db => db.DriftCheckRuns.Where(r => r.PathId == pathId && r.CurrentTo == w.CurrentTo).ExecuteDeleteAsync(Ct));
        await Factory.Services.GetRequiredService<DriftCheckService>().CheckAsync(pathId, Ct);

        var incident = Assert.Single(await Db.QueryAsync(Factory, db => db.Incidents.Where(i => i.Cause == IncidentCauses.SloStaleContext).ToListAsync(Ct)));
        Assert.Equal(("slo", "SEV3"), (incident.Source, incident.Severity));
        Assert.Contains("stale context", incident.Title);
        // Stale context is not contained automatically.
        Assert.False(await Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Id == pathId).Select(p => p.KillSwitchOn).SingleAsync(Ct)));
    }
}
