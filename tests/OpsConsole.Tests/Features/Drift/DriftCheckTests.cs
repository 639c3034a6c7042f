using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Client;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Drift;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Notifications;
using OpsConsole.Web.Features.Webhooks;

namespace OpsConsole.Tests.Features.Drift;

/// <summary>Drift checks on rollups: one stored run per window, incidents opened once, containment once.</summary>
[Trait("Category", "Integration")]
public sealed class DriftCheckTests : IntegrationTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private DriftCheckService Drift => Factory.Services.GetRequiredService<DriftCheckService>();

    private Task<int> PathIdAsync(string slug = "ticket-triage") =>
        Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == slug).Select(p => p.Id).SingleAsync(Ct));

    /// <summary>Rollups every 15 minutes over a window (windows are slot-aligned, so none overlap): confidences centred on <paramref name="confidence"/>, latencies around <paramref name="latencyMs"/>.</summary>
    private async Task SeedAsync(int pathId, DateTime from, DateTime to, double confidence, double latencyMs, int perSlot = 10, double errorRate = 0)
    {
        var r = new Random(pathId * 31 + (int)confidence * 100);
        var rows = new List<PathRollup>();
        for (var at = from; at < to; at = at.AddMinutes(15))
        {
            var d = new RollupDelta();
            for (var i = 0; i < perSlot; i++)
            {
                var outcome = r.NextDouble() < errorRate ? "error" : "ok";
                RollupCounting.AddEvent(d, outcome, 0.001, 100, 20, latencyMs * (0.8 + 0.4 * r.NextDouble()), Math.Clamp(confidence + (r.NextDouble() - 0.5) * 0.1, 0, 1), null);
            }
            rows.Add(new PathRollup
            {
                PathId = pathId,
                ModelVersion = "m",
                BucketStart = at,
                BucketMinutes = 1,
                Events = d.Events,
                Ok = d.Ok,
                Errors = d.Errors,
                CostUsd = d.CostUsd,
                Latency = d.Latency.ToBytes(),
                Confidence = RollupDelta.HistogramBytes(d.Confidence),
            });
        }
        await Db.QueryAsync(Factory, async db =>
        {
            db.PathRollups.AddRange(rows);
            return await db.SaveChangesAsync(Ct);
        });
    }

    private async Task DriftedAsync(int pathId)
    {
        var w = DriftCheckService.WindowsAt(DateTime.UtcNow, new DriftPolicy());
        await SeedAsync(pathId, w.ReferenceFrom, w.ReferenceTo, confidence: 0.85, latencyMs: 300);
        await SeedAsync(pathId, w.CurrentFrom, w.CurrentTo, confidence: 0.45, latencyMs: 900);
    }

    [Fact]
    public void Windows_NormalisedToTheSlot_ReferenceIsTheWeekBefore()
    {
        var policy = new DriftPolicy();
        var a = DriftCheckService.WindowsAt(new DateTime(2026, 11, 23, 10, 14, 59, DateTimeKind.Utc), policy);
        var b = DriftCheckService.WindowsAt(new DateTime(2026, 11, 23, 10, 0, 1, DateTimeKind.Utc), policy);
        Assert.Equal(a, b); // anywhere in one 15-minute slot: the same windows
        Assert.Equal(new DateTime(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc), a.CurrentTo);
        Assert.Equal(a.CurrentTo.AddHours(-24), a.CurrentFrom);
        Assert.Equal((a.CurrentTo.AddDays(-8), a.CurrentTo.AddDays(-1), "rolling"), (a.ReferenceFrom, a.ReferenceTo, a.ReferenceKind));
        var pinned = DriftCheckService.WindowsAt(a.CurrentTo, new DriftPolicy { PinnedFrom = new DateTime(2026, 10, 1), PinnedTo = new DateTime(2026, 10, 8) });
        Assert.Equal(("pinned", new DateTime(2026, 10, 1)), (pinned.ReferenceKind, pinned.ReferenceFrom));
    }

    [Theory]
    [InlineData(1, "* * * * *", 10, 14)]
    [InlineData(5, "*/5 * * * *", 10, 10)]
    [InlineData(60, "0 * * * *", 10, 0)]
    [InlineData(45, "*/30 * * * *", 10, 0)] // an older stored interval: the largest allowed one below it
    public void Interval_SetsTheCronAndTheSlotTheWindowsEndOn(int minutes, string cron, int hour, int minute)
    {
        Assert.Equal(cron, DriftSchedule.CronOf(minutes));
        var w = DriftCheckService.WindowsAt(new DateTime(2026, 11, 23, 10, 14, 59, DateTimeKind.Utc), new DriftPolicy { IntervalMinutes = minutes, CurrentWindowHours = 1 });
        Assert.Equal(new DateTime(2026, 11, 23, hour, minute, 0, DateTimeKind.Utc), w.CurrentTo);
        Assert.Equal(w.CurrentTo.AddHours(-1), w.CurrentFrom);
        Assert.Equal(w.CurrentTo.AddDays(-1), w.ReferenceTo);
    }

    [Fact]
    public async Task Check_NoData_InsufficientDataNotAnAlarm()
    {
        var run = await Drift.CheckAsync(await PathIdAsync(), Ct);
        Assert.Equal(DriftVerdicts.InsufficientData, run!.Verdict);
        Assert.All(run.Statistics, s => Assert.Equal(DriftVerdicts.InsufficientData, s.Verdict));
        Assert.Equal(0, await Db.QueryAsync(Factory, db => db.Incidents.CountAsync(Ct)));
    }

    [Fact]
    public async Task Check_SameDistributions_Ok()
    {
        var pathId = await PathIdAsync();
        var w = DriftCheckService.WindowsAt(DateTime.UtcNow, new DriftPolicy());
        await SeedAsync(pathId, w.ReferenceFrom, w.ReferenceTo, 0.85, 300);
        await SeedAsync(pathId, w.CurrentFrom, w.CurrentTo, 0.85, 300);
        var run = await Drift.CheckAsync(pathId, Ct);
        Assert.Equal(DriftVerdicts.Ok, Assert.Single(run!.Statistics, s => s.Name == "confidence PSI").Verdict);
        Assert.NotEqual(DriftVerdicts.Alert, run.Verdict);
    }

    [Fact]
    public async Task Check_TwiceAndConcurrently_OneRun_AlertOpensOneIncident_AssignedToOnCall()
    {
        var pathId = await PathIdAsync();
        await DriftedAsync(pathId);

        var runs = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Drift.CheckAsync(pathId, Ct)));
        var again = await Drift.CheckAsync(pathId, Ct);

        Assert.Single(runs.Select(r => r!.Id).Append(again!.Id).Distinct());
        Assert.Equal(1, await Db.QueryAsync(Factory, db => db.DriftCheckRuns.CountAsync(Ct)));
        Assert.Equal(DriftVerdicts.Alert, again.Verdict);
        Assert.Equal(DriftVerdicts.Alert, again.Statistics.Single(s => s.Name == "confidence PSI").Verdict);
        Assert.Equal(DriftVerdicts.Alert, again.Statistics.Single(s => s.Name == "latency KS").Verdict);
        var incident = await Db.QueryAsync(Factory, db => db.Incidents.SingleAsync(Ct));
        Assert.Equal(("drift", IncidentStatuses.Triggered, await Principals.IdOfAsync(Factory, "oncall@opsconsole.local")), (incident.Cause, incident.Status, incident.AssigneeUserId));
        // The on-call person hears of it.
        Assert.True(await Db.QueryAsync(Factory, db => db.Notifications.AnyAsync(n => n.UserId == incident.AssigneeUserId && n.Kind == "incident", Ct)));
        // The incident's page links the run that raised it.
        var detail = await Factory.Services.GetRequiredService<IncidentQueries>().GetAsync(incident.Id, Ct);
        Assert.Equal(again.Id, detail!.RaisedByRunId);
    }

    [Fact]
    public async Task Raise_SecondAlert_AppendsToTheOpenIncident_NewOneOnlyAfterResolve()
    {
        var pathId = await PathIdAsync();
        var incidents = Factory.Services.GetRequiredService<IncidentService>();
        var first = await incidents.RaiseAsync(pathId, "drift", "Drift", "SEV2", "drift", "first alert", contain: false, Ct);
        var second = await incidents.RaiseAsync(pathId, "drift", "Drift", "SEV2", "drift", "second alert", contain: false, Ct);
        var otherCause = await incidents.RaiseAsync(pathId, "slo:p95", "p95", "SEV3", "slo", "slow", contain: false, Ct);

        Assert.True(first.Opened);
        Assert.False(second.Opened);
        Assert.Equal(first.IncidentId, second.IncidentId);
        Assert.NotEqual(first.IncidentId, otherCause.IncidentId);
        var timeline = await Db.QueryAsync(Factory, db => db.IncidentEntries.Where(e => e.IncidentId == first.IncidentId).OrderBy(e => e.Id).Select(e => e.Text).ToListAsync(Ct));
        Assert.Equal(["first alert", "second alert"], timeline);

        await Db.QueryAsync(Factory, db => db.Incidents.Where(i => i.Id == first.IncidentId).ExecuteUpdateAsync(s => s.SetProperty(i => i.Status, IncidentStatuses.Resolved), Ct));
        Assert.True((await incidents.RaiseAsync(pathId, "drift", "Drift", "SEV2", "drift", "after resolve", contain: false, Ct)).Opened);
    }

    [Fact]
    public async Task Containment_OnDriftAlert_KillSwitchOnce_DecisionOff_Audited()
    {
        var pathId = await PathIdAsync();
        await Db.QueryAsync(Factory, async db =>
        {
            var path = await db.Paths.SingleAsync(p => p.Id == pathId, Ct);
            path.Drift.ContainOnDriftAlert = true;
            return await db.SaveChangesAsync(Ct);
        });
        await DriftedAsync(pathId);
        var version = await Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Id == pathId).Select(p => p.ConfigVersion).SingleAsync(Ct));

        await Drift.CheckAsync(pathId, Ct);
        // A later alert while contained adds to the timeline and does not flip again.
        var again = await Factory.Services.GetRequiredService<IncidentService>().RaiseAsync(pathId, "drift", "Drift", "SEV2", "drift", "still drifting", contain: true, Ct);

        Assert.False(again.Contained);
        var path = await Db.QueryAsync(Factory, db => db.Paths.AsNoTracking().SingleAsync(p => p.Id == pathId, Ct));
        Assert.True(path.KillSwitchOn);
        Assert.Equal(("system", version + 1), (path.KillSwitchBy, path.ConfigVersion));
        using var api = Factory.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Ingest.DemoKey);
        var d = await api.GetFromJsonAsync<Decision>("/api/v1/paths/ticket-triage/decision?unit=u-1", Ct);
        Assert.Equal((false, DecisionReasons.KillSwitch), (d!.Enabled, d.Reason));
        var audit = await Db.QueryAsync(Factory, db => db.AuditEntries.Where(a => a.PathSlug == "ticket-triage" && a.Action == "path.kill").ToListAsync(Ct));
        Assert.Equal("system", Assert.Single(audit).ActorName);
        var kinds = await Db.QueryAsync(Factory, db => db.IncidentEntries.Select(e => e.Kind).ToListAsync(Ct));
        Assert.Equal(1, kinds.Count(k => k == "contained"));
        // The owners who chose the policy hear of the automatic action.
        var ownerId = await Principals.IdOfAsync(Factory, "owner@opsconsole.local");
        Assert.Equal(1, await Db.QueryAsync(Factory, db => db.Notifications.CountAsync(n => n.UserId == ownerId && n.Kind == "automatic-action", Ct)));
    }

    [Fact]
    public async Task Containment_ToAPercentage_RolloutLoweredOnce_KillSwitchUntouched_Audited()
    {
        var pathId = await PathIdAsync(); // ticket-triage starts at 50 %
        await Db.QueryAsync(Factory, async db =>
        {
            var path = await db.Paths.SingleAsync(p => p.Id == pathId, Ct);
            path.Drift.ContainOnDriftAlert = true;
            path.Drift.ContainToPercent = 10;
            (path.WebhookUrl, path.WebhookSecret) = ("https://hooks.example.org/ops", "webhook-secret-0123456789");
            return await db.SaveChangesAsync(Ct);
        });
        var version = await Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Id == pathId).Select(p => p.ConfigVersion).SingleAsync(Ct));
        var incidents = Factory.Services.GetRequiredService<IncidentService>();

        var first = await incidents.RaiseAsync(pathId, "drift", "Drift", "SEV2", "drift", "drifting", contain: true, Ct);
        var again = await incidents.RaiseAsync(pathId, "drift", "Drift", "SEV2", "drift", "still drifting", contain: true, Ct);

        Assert.Equal((true, false), (first.Contained, again.Contained));
        var path = await Db.QueryAsync(Factory, db => db.Paths.AsNoTracking().SingleAsync(p => p.Id == pathId, Ct));
        Assert.Equal((10, false, version + 1), (path.RolloutPercent, path.KillSwitchOn, path.ConfigVersion));
        Assert.NotNull(path.RolloutChangedAt);
        var audit = Assert.Single(await Db.QueryAsync(Factory, db => db.AuditEntries.Where(a => a.PathSlug == "ticket-triage" && a.Action == "rollout.decrease").ToListAsync(Ct)));
        Assert.Equal("system", audit.ActorName);
        Assert.Contains("rollout lowered to 10 %", audit.AfterJson);
        var hook = Assert.Single(await Db.QueryAsync(Factory, db => db.WebhookDeliveries.Where(d => d.Event == "killswitch.changed").Select(d => d.PayloadJson).ToListAsync(Ct)));
        Assert.Contains("\"rolloutPercent\":10", hook);
        Assert.Contains("\"killSwitch\":false", hook);
    }

    [Fact]
    public async Task SloBreach_OnTwoConsecutiveChecks_OpensOneSloIncident_NotOnOne()
    {
        var pathId = await PathIdAsync(); // ticket-triage: p95 SLO 800 ms
        var w = DriftCheckService.WindowsAt(DateTime.UtcNow, new DriftPolicy());
        await SeedAsync(pathId, w.CurrentFrom.AddMinutes(-15), w.CurrentTo, confidence: 0.85, latencyMs: 1500);

        await Drift.CheckAsync(pathId, Ct); // the first check sees the breach once: no SLO incident yet
        Assert.False(await Db.QueryAsync(Factory, db => db.Incidents.AnyAsync(i => i.Cause == "slo:p95", Ct)));

        // The check of the slot before had run too (as it would have 15 minutes earlier).
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
                Verdict = DriftVerdicts.Ok
            });
            await db.DriftCheckRuns.Where(r => r.CurrentTo == w.CurrentTo).ExecuteDeleteAsync(Ct);
            return await db.SaveChangesAsync(Ct);
        });
        await Drift.CheckAsync(pathId, Ct);

        var incident = await Db.QueryAsync(Factory, db => db.Incidents.SingleAsync(i => i.Cause == "slo:p95", Ct));
        Assert.Equal(("slo", "SEV3"), (incident.Source, incident.Severity));
    }

    [Theory]
    [InlineData(40, 0.50, 0.01, true)]   // half the last slot failed against 1 % over the day
    [InlineData(40, 0.04, 0.00, false)]  // under 5 %: noise
    [InlineData(40, 0.10, 0.05, false)]  // not three times the day's rate
    [InlineData(10, 0.90, 0.00, false)]  // too few events to mean anything
    public void ErrorSpike_Thresholds(long events, double slotRate, double dayRate, bool spike)
    {
        static PathMetrics M(long volume, double rate) => new(volume, 0, null, 0, null, null, null, null, null, null, null, 0, null, null, volume > 0 ? rate : null, null, null, new long[20]);
        Assert.Equal(spike, DriftCheckService.IsErrorSpike(M(events, slotRate), M(1000, dayRate)));
    }

    [Fact]
    public async Task Job_ThrowsAfterStoringTheRun_RetryRaisesTheIncident_StillOneRun()
    {
        var pathId = await PathIdAsync();
        await DriftedAsync(pathId);
        // The incident write fails this time (as a database hiccup would): the job throws after storing its run.
        await Db.ExecuteAsync(Factory, TestDatabase.IsPostgres
            ? "CREATE FUNCTION fail_incidents() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$; " +
              "CREATE TRIGGER fail_incidents BEFORE INSERT ON Incidents FOR EACH ROW EXECUTE FUNCTION fail_incidents();"
            : "CREATE TRIGGER fail_incidents BEFORE INSERT ON Incidents BEGIN SELECT RAISE(ABORT, 'injected failure'); END;");
        var job = Factory.Services.GetRequiredService<DriftCheckJob>();
        await Assert.ThrowsAnyAsync<Exception>(() => job.RunAsync(pathId, Ct));
        Assert.False(await Db.QueryAsync(Factory, db => db.DriftCheckRuns.Select(r => r.Handled).SingleAsync(Ct)));

        // Hangfire retries the job: the stored run is picked up and its incident raised.
        await Db.ExecuteAsync(Factory, TestDatabase.IsPostgres ? "DROP TRIGGER fail_incidents ON Incidents;" : "DROP TRIGGER fail_incidents;");
        await job.RunAsync(pathId, Ct);
        await job.RunAsync(pathId, Ct);

        Assert.Equal(1, await Db.QueryAsync(Factory, db => db.DriftCheckRuns.CountAsync(Ct)));
        Assert.True(await Db.QueryAsync(Factory, db => db.DriftCheckRuns.Select(r => r.Handled).SingleAsync(Ct)));
        Assert.Equal(1, await Db.QueryAsync(Factory, db => db.Incidents.CountAsync(i => i.Cause == "drift", Ct)));
    }

    [Fact]
    public async Task PinBaseline_ByOwner_UsedByTheNextCheck_Audited_OthersAndShortRangesRefused()
    {
        var from = new DateTime(2026, 10, 1, 0, 0, 0, DateTimeKind.Utc);
        var viewer = await Principals.ForAsync(Factory, TestUsers.Viewer);
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);

        Assert.Contains("owners and admins", (await Drift.PinBaselineAsync("ticket-triage", from, from.AddDays(7), viewer, Ct)).Error);
        Assert.Contains("at least an hour", (await Drift.PinBaselineAsync("ticket-triage", from, from.AddMinutes(30), owner, Ct)).Error);
        Assert.Null((await Drift.PinBaselineAsync("ticket-triage", from, from.AddDays(7), owner, Ct)).Error);

        var run = await Drift.CheckAsync(await PathIdAsync(), Ct);
        Assert.Equal(("pinned", from, from.AddDays(7)), (run!.ReferenceKind, run.ReferenceFrom, run.ReferenceTo));
        var audit = Assert.Single(await Db.QueryAsync(Factory, db => db.AuditEntries.Where(a => a.Action == "drift.pin-baseline").ToListAsync(Ct)));
        Assert.Equal((TestUsers.Owner, "ticket-triage"), (audit.ActorName, audit.PathSlug));
    }

    [Fact]
    public async Task Retention_DeletesRunsPastTheRetention_KeepsEachPathsLatest()
    {
        var triage = await PathIdAsync();
        var invoice = await PathIdAsync("invoice-field-extraction");
        var now = DateTime.UtcNow;
        DriftCheckRun Run(int pathId, int daysAgo) => new()
        {
            PathId = pathId,
            CurrentTo = now.AddDays(-daysAgo),
            CurrentFrom = now.AddDays(-daysAgo - 1),
            ReferenceFrom = now.AddDays(-daysAgo - 8),
            ReferenceTo = now.AddDays(-daysAgo - 1),
            RanAt = now.AddDays(-daysAgo),
            Verdict = DriftVerdicts.Ok,
            Handled = true,
        };
        await Db.QueryAsync(Factory, db =>
        {
            db.DriftCheckRuns.AddRange(Run(triage, 120), Run(triage, 91), Run(triage, 89), Run(triage, 1), Run(invoice, 150), Run(invoice, 100));
            return db.SaveChangesAsync(Ct);
        });
        var job = Factory.Services.GetRequiredService<DriftRetentionJob>();

        Assert.Equal(3, await job.RunAsync(Ct));
        Assert.Equal(0, await job.RunAsync(Ct)); // a retry deletes nothing more

        var left = await Db.QueryAsync(Factory, db => db.DriftCheckRuns.OrderBy(r => r.CurrentTo).Select(r => new { r.PathId, r.CurrentTo }).ToListAsync(Ct));
        Assert.Equal([(invoice, 100), (triage, 89), (triage, 1)], left.Select(r => (r.PathId, (int)Math.Round((now - r.CurrentTo).TotalDays))));
    }

    [Fact]
    public async Task Queries_RunOnlyThroughItsOwnPath_PanelHasTheLatestRunsOldestFirst()
    {
        var triage = await PathIdAsync();
        // Whole seconds: PostgreSQL keeps microseconds, and the test compares what it reads back.
        var now = DateTime.UtcNow;
        var start = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc).AddDays(-1);
        await Db.QueryAsync(Factory, db =>
        {
            db.DriftCheckRuns.AddRange(Enumerable.Range(0, DriftQueries.MaxRuns + 20).Select(i => new DriftCheckRun
            {
                PathId = triage,
                CurrentTo = start.AddMinutes(i),
                CurrentFrom = start.AddMinutes(i).AddHours(-24),
                ReferenceFrom = start.AddDays(-8),
                ReferenceTo = start.AddDays(-1),
                RanAt = start.AddMinutes(i),
                Verdict = DriftVerdicts.Ok,
                Handled = true,
            }));
            return db.SaveChangesAsync(Ct);
        });
        var queries = Factory.Services.GetRequiredService<DriftQueries>();

        var panel = await queries.PanelAsync(triage, start.AddDays(-1), DateTime.UtcNow, Ct);

        Assert.Equal(DriftQueries.MaxRuns, panel.Runs.Count);
        Assert.Equal(start.AddMinutes(DriftQueries.MaxRuns + 19), panel.Runs[^1].CurrentTo);
        Assert.Equal(start.AddMinutes(20), panel.Runs[0].CurrentTo);
        Assert.Equal(panel.Runs[^1].Id, panel.Latest!.Id);
        var id = panel.Latest.Id;
        Assert.NotNull(await queries.RunAsync("ticket-triage", id, Ct));
        Assert.Null(await queries.RunAsync("invoice-field-extraction", id, Ct)); // another path's address does not show it
    }

    [Fact]
    public async Task Retention_ShorterThanTheReferenceWeek_RefusedAtStart()
    {
        await using var factory = new OpsConsoleFactory().With("OpsConsole:Drift:RetentionDays", "3");
        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains("OpsConsole:Drift:RetentionDays must be at least 8", error.ToString());
    }

    [Fact]
    public async Task DemoTriageModelChange_DetectedByTheCheck()
    {
        // The demo generator's own ticket-triage traffic: triage-v1 for the reference week, triage-v2 in the last day.
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var generator = new OpsConsole.Web.Features.Demo.DemoTrafficGenerator(new Random(7), clock, clock.GetUtcNow().UtcDateTime, TimeSpan.FromDays(1));
        var w = DriftCheckService.WindowsAt(DateTime.UtcNow, new DriftPolicy());
        JsonNode[] Triage(DateTime from, DateTime to, int count)
        {
            var list = new List<JsonNode>();
            var step = (to - from) / count;
            while (list.Count < count)
            {
                var e = generator.Next(from + step * list.Count);
                if ((string?)e["path"] == "ticket-triage")
                {
                    e["occurredAt"] = (from + step * list.Count).ToString("O");
                    list.Add(e);
                }
            }
            return [.. list];
        }
        var client = Factory.CreateClient();
        foreach (var chunk in Triage(w.ReferenceFrom, w.ReferenceTo, 600).Chunk(300))
        {
            await Ingest.PostOkAsync(client, Ingest.Batch(chunk));
        }
        clock.Advance(TimeSpan.FromDays(2)); // past the generator's switch
        foreach (var chunk in Triage(w.CurrentFrom, w.CurrentTo, 400).Chunk(200))
        {
            await Ingest.PostOkAsync(client, Ingest.Batch(chunk));
        }

        var run = await Drift.CheckAsync(await PathIdAsync(), Ct);

        Assert.Equal(DriftVerdicts.Alert, run!.Verdict);
        Assert.Equal(DriftVerdicts.Alert, run.Statistics.Single(s => s.Name == "confidence PSI").Verdict);
        Assert.True(await Db.QueryAsync(Factory, db => db.Incidents.AnyAsync(i => i.Cause == "drift", Ct)));
    }
}
