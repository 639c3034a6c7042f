using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace OpsConsole.E2E;

/// <summary>The buttons people press under pressure: kill switch, rollout requests and approvals, and who sees them.</summary>
public sealed class ControlsJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    private async Task<JsonElement> DecisionAsync(string slug, string unit)
    {
        using var http = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", EventsApi.DemoKey);
        var body = await http.GetStringAsync($"/api/v1/paths/{slug}/decision?unit={unit}", TestContext.Current.CancellationToken);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task OnCall_FlipsKillSwitch_NextDecisionIsOff_ThenRestores()
    {
        // invoice-field-extraction is at 100 %: every unit is on until the switch.
        Assert.True((await DecisionAsync("invoice-field-extraction", "u-1")).GetProperty("enabled").GetBoolean());
        var page = await app.NewPageAsync();
        await page.SignedInAsync("oncall@opsconsole.local", "/paths/invoice-field-extraction");
        await page.ClickAsync("[data-testid=kill-panel] [data-testid=kill-switch]");
        var confirm = page.Locator("[data-testid=kill-confirm-text]");
        await confirm.WaitForAsync();
        Assert.Contains("invoice-field-extraction", await confirm.TextContentAsync());
        Assert.Contains("events in the last hour", await confirm.TextContentAsync());

        // No reason, no switch: the dialog says so and stays.
        await page.ClickAsync("[data-testid=confirm-kill]");
        await page.GetByText("Write a reason").WaitForAsync();
        // The dialog has settled (its error is drawn) and the focus is on the button just clicked: typed straight in.
        await page.FillAsync("#kill-reason", "totals wrong since the supplier template changed");
        await page.ScreenshotAsync("kill-switch-confirm");
        await page.ClickAsync("[data-testid=confirm-kill]");
        await page.Locator("[data-testid=kill-state]", new() { HasTextString = "Killed" }).WaitForAsync();

        var d = await DecisionAsync("invoice-field-extraction", "u-1");
        Assert.False(d.GetProperty("enabled").GetBoolean());
        Assert.Equal("kill_switch", d.GetProperty("reason").GetString());
        Assert.Contains("oncall@opsconsole.local", await page.Locator("[data-testid=kill-last]").TextContentAsync());
        await page.ScreenshotAsync("kill-switch-killed");

        await page.ClickAsync("[data-testid=kill-panel] [data-testid=kill-switch]");
        await page.TypeKillReasonAsync("template fixed");
        await page.ClickAsync("[data-testid=confirm-kill]");
        await page.Locator("[data-testid=kill-state]", new() { HasTextString = "Live" }).WaitForAsync();
        Assert.True((await DecisionAsync("invoice-field-extraction", "u-1")).GetProperty("enabled").GetBoolean());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task TwoPeople_OpenRestore_FirstConfirms_SecondIsTold_PathStaysRestored()
    {
        const string slug = "ticket-triage";
        var a = await app.NewPageAsync();
        await a.SignedInAsync("oncall@opsconsole.local", $"/paths/{slug}");
        await a.ClickAsync("[data-testid=kill-panel] [data-testid=kill-switch]");
        await a.TypeKillReasonAsync("labels wrong since triage-v2");
        await a.ClickAsync("[data-testid=confirm-kill]");
        await a.Locator("[data-testid=kill-state]", new() { HasTextString = "Killed" }).WaitForAsync();

        // Another person in another browser sees the killed path; both open "Restore" and write a reason.
        var b = await app.NewPageAsync();
        await b.SignedInAsync("owner@opsconsole.local", $"/paths/{slug}");
        await b.Locator("[data-testid=kill-state]", new() { HasTextString = "Killed" }).WaitForAsync();
        await a.ClickAsync("[data-testid=kill-panel] [data-testid=kill-switch]");
        await a.TypeKillReasonAsync("rolled back triage-v2");
        await b.ClickAsync("[data-testid=kill-panel] [data-testid=kill-switch]");
        await b.TypeKillReasonAsync("looks fixed to me");

        await a.ClickAsync("[data-testid=confirm-kill]");
        await a.Locator("[data-testid=kill-state]", new() { HasTextString = "Live" }).WaitForAsync();
        // B's page takes the restore by push; B's dialog still says what B asked for.
        await b.Locator("[data-testid=kill-state]", new() { HasTextString = "Live" }).WaitForAsync();
        Assert.Contains("Restore Ticket triage?", await b.Locator(".mud-dialog").TextContentAsync());
        Assert.Equal("Restore the path", (await b.Locator("[data-testid=confirm-kill]").TextContentAsync())!.Trim());

        await b.ClickAsync("[data-testid=confirm-kill]");
        var refused = b.Locator("[data-testid=kill-refused]");
        await refused.WaitForAsync();
        Assert.Matches(@"Already restored by oncall@opsconsole\.local at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", await refused.TextContentAsync());
        Assert.True(await b.Locator("[data-testid=confirm-kill]").IsDisabledAsync());
        await b.ScreenshotAsync("kill-switch-restore-refused");

        Assert.NotEqual("kill_switch", (await DecisionAsync(slug, "u-1")).GetProperty("reason").GetString());
        await b.ClickAsync("[data-testid=cancel-kill]");
        Assert.Equal("Live", (await b.Locator("[data-testid=kill-state]").TextContentAsync())!.Trim());
        Assert.Contains("rolled back triage-v2", await b.Locator("[data-testid=kill-last]").TextContentAsync());

        // The audit log holds the one kill and the one restore, nothing from B.
        await b.OpenAsync("/audit");
        var entries = b.Locator("[data-testid=audit-list] .mud-expand-panel").Filter(new() { HasTextString = slug });
        await entries.First.WaitForAsync();
        Assert.Equal(1, await entries.Filter(new() { HasTextString = "path.restore" }).CountAsync());
        Assert.Equal(1, await entries.Filter(new() { HasTextString = "path.kill" }).CountAsync());
        await a.Context.CloseAsync();
        await b.Context.CloseAsync();
    }

    [Fact]
    public async Task OwnerA_Requests_CannotApprove_OwnerB_Approves_DecisionsChange()
    {
        // A unit whose bucket is above 25 and at most 50: off now, on after the approval.
        var unit = Enumerable.Range(0, 1000).Select(i => "unit-" + i).First(u =>
        {
            var b = OpsConsole.Client.Rollout.Bucket("support-reply-draft", u);
            return b is > 25 and <= 50;
        });
        Assert.False((await DecisionAsync("support-reply-draft", unit)).GetProperty("enabled").GetBoolean());

        var a = await app.NewPageAsync();
        // Owner A first clears the volume and quality gates that the demo traffic cannot meet (no one reviews in the demo).
        await a.SignedInAsync("owner@opsconsole.local", "/paths/support-reply-draft/edit");
        foreach (var gate in new[] { "#gate-min-decided", "#gate-min-quality", "#gate-max-p95", "#gate-max-cost", "#gate-max-error" })
        {
            await a.FillAsync(gate, "");
        }
        await a.ClickAsync("[data-testid=save-path]");
        await a.WaitForURLAsync("**/paths/support-reply-draft");
        await a.WaitForInteractiveAsync();

        await a.ClickAsync("[data-testid=rollout-request]");
        await a.FillAsync("#rollout-percent", "50");
        await a.FillAsync("#control-text", "quality held for a week at 25 %");
        await a.ScreenshotAsync("rollout-request-dialog");
        await a.ClickAsync("[data-testid=confirm-control]");
        await a.Locator("[data-testid=rollout-request-row][data-state=pending]").WaitForAsync();
        // The requester sees no approve button: four eyes.
        Assert.Equal(0, await a.Locator("[data-testid=approve-request]").CountAsync());
        await a.Locator("[data-testid=await-second-owner]").WaitForAsync();

        var b = await app.NewPageAsync();
        await b.SignedInAsync("owner2@opsconsole.local", "/paths/support-reply-draft");
        await b.ClickAsync("[data-testid=approve-request]");
        await b.FillAsync("#control-text", "agreed");
        await b.ClickAsync("[data-testid=confirm-control]");
        await b.Locator("[data-testid=rollout-request-row][data-state=applied]").WaitForAsync();
        Assert.Equal("50 %", (await b.Locator("[data-testid=rollout]").TextContentAsync())!.Trim());
        await b.ScreenshotAsync("rollout-approved");

        Assert.True((await DecisionAsync("support-reply-draft", unit)).GetProperty("enabled").GetBoolean());
        // Owner A's open page took the change by push.
        await a.Locator("[data-testid=rollout-request-row][data-state=applied]").WaitForAsync();
        await a.Context.CloseAsync();
        await b.Context.CloseAsync();
    }

    [Fact]
    public async Task Viewer_SeesNoControls_AndTheControlsRefuseThem()
    {
        var page = await app.NewPageAsync();
        await page.SignedInAsync("viewer@opsconsole.local", "/paths/ticket-triage");
        await page.Locator("[data-testid=gates-panel] [data-testid=gate]").First.WaitForAsync();
        Assert.Equal(0, await page.Locator("[data-testid=kill-switch], [data-testid=rollout-decrease], [data-testid=rollout-request], [data-testid=approve-request]").CountAsync());
        await page.OpenAsync("/paths");
        Assert.Equal(0, await page.Locator("[data-testid=kill-switch]").CountAsync());
        await page.ScreenshotAsync("controls-viewer");

        // The API side: a viewer's cookie does not reach the decision API, and keys are for services.
        using var http = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/v1/paths/ticket-triage/decision?unit=u", TestContext.Current.CancellationToken)).StatusCode);
        await page.Context.CloseAsync();
    }
}
