using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpsConsole.Client;

namespace OpsConsole.E2E;

/// <summary>
/// Issue 16: two console processes on one PostgreSQL and one Redis, driven in real Chromium. What one
/// instance does reaches people and clients connected to the other; writes from both never fork the
/// audit chain; Hangfire runs a schedule once across both.
/// </summary>
[Trait("Category", "TwoInstance")]
public sealed class TwoInstanceJourneyTests(TwoInstanceFixture two, ITestOutputHelper output) : IClassFixture<TwoInstanceFixture>
{
    private const string Invoice = "invoice-field-extraction";

    // The thousand decisions work on another path, so the queues of the other journeys stay short.
    private const string Support = "support-reply-draft";

    private static JsonObject Event(string id, string path) => new()
    {
        ["eventId"] = id,
        ["path"] = path,
        ["occurredAt"] = DateTime.UtcNow.AddSeconds(-1).ToString("O"),
        ["confidence"] = 0.01,
        ["outcome"] = "ok",
        ["input"] = "Invoice from Acme, total 1,200 EUR",
        ["output"] = "{\"supplier\":\"Acme\",\"total\":1200}",
        ["modelVersion"] = "extractor-two",
    };

    private static async Task PostAsync(ConsoleProcess instance, IEnumerable<string> ids, string path = Invoice)
    {
        using var response = await EventsApi.PostAsync(instance.BaseUrl, EventsApi.DemoKey, ids.Select(id => Event(id, path)));
        Assert.True(response.IsSuccessStatusCode, $"POST /api/v1/events answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private static ILocator Row(IPage page, string eventId) => page.Locator("[data-testid=queue-row]", new() { HasTextString = eventId });

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    [Fact]
    public async Task KillSwitch_FlippedOnA_ClientConnectedToBAnswersOffWithinASecond()
    {
        await using var client = await OpsConsoleClient.StartAsync(new OpsConsoleClientOptions { BaseUrl = new Uri(two.B.BaseUrl), ApiKey = EventsApi.DemoKey }, TestContext.Current.CancellationToken);
        Assert.True(client.IsEnabled(Invoice, "u-1")); // invoice-field-extraction is at 100 %
        // An owner's page of the path is open on B while on-call works on A.
        var watcher = await two.NewPageAsync(two.B);
        await watcher.SignedInAsync("owner@opsconsole.local", $"/paths/{Invoice}");
        await watcher.Locator("[data-testid=kill-state]", new() { HasTextString = "Live" }).WaitForAsync();

        var page = await two.NewPageAsync(two.A);
        await page.SignedInAsync("oncall@opsconsole.local", $"/paths/{Invoice}");
        await page.ClickAsync("[data-testid=kill-panel] [data-testid=kill-switch]");
        await page.TypeKillReasonAsync("two-instance journey: totals wrong");

        // The client is watched from the click on: when did A say "Killed", when did B's client answer off?
        var clock = Stopwatch.StartNew();
        var clientOff = Task.Run(async () =>
        {
            while (client.IsEnabled(Invoice, "u-1"))
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new TimeoutException("The client connected to B still answered on 30 s after the kill switch was confirmed on A.");
                }
                await Task.Delay(5);
            }
            return clock.Elapsed;
        });
        await page.ClickAsync("[data-testid=confirm-kill]");
        await page.Locator("[data-testid=kill-state]", new() { HasTextString = "Killed" }).WaitForAsync();
        var shownOnA = clock.Elapsed;
        var offOnB = await clientOff;
        output.WriteLine($"kill switch: confirmed on A, shown on A after {shownOnA.TotalMilliseconds:0} ms; client on B answered off after {offOnB.TotalMilliseconds:0} ms ({(offOnB - shownOnA).TotalMilliseconds:0} ms after A showed it)");
        Assert.True(offOnB - shownOnA <= TimeSpan.FromSeconds(1), $"The client on B answered off {(offOnB - shownOnA).TotalMilliseconds:0} ms after A showed the switch: more than 1 s.");
        Assert.False(client.IsEnabled(Invoice, "u-1"));

        // The page open on B changed without a reload.
        await watcher.Locator("[data-testid=kill-state]", new() { HasTextString = "Killed" }).WaitForAsync(new() { Timeout = 5000 });
        await watcher.ScreenshotAsync("two-instance-kill-switch-on-b");

        // Restored on A: on again on B.
        await page.ClickAsync("[data-testid=kill-panel] [data-testid=kill-switch]");
        await page.TypeKillReasonAsync("two-instance journey: restored");
        await page.ClickAsync("[data-testid=confirm-kill]");
        await page.Locator("[data-testid=kill-state]", new() { HasTextString = "Live" }).WaitForAsync();
        var restored = Stopwatch.StartNew();
        while (!client.IsEnabled(Invoice, "u-1"))
        {
            Assert.True(restored.Elapsed < TimeSpan.FromSeconds(5), "The client on B did not see the switch restored on A within 5 s.");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
        await page.Context.CloseAsync();
        await watcher.Context.CloseAsync();
    }

    [Fact]
    public async Task Queue_OpenOnB_ShowsAnItemArrivingAndBeingClaimedOnA_WithoutReload()
    {
        var id = NewId("two-q");
        var onB = await two.NewPageAsync(two.B);
        await onB.SignedInAsync("owner2@opsconsole.local", $"/review?path={Invoice}");
        await onB.Locator("[data-testid=queue-keys]").WaitForAsync();
        var onA = await two.NewPageAsync(two.A);
        await onA.SignedInAsync("reviewer@opsconsole.local", $"/review?path={Invoice}");
        await onA.Locator("[data-testid=queue-keys]").WaitForAsync();

        // Posted to A: B's open queue shows it.
        await PostAsync(two.A, [id]);
        await Row(onB, id).WaitForAsync(new() { Timeout = 5000 });
        await Row(onA, id).WaitForAsync(new() { Timeout = 5000 });

        // Claimed on A by opening it: B's queue says who holds it, without a reload.
        await Row(onA, id).ClickAsync();
        await onA.Locator("[data-testid=review-state]", new() { HasTextString = "claimed by you" }).WaitForAsync();
        var claimed = Stopwatch.StartNew();
        await Row(onB, id).Locator("[data-testid=queue-status]", new() { HasTextString = "claimed by reviewer@opsconsole.local" }).WaitForAsync(new() { Timeout = 2000 });
        output.WriteLine($"claim made on A shown in B's queue {claimed.ElapsedMilliseconds} ms after A showed it");
        await onB.ScreenshotAsync("two-instance-queue-on-b-claimed-on-a");
        await onA.Context.CloseAsync();
        await onB.Context.CloseAsync();
    }

    [Fact]
    public async Task ClaimRace_ReviewersOnAAndOnBClaimOneItem_ExactlyOneWins()
    {
        var id = NewId("two-race");
        await PostAsync(two.B, [id]);
        var onA = await two.NewPageAsync(two.A);
        await onA.SignedInAsync("reviewer@opsconsole.local", $"/review?path={Invoice}");
        await Row(onA, id).WaitForAsync();
        var itemUrl = "/review/" + await Row(onA, id).GetAttributeAsync("data-item");
        var onB = await two.NewPageAsync(two.B);
        await onB.SignedInAsync("owner2@opsconsole.local", itemUrl);
        await onA.OpenAsync(itemUrl);
        await onA.Locator("[data-testid=claim]").WaitForAsync();
        await onB.Locator("[data-testid=claim]").WaitForAsync();

        await Task.WhenAll(onA.ClickAsync("[data-testid=claim]"), onB.ClickAsync("[data-testid=claim]"));

        // Each page ends up saying who holds the item, and it is the same person on both.
        var states = new[] { onA, onB }.Select(p => p.Locator("[data-testid=review-state]")).ToArray();
        await Assertions.Expect(states[0]).ToContainTextAsync("claimed by", new() { Timeout = 10_000 });
        await Assertions.Expect(states[1]).ToContainTextAsync("claimed by", new() { Timeout = 10_000 });
        var winners = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var text = await states[i].TextContentAsync() ?? "";
            if (text.Contains("claimed by you", StringComparison.Ordinal))
            {
                winners.Add(i == 0 ? "reviewer@opsconsole.local" : "owner2@opsconsole.local");
            }
        }
        Assert.Single(winners);
        var loser = winners[0] == "reviewer@opsconsole.local" ? onB : onA;
        await Assertions.Expect(loser.Locator("[data-testid=review-state]")).ToContainTextAsync($"claimed by {winners[0]}");
        var holders = await two.QueryAsync(
            $"SELECT count(*) FROM \"ReviewItems\" r JOIN \"InferenceEvents\" e ON e.\"Id\" = r.\"EventRowId\" WHERE e.\"EventId\" = '{id}' AND r.\"ClaimedById\" IS NOT NULL",
            r => r.GetInt64(0));
        Assert.Equal(1, holders.Single());
        await loser.ScreenshotAsync("two-instance-claim-race-loser");
        await onA.Context.CloseAsync();
        await onB.Context.CloseAsync();
    }

    [Fact]
    public async Task AThousandDecisions_SplitOverBothInstances_AuditChainVerifiesOk()
    {
        const int Decisions = 1000;
        var reviewers = new (ConsoleProcess Instance, string Email)[]
        {
            (two.A, "reviewer@opsconsole.local"), (two.A, "owner@opsconsole.local"), (two.B, "owner2@opsconsole.local"), (two.B, "admin@opsconsole.local"),
        };
        // More open items than decisions, posted half to each instance.
        var ids = Enumerable.Range(0, Decisions + 100).Select(i => $"two-audit-{i:0000}-{Guid.NewGuid():N}"[..24]).ToArray();
        await PostAsync(two.A, ids[..(ids.Length / 2)], Support);
        await PostAsync(two.B, ids[(ids.Length / 2)..], Support);
        var before = await DecisionsAuditedAsync();

        var pages = new List<IPage>();
        foreach (var (instance, email) in reviewers)
        {
            var page = await two.NewPageAsync(instance);
            await page.SignedInAsync(email, $"/review?path={Support}");
            await page.FocusedAsync("[data-testid=queue-keys]");
            pages.Add(page);
        }
        var clock = Stopwatch.StartNew();
        // Each reviewer works through their share with the keyboard at once: claim next (n), approve (a).
        await Task.WhenAll(pages.Select(async (page, p) =>
        {
            var stalls = 0;
            for (var i = 0; i < Decisions / pages.Count; i++)
            {
                try
                {
                    await page.Keyboard.PressAsync("n");
                    var claimed = page.Locator("[data-testid=review-state]", new() { HasTextString = "claimed by you" });
                    try
                    {
                        await claimed.WaitForAsync(new() { Timeout = 10_000 });
                    }
                    catch (TimeoutException) when (++stalls <= 2)
                    {
                        // Seen twice in ~10 runs, unexplained: the page showed the item just decided and
                        // no message, as if "n" never arrived. A person presses it again; the test does
                        // too (twice at most per reviewer) and records what the page and the servers showed.
                        var seen = $"{reviewers[p].Email}: 'n' at {page.Url} showed no claimed item within 10 s (stall {stalls}); pressing it again.\n{await WhyStuckAsync(page)}";
                        output.WriteLine(seen);
                        await File.AppendAllTextAsync(Path.Combine(AppFixture.ArtifactsDir, "two-instance-stalls.txt"), seen + "\n");
                        await page.WaitForFunctionAsync("() => ['review-keys', 'queue-keys'].includes(document.activeElement?.dataset?.testid)");
                        await page.Keyboard.PressAsync("n");
                        await claimed.WaitForAsync();
                    }
                    await page.FocusedAsync("[data-testid=review-keys]");
                    await page.Keyboard.PressAsync("a");
                    // The item's state line, not the passing "Approved." message: that is what the next "n" starts from.
                    await page.Locator("[data-testid=review-state]", new() { HasTextString = $"approved by {reviewers[p].Email}" }).WaitForAsync();
                }
                catch (TimeoutException ex)
                {
                    await page.ScreenshotAsync($"two-instance-decisions-stuck-{p}");
                    var message = await page.Locator("[data-testid=review-message], [data-testid=queue-message]").AllTextContentsAsync();
                    var state = await page.Locator("[data-testid=review-state]").AllTextContentsAsync();
                    throw new TimeoutException($"{reviewers[p].Email} on {reviewers[p].Instance.BaseUrl}, decision {i + 1} at {page.Url}: state '{string.Join(" ", state)}', message '{string.Join(" ", message)}'\n{await WhyStuckAsync(page)}", ex);
                }
            }
        }));
        output.WriteLine($"{Decisions} decisions by {pages.Count} reviewers on two instances in {clock.Elapsed.TotalSeconds:0.0} s");

        Assert.Equal(Decisions, await DecisionsAuditedAsync() - before);
        // Both instances walk the one chain and find it whole. The admin signed in on B; the cookie
        // (per host, not per port) and the shared key ring make the same sign-in good on A.
        var admin = pages[3].Context.APIRequest;
        foreach (var instance in new[] { two.A, two.B })
        {
            var response = await admin.GetAsync($"{instance.BaseUrl}/api/v1/audit/verify");
            Assert.Equal(200, response.Status);
            var result = JsonDocument.Parse(await response.TextAsync()).RootElement;
            output.WriteLine($"verify on {instance.BaseUrl}: {result}");
            Assert.Equal("ok", result.GetProperty("status").GetString());
            Assert.True(result.GetProperty("checked").GetInt64() >= Decisions);
        }
        await pages[0].ScreenshotAsync("two-instance-after-1000-decisions");
        foreach (var page in pages)
        {
            await page.Context.CloseAsync();
        }
    }

    /// <summary>What a stuck reviewer's failure message needs: the page's circuit, the database's waits and the instances' errors.</summary>
    private async Task<string> WhyStuckAsync(IPage page)
    {
        var report = new StringBuilder();
        report.AppendLine($"error banner shown: {await page.Locator("#blazor-error-ui").IsVisibleAsync()}, reconnect dialog shown: {await page.Locator("#components-reconnect-modal").IsVisibleAsync()}, " +
            $"document loaded {await page.EvaluateAsync<double>("() => Date.now() - performance.timeOrigin") / 1000:0.0} s ago (a reload since the reviewer started?), focus on '{await page.EvaluateAsync<string>("() => document.activeElement?.dataset?.testid ?? document.activeElement?.tagName ?? ''")}'");
        var active = await two.QueryAsync(
            "SELECT application_name, state, coalesce(wait_event_type, '') || ':' || coalesce(wait_event, ''), extract(epoch FROM now() - query_start)::int, left(query, 100) FROM pg_stat_activity WHERE datname = current_database() AND state <> 'idle' AND pid <> pg_backend_pid()",
            r => $"{r.GetString(0)} {r.GetString(1)} {r.GetString(2)} {r.GetInt32(3)} s: {r.GetString(4)}");
        report.AppendLine($"busy database sessions: {active.Count}");
        var shown = await page.Locator("h1").First.TextContentAsync();
        if (long.TryParse(page.Url.Split('/')[^1].Split('?')[0], out var id))
        {
            // Which item the address names, and what the page draws: the same one, or the one before?
            var rows = await two.QueryAsync(
                $"SELECT e.\"EventId\", r.\"Status\", coalesce(r.\"ClaimedByName\", ''), coalesce(r.\"DecidedByName\", '') FROM \"ReviewItems\" r JOIN \"InferenceEvents\" e ON e.\"Id\" = r.\"EventRowId\" WHERE r.\"Id\" = {id}",
                r => $"item {id}: event {r.GetString(0)}, {r.GetString(1)}, claimed by '{r.GetString(2)}', decided by '{r.GetString(3)}'");
            report.AppendLine($"page heading: {shown}; {string.Join("; ", rows)}");
        }
        var claims = await two.QueryAsync(
            "SELECT r.\"Id\", r.\"ClaimedByName\", e.\"EventId\" FROM \"ReviewItems\" r JOIN \"InferenceEvents\" e ON e.\"Id\" = r.\"EventRowId\" WHERE r.\"Status\" = 'claimed'",
            r => $"{r.GetInt64(0)} ({r.GetString(2)}) by {r.GetString(1)}");
        report.AppendLine($"claimed now: {string.Join(", ", claims)}");
        foreach (var line in active)
        {
            report.AppendLine("  " + line);
        }
        foreach (var (name, instance) in new[] { ("A", two.A), ("B", two.B) })
        {
            var lines = instance.Log.Split('\n');
            var problems = lines.Select((line, n) => (line, n)).Where(x => x.line.StartsWith("fail:", StringComparison.Ordinal) || x.line.StartsWith("crit:", StringComparison.Ordinal) || x.line.StartsWith("warn:", StringComparison.Ordinal)).TakeLast(6);
            foreach (var (line, n) in problems)
            {
                report.AppendLine($"{name}: {string.Join('\n', lines.Skip(n).Take(6))}");
            }
        }
        return report.ToString();
    }

    private async Task<long> DecisionsAuditedAsync() =>
        (await two.QueryAsync("SELECT count(*) FROM \"AuditEntries\" WHERE \"Action\" = 'review.decide'", r => r.GetInt64(0))).Single();

    [Fact]
    public async Task Schedules_DriftCheckAndEscalationSweep_RunOncePerMinuteAcrossBoth()
    {
        // Two whole minutes with both instances up, so each job had at least two occurrences to double.
        var from = Truncate(two.BothRunningSince).AddMinutes(1);
        var until = from.AddMinutes(2);
        var wait = until.AddSeconds(20) - DateTime.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, TestContext.Current.CancellationToken);
        }
        var servers = (await two.QueryAsync("SELECT count(*) FROM hangfire.server", r => r.GetInt64(0))).Single();
        Assert.True(servers >= 2, $"Hangfire servers registered: {servers}, expected one per instance.");

        foreach (var job in new[] { "IncidentEscalationJob", "DriftCheckJob" })
        {
            // Jobs the recurring scheduler created, per job arguments and per minute of the schedule.
            var perMinute = await two.QueryAsync(
                $"""
                SELECT date_trunc('minute', createdat) AS minute, arguments::text, count(*)
                FROM hangfire.job
                WHERE invocationdata::text LIKE '%{job}%' AND createdat >= '{from:yyyy-MM-dd HH:mm:ss}+00' AND createdat < '{until:yyyy-MM-dd HH:mm:ss}+00'
                GROUP BY 1, 2 ORDER BY 1, 2
                """,
                r => (Minute: r.GetDateTime(0), Arguments: r.GetString(1), Count: r.GetInt64(2)));
            output.WriteLine($"{job}: " + string.Join("; ", perMinute.Select(m => $"{m.Minute:HH:mm} {m.Arguments} ×{m.Count}")));
            Assert.All(perMinute, m => Assert.Equal(1, m.Count));
            Assert.True(perMinute.Select(m => m.Minute).Distinct().Count() >= 2, $"{job} ran in {perMinute.Count} of the 2 minutes watched.");
        }

        // The minutely drift check of one path: one run per window, whichever instance ran it.
        var runs = await two.QueryAsync(
            $"SELECT r.\"CurrentTo\", count(*) FROM \"DriftCheckRuns\" r JOIN \"Paths\" p ON p.\"Id\" = r.\"PathId\" WHERE p.\"Slug\" = '{TwoInstanceFixture.MinutelyDriftPath}' GROUP BY 1",
            r => (Window: r.GetDateTime(0), Count: r.GetInt64(1)));
        Assert.True(runs.Count >= 2, $"{runs.Count} drift check windows recorded for {TwoInstanceFixture.MinutelyDriftPath}.");
        Assert.All(runs, w => Assert.Equal(1, w.Count));
    }

    private static DateTime Truncate(DateTime at) => new(at.Year, at.Month, at.Day, at.Hour, at.Minute, 0, DateTimeKind.Utc);
}
