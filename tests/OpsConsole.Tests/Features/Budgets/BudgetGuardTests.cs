using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Features.Review;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Budgets;
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Notifications;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Webhooks;

namespace OpsConsole.Tests.Features.Budgets;

/// <summary>
/// Budgets against the real ingest path: spend counted in the commit, each level acted on once,
/// containment through Controls with the decision's reason, one incident per period, restore at
/// reset, concurrent bursts, and the budget API's refusals.
/// </summary>
[Trait("Category", "Integration")]
public sealed class BudgetGuardTests : IAsyncLifetime
{
    private readonly FakeClockFactory _factory = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private BudgetService Budgets => _factory.Services.GetRequiredService<BudgetService>();
    private int _n;

    public ValueTask InitializeAsync()
    {
        // Tomorrow's midday, so a test's minutes never cross a UTC midnight by accident (the clock only moves on).
        var now = _factory.Clock.GetUtcNow();
        _factory.Clock.SetUtcNow(new DateTimeOffset(now.Year, now.Month, now.Day, 12, 0, 0, TimeSpan.Zero).AddDays(1));
        _factory.CreateClient().Dispose();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    private HttpClient KeyClient()
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Ingest.DemoKey);
        return client;
    }

    private JsonObject Costly(string path, double cost, long tokens = 100)
    {
        var e = Ingest.Event($"budget-{Interlocked.Increment(ref _n)}", path);
        e["occurredAt"] = _factory.Clock.GetUtcNow().UtcDateTime.AddSeconds(-1).ToString("O");
        e["costUsd"] = cost;
        e["inputTokens"] = tokens;
        e["outputTokens"] = 0;
        return e;
    }

    private async Task SetAsync(string slug, BudgetInput input)
    {
        var admin = await Principals.ForAsync(_factory, "admin@opsconsole.local");
        var saved = await Budgets.SaveAsync(slug, input, admin, Ct);
        Assert.True(saved.Succeeded, saved.Error);
    }

    private async Task<List<BudgetCrossing>> CrossingsAsync(string slug)
    {
        var pathId = (await PathAsync(slug)).Id;
        return await Db.QueryAsync(_factory, db => db.Set<BudgetCrossing>().Where(c => c.PathId == pathId).OrderBy(c => c.Level).ToListAsync(Ct));
    }

    private Task<OperatingPath> PathAsync(string slug) => Db.QueryAsync(_factory, db => db.Paths.AsNoTracking().SingleAsync(p => p.Slug == slug, Ct));

    [Fact]
    public async Task Burst_Crosses85Then95Then100_EachActedOnOnce_DecisionSaysBudgetExhausted()
    {
        const string slug = "ticket-triage";
        await Db.ExecuteAsync(_factory, $"UPDATE Paths SET WebhookUrl = 'http://127.0.0.1:9/hook' WHERE Slug = '{slug}'");
        await SetAsync(slug, new BudgetInput(1.00, null, null, null, 85, 95, BudgetAction.KillSwitch, null, false));
        using var client = KeyClient();
        var ownerId = await Principals.IdOfAsync(_factory, "owner@opsconsole.local");
        Task<int> OwnerBudgetNotices() => Db.QueryAsync(_factory, db => db.Notifications.CountAsync(n => n.UserId == ownerId && n.Kind == NotificationKinds.Budget, Ct));

        // 0.50 + 0.36 = 0.86: the first warning, once.
        await Ingest.PostOkAsync(client, Ingest.Batch(Costly(slug, 0.50), Costly(slug, 0.36)));
        Assert.Equal([85], (await CrossingsAsync(slug)).Select(c => c.Level));
        Assert.Equal(1, await OwnerBudgetNotices());
        await Ingest.PostOkAsync(client, Ingest.Batch(Costly(slug, 0.01)));
        Assert.Equal(1, await OwnerBudgetNotices());
        // 0.96: the second warning.
        await Ingest.PostOkAsync(client, Ingest.Batch(Costly(slug, 0.09)));
        Assert.Equal([85, 95], (await CrossingsAsync(slug)).Select(c => c.Level));
        Assert.Equal(2, await OwnerBudgetNotices());
        var decision = await client.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{slug}/decision?unit=u-1", Ct);
        Assert.NotEqual("budget_exhausted", decision.GetProperty("reason").GetString());

        // 1.01: the limit. The kill switch, one incident assigned to on-call, the decision's reason.
        await Ingest.PostOkAsync(client, Ingest.Batch(Costly(slug, 0.05)));
        var crossings = await CrossingsAsync(slug);
        Assert.Equal([85, 95, 100], crossings.Select(c => c.Level));
        Assert.Equal("kill switch on", crossings[2].ActionTaken);
        var path = await PathAsync(slug);
        Assert.True(path.KillSwitchOn);
        Assert.Equal("budget", path.ContainedBy);
        var incidents = await Db.QueryAsync(_factory, db => db.Incidents.Where(i => i.PathId == path.Id).ToListAsync(Ct));
        var incident = Assert.Single(incidents);
        Assert.Equal((IncidentSources.Budget, path.OnCallUserId), (incident.Source, incident.AssigneeUserId));
        Assert.Equal(crossings[2].IncidentId, incident.Id);
        decision = await client.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{slug}/decision?unit=u-1", Ct);
        Assert.Equal((false, "budget_exhausted"), (decision.GetProperty("enabled").GetBoolean(), decision.GetProperty("reason").GetString()));
        var config = await client.GetFromJsonAsync<JsonElement>("/api/v1/config", Ct);
        var entry = config.GetProperty("paths").EnumerateArray().Single(p => p.GetProperty("slug").GetString() == slug);
        Assert.Equal("budget", entry.GetProperty("containedBy").GetString());
        // The client library, deciding locally from that snapshot, gives the same reason.
        await using (var library = await OpsConsole.Client.OpsConsoleClient.StartAsync(new OpsConsole.Client.OpsConsoleClientOptions
        {
            BaseUrl = _factory.Server.BaseAddress,
            ApiKey = Ingest.DemoKey,
            UsePush = false,
            HttpMessageHandler = _factory.Server.CreateHandler(),
        }, Ct))
        {
            var local = library.Decide(slug, "u-1");
            Assert.Equal((false, "budget_exhausted"), (local.Enabled, local.Reason));
        }

        // More spend in the same period: nothing more is recorded, contained, opened or sent.
        await Ingest.PostOkAsync(client, Ingest.Batch(Costly(slug, 0.50), Costly(slug, 0.50)));
        Assert.Equal(3, (await CrossingsAsync(slug)).Count);
        Assert.Single(await Db.QueryAsync(_factory, db => db.Incidents.Where(i => i.PathId == path.Id).ToListAsync(Ct)));
        Assert.Equal(1, await Db.QueryAsync(_factory, db => db.AuditEntries.CountAsync(a => a.Action == "path.kill" && a.PathSlug == slug, Ct)));
        var hooks = await Db.QueryAsync(_factory, db => db.Set<WebhookDelivery>().Where(d => d.PathId == path.Id).Select(d => d.Event).ToListAsync(Ct));
        Assert.Equal(2, hooks.Count(e => e == WebhookEvents.BudgetWarning));
        Assert.Equal(1, hooks.Count(e => e == WebhookEvents.BudgetExhausted));
        Assert.Equal(3, await OwnerBudgetNotices());
        var spend = await Db.QueryAsync(_factory, db => db.Set<PathSpend>().SingleAsync(s => s.PathId == path.Id && s.Period == SpendPeriods.Day, Ct));
        Assert.Equal(2.01, spend.CostUsd, 9);
        Assert.Equal(7, spend.Events);

        // On-call restores it with a reason: the budget no longer holds it, the decision's reasons are the usual ones.
        var oncall = await Principals.ForAsync(_factory, "oncall@opsconsole.local");
        var restored = await _factory.Services.GetRequiredService<ControlsService>().SetKillSwitchAsync(slug, false, path.KillSwitchAt, "Budget raised by finance", oncall, Ct);
        Assert.True(restored.Succeeded, restored.Error);
        Assert.Null((await PathAsync(slug)).ContainedBy);
        decision = await client.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{slug}/decision?unit=u-1", Ct);
        Assert.NotEqual("budget_exhausted", decision.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Duplicates_AreNotSpentTwice_AndTokensCountToo()
    {
        const string slug = "invoice-field-extraction";
        await SetAsync(slug, new BudgetInput(null, 1_000, null, null, 85, 95, BudgetAction.NotifyOnly, null, false));
        using var client = KeyClient();
        var batch = Ingest.Batch(Costly(slug, 0.01, tokens: 400), Costly(slug, 0.01, tokens: 400));
        await Ingest.PostOkAsync(client, batch);
        await Ingest.PostOkAsync(client, batch); // the same event ids again: duplicates, no spend
        var pathId = (await PathAsync(slug)).Id;
        var day = await Db.QueryAsync(_factory, db => db.Set<PathSpend>().SingleAsync(s => s.PathId == pathId && s.Period == SpendPeriods.Day, Ct));
        Assert.Equal((800L, 2L), (day.Tokens, day.Events));
        Assert.Equal([], (await CrossingsAsync(slug)).Select(c => c.Level));
        // 1,200 of 1,000 tokens: every level at once; notify only leaves the path running but opens the incident.
        await Ingest.PostOkAsync(client, Ingest.Batch(Costly(slug, 0.01, tokens: 400)));
        var crossings = await CrossingsAsync(slug);
        Assert.Equal([85, 95, 100], crossings.Select(c => c.Level));
        Assert.All(crossings, c => Assert.Equal(BudgetMath.Tokens, c.Metric));
        var path = await PathAsync(slug);
        Assert.False(path.KillSwitchOn);
        Assert.Equal(100, path.RolloutPercent);
        Assert.Null(path.ContainedBy);
        Assert.Equal(1, await Db.QueryAsync(_factory, db => db.Incidents.CountAsync(i => i.PathId == path.Id && i.Source == IncidentSources.Budget, Ct)));
    }

    [Fact]
    public async Task LowerRollout_RestoredAtTheNextDay_WhenTheOwnersChoseSo()
    {
        const string slug = "ticket-triage"; // 50 %
        await SetAsync(slug, new BudgetInput(0.10, null, null, null, 85, 95, BudgetAction.LowerRollout, 5, true));
        using var client = KeyClient();
        await Ingest.PostOkAsync(client, Ingest.Batch(Costly(slug, 0.20)));
        var path = await PathAsync(slug);
        Assert.Equal((5, "budget"), (path.RolloutPercent, path.ContainedBy));
        var crossing = (await CrossingsAsync(slug)).Single(c => c.Level == 100);
        Assert.Equal((50, "rollout lowered to 5 %"), (crossing.RolloutBefore, crossing.ActionTaken));
        // A unit outside 5 % hears why.
        var unit = Enumerable.Range(0, 1000).Select(i => "unit-" + i).First(u => OpsConsole.Client.Rollout.Bucket(slug, u) is > 5 and <= 50);
        var decision = await client.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{slug}/decision?unit={unit}", Ct);
        Assert.Equal((false, "budget_exhausted"), (decision.GetProperty("enabled").GetBoolean(), decision.GetProperty("reason").GetString()));

        var guard = _factory.Services.GetRequiredService<BudgetGuard>();
        Assert.Equal(0, await guard.RestoreAtResetAsync(Ct)); // the day is not over
        Assert.Equal(5, (await PathAsync(slug)).RolloutPercent);
        _factory.Clock.Advance(TimeSpan.FromHours(12).Add(TimeSpan.FromMinutes(1)));
        Assert.Equal(1, await guard.RestoreAtResetAsync(Ct));
        Assert.Equal(0, await guard.RestoreAtResetAsync(Ct)); // once
        path = await PathAsync(slug);
        Assert.Equal((50, (string?)null), (path.RolloutPercent, path.ContainedBy));
        Assert.Equal(1, await Db.QueryAsync(_factory, db => db.AuditEntries.CountAsync(a => a.Action == "rollout.restore" && a.PathSlug == slug && a.ActorName == "system", Ct)));
        // The new day has its own budget: spending it again acts again, with a new incident.
        await Ingest.PostOkAsync(client, Ingest.Batch(Costly(slug, 0.20)));
        Assert.Equal(5, (await PathAsync(slug)).RolloutPercent);
        Assert.Equal(2, await Db.QueryAsync(_factory, db => db.Incidents.CountAsync(i => i.PathId == path.Id && i.Source == IncidentSources.Budget, Ct)));
    }

    [Fact]
    public async Task NoRestoreAtReset_StaysContained_UntilAPersonRestores()
    {
        const string slug = "support-reply-draft";
        await SetAsync(slug, new BudgetInput(0.10, null, null, null, 85, 95, BudgetAction.KillSwitch, null, false));
        using var client = KeyClient();
        await Ingest.PostOkAsync(client, Ingest.Batch(Costly(slug, 0.20)));
        Assert.True((await PathAsync(slug)).KillSwitchOn);
        _factory.Clock.Advance(TimeSpan.FromDays(1));
        await _factory.Services.GetRequiredService<BudgetGuard>().SweepAsync(Ct);
        var path = await PathAsync(slug);
        Assert.Equal((true, "budget"), (path.KillSwitchOn, path.ContainedBy));
    }

    [Fact]
    public async Task ConcurrentBurst_TwoConnections_StopWithinOneBatchOfTheLimit()
    {
        const string slug = "invoice-field-extraction"; // 100 %: on without a unit
        await SetAsync(slug, new BudgetInput(10, null, null, null, 85, 95, BudgetAction.KillSwitch, null, false));
        const int perBatch = 4;
        const double cost = 0.25; // exact in binary: a batch is exactly $1
        async Task<int> ClientAsync()
        {
            using var client = KeyClient();
            var sent = 0;
            // A well-behaved client asks before each call and stops when the path is off for it.
            while (sent < 40)
            {
                var d = await client.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{slug}/decision", Ct);
                if (!d.GetProperty("enabled").GetBoolean())
                {
                    Assert.Equal("budget_exhausted", d.GetProperty("reason").GetString());
                    break;
                }
                await Ingest.PostOkAsync(client, Ingest.Batch([.. Enumerable.Range(0, perBatch).Select(_ => (JsonNode)Costly(slug, cost))]));
                sent++;
            }
            return sent;
        }
        var batches = await Task.WhenAll(ClientAsync(), ClientAsync());
        var pathId = (await PathAsync(slug)).Id;
        var spent = await Db.QueryAsync(_factory, db => db.Set<PathSpend>().Where(s => s.PathId == pathId && s.Period == SpendPeriods.Day).Select(s => s.CostUsd).SingleAsync(Ct));
        Assert.Equal(batches.Sum() * perBatch * cost, spent, 9);
        // $10 is reached by the 10th batch; the other connection may have had one batch on its way: at most $11.
        Assert.InRange(spent, 10, 11);
        Assert.Single(await CrossingsAsync(slug), c => c.Level == 100);
        Assert.Equal(1, await Db.QueryAsync(_factory, db => db.AuditEntries.CountAsync(a => a.Action == "path.kill" && a.PathSlug == slug, Ct)));
    }

    [Fact]
    public async Task Api_RefusesBadBudgets_WithProblemDetails_AndKeepsTheLastGood()
    {
        const string slug = "ticket-triage";
        var owner = await SignIn.AsAsync(_factory, "owner@opsconsole.local");
        using var ok = await owner.PutAsJsonAsync($"/api/v1/paths/{slug}/budget", new { dailyUsd = 5.0, action = "kill-switch" }, Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        foreach (var (body, field) in new[]
        {
            ("{\"dailyUsd\":-1}", "dailyUsd"),
            ("{\"dailyUsd\":\"NaN\"}", "dailyUsd"),
            ("{\"monthlyUsd\":\"Infinity\"}", "monthlyUsd"),
            ("{\"dailyTokens\":0}", "dailyTokens"),
            ("{\"dailyUsd\":1,\"warnPercent\":0}", "warnPercent"),
            ("{\"dailyUsd\":1,\"secondWarnPercent\":101}", "secondWarnPercent"),
            ("{\"dailyUsd\":1,\"action\":\"lower-rollout\",\"lowerToPercent\":80}", "lowerToPercent"),
            ("{\"dailyUsd\":1,\"action\":\"explode\"}", "action"),
        })
        {
            using var response = await owner.PutAsync($"/api/v1/paths/{slug}/budget", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body}: {(int)response.StatusCode}");
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{body}: {problem}");
        }
        foreach (var body in new[] { "{\"dailyUsd\":1e400}", "not json", "{\"dailyUsd\":1,\"extra\":2}", "{\"dailyUsd\":\"\\ud800\"}" })
        {
            using var response = await owner.PutAsync($"/api/v1/paths/{slug}/budget", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body}: {(int)response.StatusCode}");
        }
        var viewer = await SignIn.AsAsync(_factory, "viewer@opsconsole.local");
        using (var refused = await viewer.PutAsJsonAsync($"/api/v1/paths/{slug}/budget", new { dailyUsd = 1.0 }, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        using (var anonymous = await _factory.CreateClient().PutAsJsonAsync($"/api/v1/paths/{slug}/budget", new { dailyUsd = 1.0 }, Ct))
        {
            Assert.NotEqual(HttpStatusCode.OK, anonymous.StatusCode);
        }
        // Nothing of the refused bodies was kept: the last good budget stands.
        var got = await viewer.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{slug}/budget", Ct);
        Assert.Equal(5.0, got.GetProperty("budget").GetProperty("dailyUsd").GetDouble());
        Assert.Equal("kill-switch", got.GetProperty("budget").GetProperty("action").GetString());
        Assert.Equal(1, await Db.QueryAsync(_factory, db => db.AuditEntries.CountAsync(a => a.Action == "path.budget", Ct)));
    }
}
