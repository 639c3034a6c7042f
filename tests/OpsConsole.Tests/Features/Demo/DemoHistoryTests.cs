using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Demo;
using OpsConsole.Web.Features.Drift;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Tests.Features.Demo;

/// <summary>
/// A fresh demo gets a week of past traffic through the events API: the drift check then has a
/// reference, stays quiet while ticket-triage's traffic is unchanged and alerts after its model change.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DemoHistoryTests : IntegrationTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private DemoHistory History => Factory.Services.GetRequiredService<DemoHistory>();

    private readonly DateTime _start = DateTime.UtcNow;

    private HttpClient Client()
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Ingest.DemoKey);
        return client;
    }

    private static IEnumerable<JsonObject> Week(DemoTrafficGenerator generator, DateTime until) =>
        generator.History(until, TimeSpan.FromDays(8), TimeSpan.FromMinutes(10));

    [Fact]
    public void History_EveryPathEveryStep_BeforeTheModelChange_InThePast_FixedIds()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 10, 3, 0, TimeSpan.Zero));
        var generator = new DemoTrafficGenerator(new Random(1), clock, clock.GetUtcNow().UtcDateTime, TimeSpan.Zero); // live traffic already drifted
        var until = clock.GetUtcNow().UtcDateTime;

        var events = Week(generator, until).ToList();

        Assert.Equal(3 * 8 * 24 * 6, events.Count);
        Assert.All(events, e => Assert.InRange(DateTime.Parse((string)e["occurredAt"]!).ToUniversalTime(), until.AddDays(-8).AddMinutes(-10), until));
        Assert.All(events.Where(e => (string?)e["path"] == "ticket-triage"), e => Assert.Equal(DemoTrafficGenerator.TriageBefore, (string?)e["modelVersion"]));
        Assert.Equal(events.Count, events.Select(e => (string)e["eventId"]!).Distinct().Count());
        var again = Week(new DemoTrafficGenerator(new Random(2), clock, until, TimeSpan.Zero), until).Select(e => (string)e["eventId"]!);
        Assert.Equal(events.Select(e => (string)e["eventId"]!), again);
    }

    [Fact]
    public void ErrorBursts_CanBeSwitchedOff()
    {
        int Errors(bool bursts)
        {
            var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero));
            var generator = new DemoTrafficGenerator(new Random(5), clock, clock.GetUtcNow().UtcDateTime, TimeSpan.FromDays(1), bursts);
            var errors = 0;
            for (var second = 0; second < 6000; second++, clock.Advance(TimeSpan.FromSeconds(1)))
            {
                errors += generator.Batch(20)["events"]!.AsArray().Count(e => (string?)e!["outcome"] is "error" or "timeout");
            }
            return errors;
        }
        // 120,000 events: about 0.5 % base errors without bursts. A burst starts in 0.4 % of the seconds (about 24
        // here) and fails 35 % of one path's calls for 30 s: some 1,700 errors more, expected.
        var quiet = Errors(bursts: false);
        Assert.InRange(quiet, 300, 1000);
        var noisy = Errors(bursts: true);
        Assert.True(noisy > quiet + 1000, $"{noisy} errors with bursts, {quiet} without");
    }

    [Fact]
    public async Task FreshDemo_HistoryPostedOnce_BacklogDecidedByTheDemoReviewer()
    {
        Assert.True(await History.IsFreshAsync(Ct));
        var generator = new DemoTrafficGenerator(new Random(3), TimeProvider.System, _start, TimeSpan.FromHours(1));
        using var client = Client();

        var accepted = await DemoHistory.PostAsync(client, Week(generator, _start), Ct);
        var decided = await History.ClearBacklogAsync(_start, seed: 7, Ct);

        Assert.Equal(3 * 8 * 24 * 6, accepted);
        Assert.False(await History.IsFreshAsync(Ct));
        var items = await Db.QueryAsync(Factory, db => db.ReviewItems.GroupBy(r => r.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(Ct));
        Assert.DoesNotContain(items, i => i.Key is ReviewStatuses.Pending or ReviewStatuses.Claimed);
        Assert.Equal(decided, items.Sum(i => i.Count));
        Assert.True(decided > 100, $"only {decided} review items were routed by a week of history");
        // Mostly approvals (the paths were healthy: quality above each target), and every kind of
        // decision, each with its label and audit entry.
        var quality = await Db.QueryAsync(Factory, db => db.ReviewItems.Join(db.Paths, r => r.PathId, p => p.Id, (r, p) => new { p.Slug, p.Slo.QualityTarget, r.Status })
            .GroupBy(x => new { x.Slug, x.QualityTarget }).Select(g => new { g.Key.Slug, g.Key.QualityTarget, Approved = g.Count(x => x.Status == ReviewStatuses.Approved), All = g.Count() }).ToListAsync(Ct));
        Assert.Equal(3, quality.Count);
        Assert.All(quality, q => Assert.True((double)q.Approved / q.All > q.QualityTarget, $"{q.Slug}: {q.Approved}/{q.All} approved, target {q.QualityTarget}"));
        Assert.Contains(items, i => i.Key == ReviewStatuses.Corrected);
        Assert.Contains(items, i => i.Key == ReviewStatuses.Rejected);
        Assert.Equal(decided, await Db.QueryAsync(Factory, db => db.Labels.CountAsync(Ct)));
        Assert.Equal(decided, await Db.QueryAsync(Factory, db => db.AuditEntries.CountAsync(a => a.ActorName == DemoHistory.ReviewerEmail, Ct)));

        // Posted again (a restart mid-way): the same ids, every one a duplicate.
        Assert.Equal(0, await DemoHistory.PostAsync(client, Week(generator, _start), Ct));
    }

    [Theory]
    [InlineData(false, DriftVerdicts.Ok)]
    [InlineData(true, DriftVerdicts.Alert)]
    public async Task History_ThenLiveTraffic_DriftCheckAlertsOnlyAfterTheModelChange(bool changed, string verdict)
    {
        using var client = Client();
        var w = DriftCheckService.WindowsAt(_start, new DriftPolicy());
        var clock = new FakeTimeProvider(new DateTimeOffset(w.CurrentTo));
        var generator = new DemoTrafficGenerator(new Random(changed ? 11 : 12), clock, w.CurrentTo, changed ? TimeSpan.Zero : TimeSpan.FromDays(1));
        await DemoHistory.PostAsync(client, Week(generator, w.CurrentTo.AddHours(-1)), Ct);
        // An hour of live demo traffic (every path) up to the slot the check reads.
        var live = Enumerable.Range(0, 2400).Select(i =>
        {
            var at = w.CurrentTo.AddHours(-1).AddSeconds(i * 1.5);
            var e = generator.Next(at);
            e["occurredAt"] = at.ToString("O");
            return e;
        });
        Assert.Equal(2400, await DemoHistory.PostAsync(client, live, Ct));

        var pathId = await Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == "ticket-triage").Select(p => p.Id).SingleAsync(Ct));
        var run = await Factory.Services.GetRequiredService<DriftCheckService>().CheckAsync(pathId, Ct);

        var detail = string.Join("; ", run!.Statistics.Select(s => $"{s.Name}: {s.Verdict} {s.Detail}"));
        Assert.True(run.Verdict == verdict || (!changed && run.Verdict == DriftVerdicts.Warn), detail);
        if (changed)
        {
            Assert.Equal(DriftVerdicts.Alert, run.Statistics.Single(s => s.Name == "confidence KS").Verdict);
        }
        Assert.Equal(changed, await Db.QueryAsync(Factory, db => db.Incidents.AnyAsync(i => i.Cause == "drift", Ct)));
    }
}
