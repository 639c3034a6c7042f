namespace OpsConsole.E2E;

/// <summary>An incident from opening to resolution, seen live by the on-call person; the jobs dashboard for admins.</summary>
public sealed class IncidentJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task OwnerOpens_OnCallSeesItLive_AcknowledgesResolves_MttaShows()
    {
        var oncall = await app.NewPageAsync();
        await oncall.SignedInAsync("oncall@opsconsole.local", "/incidents");
        await oncall.Locator("[data-testid=incidents-empty]").WaitForAsync();

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
}
