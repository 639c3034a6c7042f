using System.Net;
using System.Text.Json.Nodes;

namespace OpsConsole.E2E;

/// <summary>
/// The overview at night: it follows what colleagues do without a reload, and the small things
/// around it (the kill dialog, wrong addresses, walls, ids, secrets) cost no extra minutes.
/// </summary>
public sealed class OverviewJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    /// <summary>The overview reloads at most every 2 s after a push; a few seconds is what a person would wait.</summary>
    private static readonly LocatorAssertionsToHaveTextOptions Soon = new() { Timeout = 8_000 };

    private static ILocator Row(IPage page, string slug) =>
        page.Locator("[data-testid=paths-table] tr").Filter(new() { Has = page.Locator($"[data-slug='{slug}']") });

    private static async Task<int> OpenIncidentsAsync(IPage page, string slug)
    {
        var text = (await Row(page, slug).Locator("[data-testid=path-incidents]").TextContentAsync())!.Trim();
        return text == "none" ? 0 : int.Parse(text.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task OnCallKillsOnThePathPage_ColleaguesOpenOverviewShowsKilled_ThenTheIncident_WithoutReload()
    {
        const string slug = "ticket-triage";
        var viewer = await app.NewPageAsync();
        await viewer.SignedInAsync("viewer@opsconsole.local", "/paths");
        await Assertions.Expect(Row(viewer, slug).Locator("[data-testid=path-switch]")).ToHaveTextAsync("Live");
        var incidentsBefore = new Dictionary<string, int>();
        foreach (var s in await viewer.Locator("[data-testid=paths-table] [data-slug]").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.slug)"))
        {
            incidentsBefore[s] = await OpenIncidentsAsync(viewer, s);
        }
        // Marks the document: a reload would lose it, so its presence at the end proves there was none.
        await viewer.EvaluateAsync("() => window.__noReload = true");

        var oncall = await app.NewPageAsync();
        await oncall.SignedInAsync("oncall@opsconsole.local", $"/paths/{slug}");
        await oncall.ClickAsync("[data-testid=kill-panel] [data-testid=kill-switch]");
        await oncall.TypeKillReasonAsync("labels wrong since triage-v2");
        await oncall.ClickAsync("[data-testid=confirm-kill]");
        await oncall.Locator("[data-testid=kill-state]", new() { HasTextString = "Killed" }).WaitForAsync();

        await Assertions.Expect(Row(viewer, slug).Locator("[data-testid=path-switch]")).ToHaveTextAsync("Killed", Soon);
        await viewer.ScreenshotAsync("overview-live-killed");

        // An incident opened from the incidents page reaches the same open overview.
        await oncall.OpenAsync("/incidents");
        await oncall.ClickAsync("[data-testid=new-incident]");
        await oncall.FillAsync("#new-incident-title", "Tickets land in the general queue");
        await oncall.ClickAsync("[data-testid=confirm-new-incident]");
        await oncall.WaitForURLAsync("**/incidents/*");
        await oncall.WaitForInteractiveAsync();
        var incidentSlug = (await oncall.Locator("[data-testid=incident-summary] a[href^='/paths/']").GetAttributeAsync("href"))!.Split('/')[2];
        await Assertions.Expect(Row(viewer, incidentSlug).Locator("[data-testid=path-incidents]")).ToHaveTextAsync($"{incidentsBefore[incidentSlug] + 1} open", Soon);
        Assert.True(await viewer.EvaluateAsync<bool>("() => window.__noReload === true"));

        // Restored again so the other tests of this class find the path live.
        await oncall.OpenAsync($"/paths/{slug}");
        await oncall.ClickAsync("[data-testid=kill-panel] [data-testid=kill-switch]");
        await oncall.TypeKillReasonAsync("rolled back triage-v2");
        await oncall.ClickAsync("[data-testid=confirm-kill]");
        await oncall.Locator("[data-testid=kill-state]", new() { HasTextString = "Live" }).WaitForAsync();
        await Assertions.Expect(Row(viewer, slug).Locator("[data-testid=path-switch]")).ToHaveTextAsync("Live", Soon);
        await viewer.Context.CloseAsync();
        await oncall.Context.CloseAsync();
    }

    [Theory]
    [InlineData(1280, 800, false)]
    [InlineData(390, 844, false)]
    [InlineData(1280, 800, true)]
    [InlineData(390, 844, true)]
    public async Task Overview_Screenshots(int width, int height, bool dark)
    {
        var page = await app.NewPageAsync(width, height);
        await page.EmulateMediaAsync(new() { ColorScheme = dark ? ColorScheme.Dark : ColorScheme.Light });
        await page.SignedInAsync("oncall@opsconsole.local", "/paths");
        await page.Locator("[data-testid=paths-table]").WaitForAsync();
        await page.ScreenshotAsync($"overview-{width}x{height}{(dark ? "-dark" : "")}");
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData(1280, 800, false)]
    [InlineData(390, 844, false)]
    [InlineData(390, 844, true)]
    public async Task KillDialog_ReasonHasFocus_CtrlEnterConfirms(int width, int height, bool dark)
    {
        const string slug = "invoice-field-extraction";
        var page = await app.NewPageAsync(width, height);
        await page.EmulateMediaAsync(new() { ColorScheme = dark ? ColorScheme.Dark : ColorScheme.Light });
        await page.SignedInAsync("oncall@opsconsole.local", $"/paths/{slug}");
        await page.ClickAsync("[data-testid=kill-panel] [data-testid=kill-switch]");
        await page.Locator("[data-testid=kill-confirm-text]").WaitForAsync();

        // Typing goes straight into the reason: no click into the field first.
        await Assertions.Expect(page.Locator("#kill-reason")).ToBeFocusedAsync();
        await page.WaitForTimeoutAsync(300);
        await Assertions.Expect(page.Locator("#kill-reason")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("totals wrong since the supplier template changed");
        await Assertions.Expect(page.Locator("#kill-reason")).ToHaveValueAsync("totals wrong since the supplier template changed");
        await page.ScreenshotAsync($"kill-dialog-{width}x{height}{(dark ? "-dark" : "")}");
        await page.Keyboard.PressAsync("Control+Enter");
        await page.Locator("[data-testid=kill-state]", new() { HasTextString = "Killed" }).WaitForAsync();

        await page.ClickAsync("[data-testid=kill-panel] [data-testid=kill-switch]");
        await Assertions.Expect(page.Locator("#kill-reason")).ToBeFocusedAsync();
        await page.WaitForTimeoutAsync(300);
        await page.Keyboard.TypeAsync("template fixed");
        await page.Keyboard.PressAsync("Control+Enter");
        await page.Locator("[data-testid=kill-state]", new() { HasTextString = "Live" }).WaitForAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task PathPage_GatesShownOnce_WaitingForDataRightAfterAChange()
    {
        const string slug = "support-reply-draft";
        var page = await app.NewPageAsync();
        await page.SignedInAsync("owner@opsconsole.local", $"/paths/{slug}");
        await page.Locator("[data-testid=gates-panel]").WaitForAsync();
        Assert.Equal(1, await page.GetByRole(AriaRole.Heading, new() { NameRegex = new("^Rollout gates") }).CountAsync());

        await page.ClickAsync("[data-testid=rollout-decrease]");
        await page.FillAsync("#rollout-percent", "20");
        await page.FillAsync("#control-text", "tone complaints");
        await page.ClickAsync("[data-testid=confirm-control]");
        await Assertions.Expect(page.Locator("[data-testid=rollout]")).ToHaveTextAsync("20 %");

        // Nothing measured at 20 % yet: the metric gates wait, none is drawn as failed for want of data.
        var gates = page.Locator("[data-testid=gates-panel] [data-testid=gate]");
        await Assertions.Expect(gates.First).ToBeVisibleAsync();
        var collecting = page.Locator("[data-testid=gates-panel] [data-testid=gate][data-state=collecting]");
        Assert.True(await collecting.CountAsync() > 0);
        Assert.Contains("collecting data since", await collecting.First.TextContentAsync());
        Assert.Equal(0, await page.Locator("[data-testid=gates-panel] [data-testid=gate][data-state=failed]", new() { HasTextString = "no data" }).CountAsync());
        await page.ScreenshotAsync("path-gates-collecting");
        await page.SetViewportSizeAsync(390, 844);
        await page.ScreenshotAsync("path-gates-collecting-390x844");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task UnknownPath_404Page_InTheBrowser()
    {
        var page = await app.NewPageAsync();
        await page.SignedInAsync("owner@opsconsole.local");
        foreach (var url in new[] { "/paths/nope", "/paths/nope/dashboard", "/paths/nope/events" })
        {
            var response = await page.GotoAsync(url);
            Assert.Equal(404, response!.Status);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Page not found" })).ToBeVisibleAsync();
        }
        await page.ScreenshotAsync("path-not-found");
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData(1280, 800)]
    [InlineData(390, 844)]
    public async Task Forbidden_And_LabelsLinkWithoutRights_403PageInsideTheApp(int width, int height)
    {
        var page = await app.NewPageAsync(width, height);
        await page.SignedInAsync("viewer@opsconsole.local");

        var response = await page.GotoAsync("/api/v1/paths/ticket-triage/labels?all=true");
        Assert.Equal(403, response!.Status);
        await page.WaitForInteractiveAsync();
        Assert.Contains("/account/access-denied", page.Url);
        await Assertions.Expect(page.Locator("[data-testid=forbidden]")).ToContainTextAsync("owner of this path");
        // The app's chrome: who is signed in, and the way back.
        await Assertions.Expect(page.Locator("[data-testid=signed-in-user]")).ToHaveTextAsync("viewer@opsconsole.local");
        await page.ScreenshotAsync($"forbidden-{width}x{height}");
        await page.ClickAsync("[data-testid=back-to-overview]");
        await page.Locator("[data-testid=paths-table]").WaitForAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task EventIds_ShownWhole_WithCopy()
    {
        var prefix = "e2e-overview-" + Guid.NewGuid().ToString("N")[..8] + "-support-mailbox-2026-12-02-";
        JsonObject Event(string id) => new()
        {
            ["eventId"] = id,
            ["path"] = "ticket-triage",
            ["occurredAt"] = DateTime.UtcNow.AddSeconds(-2).ToString("O"),
            ["modelVersion"] = "triage-e2e",
            ["confidence"] = 0.95,
            ["latencyMs"] = 300,
            ["outcome"] = "ok",
            ["input"] = "Where is my invoice?",
            ["output"] = "queue=billing",
        };
        using var posted = await EventsApi.PostAsync(app.BaseUrl, EventsApi.DemoKey, [Event(prefix + "a1"), Event(prefix + "b2")]);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);

        var page = await app.NewPageAsync();
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await page.SignedInAsync("owner@opsconsole.local", "/paths/ticket-triage/events");
        var a = page.Locator("[data-testid=event-link]", new() { HasTextString = prefix + "a1" });
        var b = page.Locator("[data-testid=event-link]", new() { HasTextString = prefix + "b2" });
        await Assertions.Expect(a).ToHaveTextAsync(prefix + "a1");
        await Assertions.Expect(b).ToHaveTextAsync(prefix + "b2");

        var row = page.Locator("tr").Filter(new() { Has = a });
        await row.Locator("[data-testid=copy-event-id]").ClickAsync();
        await Assertions.Expect(row.Locator("[data-testid=copy-event-id]")).ToHaveAttributeAsync("data-copied", "true");
        Assert.Equal(prefix + "a1", await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await page.ScreenshotAsync("events-whole-ids");
        await page.SetViewportSizeAsync(390, 844);
        await page.ScreenshotAsync("events-whole-ids-390x844");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task NewApiKey_SecretHasCopy_SaysCopied()
    {
        var page = await app.NewPageAsync();
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await page.SignedInAsync("admin@opsconsole.local", "/keys");
        await page.Locator("[data-testid=keys-table]").WaitForAsync();
        await page.ClickAsync("[data-testid=new-key]");
        await page.FillAsync("#key-name", "copy-e2e-" + Guid.NewGuid().ToString("N")[..6]);
        await page.ClickAsync("[data-testid=key-path-ticket-triage]");
        await page.ClickAsync("[data-testid=create-key]");
        await page.Locator("#key-secret").WaitForAsync();
        var secret = await page.Locator("#key-secret").InputValueAsync();
        Assert.StartsWith("ocs_", secret);

        await page.ClickAsync("[data-testid=copy-secret]");
        await Assertions.Expect(page.Locator("[data-testid=copy-secret]")).ToHaveTextAsync("Copied");
        Assert.Equal(secret, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await page.ScreenshotAsync("key-secret-copied");
        await page.SetViewportSizeAsync(390, 844);
        await page.ScreenshotAsync("key-secret-copied-390x844");
        await page.ClickAsync("[data-testid=secret-done]");
        await page.Context.CloseAsync();
    }
}
