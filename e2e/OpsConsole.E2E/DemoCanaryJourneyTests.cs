namespace OpsConsole.E2E;

/// <summary>
/// The demo with its canary: support-reply-draft's new prompt in its 5 % step, live traffic at five
/// times the default rate (so the candidate gathers its reviews in minutes, not a quarter of an
/// hour) and the demo reviewer deciding the path's items.
/// </summary>
public sealed class DemoCanaryFixture : AppFixture
{
    protected override void Configure(IDictionary<string, string?> environment)
    {
        environment["OpsConsole__Demo__Canary"] = "true";
        environment["OpsConsole__Demo__Traffic__EventsPerSecond"] = "20";
        environment["OpsConsole__Demo__Traffic__ErrorBursts"] = "false";
    }
}

/// <summary>The demo's canary is worse on reviewed quality; the guarded canary rolls it back by itself and on-call finds the incident.</summary>
public sealed class DemoCanaryJourneyTests(DemoCanaryFixture app) : IClassFixture<DemoCanaryFixture>
{
    [Fact]
    public async Task DemoCandidate_WorseOnReviews_RolledBackByItself_OnCallSeesTheIncident()
    {
        var oncall = await app.NewPageAsync();
        await oncall.SignedInAsync("oncall@opsconsole.local", "/paths/support-reply-draft");
        var candidateRow = oncall.Locator("tr[data-release]", new() { HasTextString = "reply-v13" });
        await Assertions.Expect(candidateRow).ToContainTextAsync("candidate 5 %");
        await oncall.Locator("[data-testid=path-releases]").ScrollIntoViewIfNeededAsync();
        await oncall.ScreenshotAsync("demo-canary-running");

        // No one acts: the looks (every minute) compare the arms and roll the candidate back.
        await oncall.OpenAsync("/incidents");
        var link = oncall.Locator("[data-testid=incident-link]", new() { HasTextString = "rolled back on support-reply-draft" });
        await link.WaitForAsync(new() { Timeout = 540_000 });
        await oncall.ScreenshotAsync("demo-canary-incident-list");
        await link.ClickAsync();
        await oncall.WaitForURLAsync("**/incidents/*");
        await oncall.WaitForInteractiveAsync();
        var timeline = await oncall.Locator("[data-testid=timeline]").TextContentAsync() ?? "";
        Assert.Contains("regressed", timeline);
        Assert.Contains("quality", timeline);
        Assert.Equal("oncall@opsconsole.local", (await oncall.Locator("[data-testid=incident-assignee]").TextContentAsync())!.Trim());

        // The release page tells the story: rolled back, the arms side by side, the statistic over its boundary.
        await oncall.OpenAsync("/paths/support-reply-draft");
        await Assertions.Expect(candidateRow).Not.ToContainTextAsync("candidate");
        await candidateRow.Locator("[data-testid=release-link]").ClickAsync();
        await oncall.WaitForURLAsync("**/releases/*");
        await oncall.WaitForInteractiveAsync();
        await Assertions.Expect(oncall.Locator("[data-testid=canary-state]")).ToHaveAttributeAsync("data-state", "rolled-back");
        var quality = oncall.Locator("[data-testid=canary-arms] tr[data-metric=quality]");
        await Assertions.Expect(quality).ToContainTextAsync("worse");
        await oncall.Locator("[data-testid=chart-canary-statistic] .apexcharts-canvas").WaitForAsync();
        await Assertions.Expect(oncall.Locator("[data-testid=release-timeline]")).ToContainTextAsync("Rolled back");
        await Assertions.Expect(oncall.Locator("[data-testid=canary-incident]")).ToBeVisibleAsync();
        await oncall.ScreenshotAsync("demo-canary-release-page");

        // The audit log names the system as the one who rolled it back.
        await oncall.Context.CloseAsync();
        var admin = await app.NewPageAsync();
        await admin.SignedInAsync("admin@opsconsole.local", "/audit?action=release.rollback");
        var entry = admin.Locator("[data-testid=audit-list] .mud-expand-panel", new() { HasTextString = "release.rollback" });
        await Assertions.Expect(entry).ToHaveCountAsync(1);
        await Assertions.Expect(entry).ToContainTextAsync("system");
        await Assertions.Expect(entry).ToContainTextAsync("support-reply-draft");
        await admin.Context.CloseAsync();

        // On a phone the release page stays within the screen (its tables scroll inside their panels).
        var phone = await app.NewPageAsync(390, 844);
        await phone.SignedInAsync("oncall@opsconsole.local", "/paths/support-reply-draft");
        await phone.Locator("[data-testid=release-link]").First.WaitForAsync();
        var href = await CandidateHrefAsync(phone);
        await phone.OpenAsync(href);
        await phone.Locator("[data-testid=canary-panel]").WaitForAsync();
        await phone.ScreenshotViewportAsync("demo-canary-release-phone");
        var width = await phone.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
        Assert.True(width <= 390, $"the release page is {width} px wide on a 390 px screen");
        await phone.Context.CloseAsync();
    }

    private static async Task<string> CandidateHrefAsync(IPage page) =>
        (await page.Locator("tr[data-release]", new() { HasTextString = "reply-v13" }).Locator("[data-testid=release-link]").GetAttributeAsync("href"))!;
}
