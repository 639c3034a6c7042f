namespace OpsConsole.E2E;

/// <summary>
/// The demo as a new user gets it (a week of past traffic, then live traffic), except that
/// ticket-triage's model change comes one minute after the start instead of ten and the traffic
/// is five times the default, so a scheduled check sees it within the test's patience; no error bursts.
/// </summary>
public sealed class DriftAppFixture : AppFixture
{
    protected override void Configure(IDictionary<string, string?> environment)
    {
        environment.Remove("OpsConsole__Demo__Traffic__HistoryDays"); // the demo's default history
        environment["OpsConsole__Demo__Traffic__DriftAfterMinutes"] = "1";
        environment["OpsConsole__Demo__Traffic__EventsPerSecond"] = "20";
        // A random error burst in the first minutes would (rightly) raise the drift alert on error rate
        // before the model change shows; this journey is about the model change.
        environment["OpsConsole__Demo__Traffic__ErrorBursts"] = "false";
    }
}

/// <summary>A model change caught by the scheduled drift check, contained by policy, owned and closed by on-call.</summary>
public sealed class DriftJourneyTests(DriftAppFixture app) : IClassFixture<DriftAppFixture>
{
    [Fact]
    public async Task DemoModelChange_DetectedByTheScheduledCheck_Contained_OnCallAcknowledgesAndResolves()
    {
        // The owners decided in advance: check every minute, and contain the path on a drift alert.
        var owner = await app.NewPageAsync();
        await owner.SignedInAsync("owner@opsconsole.local", "/paths/ticket-triage/edit");
        await owner.ChooseAsync("[data-testid=drift-interval]", "minute");
        await owner.GetByLabel("Contain on a drift alert").CheckAsync();
        await owner.Locator("[data-testid=drift-policy]").ScrollIntoViewIfNeededAsync();
        await owner.ScreenshotAsync("drift-policy-form");
        await owner.ClickAsync("[data-testid=save-path]");
        await owner.WaitForURLAsync("**/paths/ticket-triage");

        // On-call watches the incident list; nothing is raised by hand in this console.
        var oncall = await app.NewPageAsync();
        await oncall.SignedInAsync("oncall@opsconsole.local", "/incidents");
        await oncall.Locator("[data-testid=incidents-empty], [data-testid=incidents-table]").First.WaitForAsync();

        // The scheduled check (no one presses "Check now") notices the switch to triage-v2 and the incident appears live.
        var link = oncall.Locator("[data-testid=incident-link]", new() { HasTextString = "Drift alert on ticket-triage" });
        await link.WaitForAsync(new() { Timeout = 240_000 });
        // The bell has it: opening the list shows the assignment and marks what it shows read
        // (the count drops; a notification arriving meanwhile, such as an SLO breach, may stay unread).
        var badge = oncall.Locator("[data-testid=bell-count] .mud-badge");
        await badge.WaitForAsync();
        var unread = int.Parse((await badge.TextContentAsync())!.Trim());
        await oncall.ClickAsync("[data-testid=bell-button]");
        var notification = oncall.Locator("[data-testid=notification]", new() { HasTextString = "assigned to you: Drift alert on ticket-triage" }).First;
        await notification.WaitForAsync();
        await oncall.WaitForTimeoutAsync(500); // the list fades in
        await oncall.ScreenshotAsync("drift-incident-live");
        await oncall.WaitForFunctionAsync(
            "n => { const b = document.querySelector('[data-testid=bell-count] .mud-badge'); return !b || Number(b.textContent.trim()) < n; }", unread);
        // The notification leads to the incident.
        await notification.ClickAsync();
        await oncall.WaitForURLAsync("**/incidents/*");
        await oncall.WaitForInteractiveAsync();
        Assert.Equal("oncall@opsconsole.local", (await oncall.Locator("[data-testid=incident-assignee]").TextContentAsync())!.Trim());
        var opened = await oncall.Locator("[data-testid=timeline-entry]").AllTextContentsAsync();
        Assert.StartsWith("opened", opened[0].Trim());
        Assert.Contains(opened, e => e.Trim().StartsWith("contained"));
        // Which statistics alerted: the new model's confidence or latency distribution (whichever crossed first at this check).
        var opening = await oncall.Locator("[data-testid=timeline]").TextContentAsync() ?? "";
        Assert.True(new[] { "confidence PSI", "confidence KS", "latency KS" }.Any(opening.Contains), opening);

        await oncall.ClickAsync("[data-testid=acknowledge]");
        await oncall.Locator("[data-testid=incident-state]", new() { HasTextString = "acknowledged" }).WaitForAsync();
        await oncall.FillAsync("#incident-note", "Rolled triage back to v1 routing rules; model vendor contacted");
        await oncall.ClickAsync("[data-testid=resolve]");
        await oncall.Locator("[data-testid=incident-state]", new() { HasTextString = "resolved" }).WaitForAsync();
        await oncall.ScreenshotAsync("drift-incident-resolved");

        // The dashboard: the latest verdict, MTTA/MTTR, and the run's distributions.
        await owner.OpenAsync("/paths/ticket-triage/dashboard");
        Assert.Contains("MTTA", await owner.Locator("[data-testid=incident-times]").TextContentAsync());
        await owner.Locator("[data-testid=drift-latest]", new() { HasTextString = "alert" }).WaitForAsync();
        await owner.Locator("[data-testid=drift-panel]").ScrollIntoViewIfNeededAsync();
        await owner.ScreenshotAsync("drift-dashboard-alert");
        await owner.ClickAsync("[data-testid=drift-run-link]");
        await owner.WaitForURLAsync("**/drift/*");
        await owner.WaitForInteractiveAsync();
        Assert.Equal("alert", (await owner.Locator("[data-testid=drift-verdict]").TextContentAsync())!.Trim());
        await owner.Locator("[data-testid=drift-statistics]").WaitForAsync();
        await owner.Locator(".apexcharts-canvas").First.WaitForAsync();
        await owner.ScreenshotAsync("drift-run-detail");

        // The kill switch was tripped by the system, as the audit log shows.
        await owner.OpenAsync("/paths/ticket-triage");
        await owner.Locator("[data-testid=kill-state]", new() { HasTextString = "Killed" }).WaitForAsync();
        await owner.OpenAsync("/audit");
        var entry = owner.Locator("[data-testid=audit-list] .mud-expand-panel", new() { HasTextString = "path.kill" }).First;
        await entry.WaitForAsync();
        Assert.Contains("system", await entry.TextContentAsync());
        await owner.Context.CloseAsync();
        await oncall.Context.CloseAsync();
    }
}
