namespace OpsConsole.E2E;

/// <summary>An incident from opening to resolution, seen live by the on-call person; the jobs dashboard for admins.</summary>
public sealed class IncidentJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task OwnerOpens_OnCallSeesItLive_AcknowledgesResolves_MttaShows()
    {
        var oncall = await app.NewPageAsync();
        await oncall.SignedInAsync("oncall@opsconsole.local", "/incidents");
        // The list is on screen (empty or holding other tests' incidents: they share one console) before the owner acts.
        await oncall.Locator("[data-testid=incidents-empty], [data-testid=incidents-table]").First.WaitForAsync();

        var owner = await app.NewPageAsync();
        await owner.SignedInAsync("owner@opsconsole.local", "/incidents");
        await owner.ClickAsync("[data-testid=new-incident]");
        await owner.FillAsync("#new-incident-title", "Billing tickets land in the general queue");
        await owner.ScreenshotAsync("incident-open-dialog");
        await owner.ClickAsync("[data-testid=confirm-new-incident]");
        await owner.WaitForURLAsync("**/incidents/*");
        await owner.WaitForInteractiveAsync();

        // The on-call list shows it without a reload, and the bell has something for them.
        var link = oncall.Locator("[data-testid=incident-link]", new() { HasTextString = "Billing tickets land" });
        await link.WaitForAsync();
        await oncall.ScreenshotAsync("incidents-list-live");
        await link.ClickAsync();
        await oncall.WaitForURLAsync("**/incidents/*");
        await oncall.WaitForInteractiveAsync();
        Assert.Equal("oncall@opsconsole.local", (await oncall.Locator("[data-testid=incident-assignee]").TextContentAsync())!.Trim());

        await oncall.ClickAsync("[data-testid=acknowledge]");
        await oncall.Locator("[data-testid=incident-state]", new() { HasTextString = "acknowledged" }).WaitForAsync();
        await oncall.FillAsync("#incident-note", "Routing rule for billing restored");
        await oncall.ClickAsync("[data-testid=resolve]");
        await oncall.Locator("[data-testid=incident-state]", new() { HasTextString = "resolved" }).WaitForAsync();
        var timeline = await oncall.Locator("[data-testid=timeline-entry]").AllTextContentsAsync();
        Assert.Equal(3, timeline.Count);
        Assert.StartsWith("opened", timeline[0].Trim());
        Assert.StartsWith("acknowledged", timeline[1].Trim());
        Assert.StartsWith("resolved", timeline[2].Trim());
        await oncall.ScreenshotAsync("incident-resolved");

        // The owner's open page followed along; the path's dashboard shows MTTA and MTTR.
        await owner.Locator("[data-testid=incident-state]", new() { HasTextString = "resolved" }).WaitForAsync();
        var pathHref = await owner.Locator("[data-testid=incident-summary] a[href^='/paths/']").GetAttributeAsync("href");
        await owner.OpenAsync(pathHref + "/dashboard");
        var times = owner.Locator("[data-testid=incident-times]");
        await times.WaitForAsync();
        Assert.Contains("MTTA", await times.TextContentAsync());
        Assert.Contains("MTTR", await times.TextContentAsync());
        await owner.Context.CloseAsync();
        await oncall.Context.CloseAsync();
    }

    [Fact]
    public async Task Viewer_SeesIncidentsWithoutActions_HangfireOnlyForAdmins()
    {
        var owner = await app.NewPageAsync();
        await owner.SignedInAsync("owner2@opsconsole.local", "/incidents");
        await owner.ClickAsync("[data-testid=new-incident]");
        await owner.FillAsync("#new-incident-title", "Invoice totals off by VAT");
        await owner.ClickAsync("[data-testid=confirm-new-incident]");
        await owner.WaitForURLAsync("**/incidents/*");
        var url = owner.Url;
        await owner.Context.CloseAsync();

        var viewer = await app.NewPageAsync();
        await viewer.SignedInAsync("viewer@opsconsole.local", new Uri(url).AbsolutePath);
        await viewer.Locator("[data-testid=timeline-entry]").First.WaitForAsync();
        Assert.Equal(0, await viewer.Locator("[data-testid=incident-actions]").CountAsync());
        Assert.Equal(0, await viewer.Locator("[data-testid=new-incident]").CountAsync());
        await viewer.GotoAsync("/hangfire");
        Assert.Contains("access-denied", viewer.Url);
        await viewer.Context.CloseAsync();

        var admin = await app.NewPageAsync();
        // Hangfire's pages are not Blazor pages: sign in and wait for the address, not for interactivity.
        await admin.SignInAsync("admin@opsconsole.local", returnUrl: "/hangfire/recurring");
        await admin.WaitForURLAsync("**/hangfire/recurring");
        await admin.GetByText("incident-escalation").WaitForAsync();
        await admin.GetByText("drift-check:ticket-triage").WaitForAsync();
        await admin.ScreenshotAsync("hangfire-recurring");
        await admin.Context.CloseAsync();
    }

    [Fact]
    public async Task ErrorSpike_WithContainmentOn_KillSwitchTrippedBySystem_InTheAuditLog()
    {
        var owner = await app.NewPageAsync();
        // The owners choose containment in advance.
        await owner.SignedInAsync("owner@opsconsole.local", "/paths/ticket-triage/edit");
        await owner.GetByLabel("Contain on an error-rate breach or spike").CheckAsync();
        await owner.ClickAsync("[data-testid=save-path]");
        await owner.WaitForURLAsync("**/paths/ticket-triage");
        await owner.WaitForInteractiveAsync();

        // Half of the last completed 15-minute slot's events failed.
        var now = DateTime.UtcNow;
        var slotEnd = new DateTime(now.Ticks - now.Ticks % TimeSpan.FromMinutes(15).Ticks, DateTimeKind.Utc);
        var events = Enumerable.Range(0, 60).Select(i => new System.Text.Json.Nodes.JsonObject
        {
            ["eventId"] = $"spike-{Guid.NewGuid():N}",
            ["path"] = "ticket-triage",
            ["occurredAt"] = slotEnd.AddMinutes(-5).AddSeconds(i).ToString("O"),
            ["outcome"] = i % 2 == 0 ? "error" : "ok",
            ["errorCode"] = i % 2 == 0 ? "upstream_503" : null,
            ["output"] = i % 2 == 0 ? null : "queue 2",
            ["latencyMs"] = 300,
        });
        using (var response = await EventsApi.PostAsync(app.BaseUrl, EventsApi.DemoKey, events))
        {
            Assert.True(response.IsSuccessStatusCode);
        }

        await owner.OpenAsync("/paths/ticket-triage/dashboard");
        await owner.ClickAsync("[data-testid=drift-check-now]");
        await owner.Locator("[data-testid=drift-latest]").WaitForAsync();
        await owner.Locator("[data-testid=drift-panel]").ScrollIntoViewIfNeededAsync();
        await owner.ScreenshotAsync("dashboard-drift-panel");
        await owner.OpenAsync("/paths/ticket-triage");
        await owner.Locator("[data-testid=kill-state]", new() { HasTextString = "Killed" }).WaitForAsync();
        Assert.Contains("system", await owner.Locator("[data-testid=kill-last]").TextContentAsync());

        await owner.OpenAsync("/audit");
        var entry = owner.Locator("[data-testid=audit-list] .mud-expand-panel", new() { HasTextString = "path.kill" }).First;
        await entry.WaitForAsync();
        Assert.Contains("system", await entry.TextContentAsync());
        await owner.ScreenshotAsync("audit-automatic-kill");

        await owner.OpenAsync("/incidents");
        await owner.Locator("[data-testid=incident-link]", new() { HasTextString = "Error spike on ticket-triage" }).WaitForAsync();
        await owner.Context.CloseAsync();
    }
}
