using System.Globalization;
using System.Text.Json.Nodes;

namespace OpsConsole.E2E;

/// <summary>A path owner reads the dashboard; posted events move its figures; a Viewer reads it too.</summary>
public sealed class DashboardJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    private async Task PostAsync(int count)
    {
        using var response = await EventsApi.PostAsync(app.BaseUrl, EventsApi.DemoKey, Enumerable.Range(0, count).Select(i => new JsonObject
        {
            ["eventId"] = "dash-" + Guid.NewGuid().ToString("N"),
            ["path"] = "support-reply-draft",
            ["occurredAt"] = DateTime.UtcNow.AddSeconds(-1).ToString("O"),
            ["confidence"] = 0.2,
            ["latencyMs"] = 900 + i,
            ["outcome"] = "ok",
            ["output"] = "draft",
        }));
        Assert.True(response.IsSuccessStatusCode);
    }

    private static readonly string[] Charts =
        ["chart-volume", "chart-quality", "chart-latency", "chart-cost", "chart-failures", "chart-escalation", "chart-confidence"];

    private static async Task<long> VolumeAsync(IPage page) =>
        long.Parse((await page.Locator("[data-testid=card-volume] [data-testid=card-value]").TextContentAsync())!.Trim(), NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Owner_SeesChartsAndFiguresMoveWithNewEvents()
    {
        await PostAsync(5);
        var page = await app.NewPageAsync();
        await page.SignedInAsync("owner@opsconsole.local", "/paths/support-reply-draft");
        await page.ClickAsync("[data-testid=open-dashboard]");
        await page.WaitForURLAsync("**/paths/support-reply-draft/dashboard");
        await page.WaitForInteractiveAsync();
        foreach (var chart in Charts)
        {
            await page.Locator($"[data-testid={chart}] svg").First.WaitForAsync();
        }
        Assert.Equal(7, await page.Locator("[data-testid=status-cards] > *").CountAsync());
        var before = await VolumeAsync(page);
        Assert.True(before >= 5);
        await page.ScreenshotAsync("dashboard-support-reply-draft");

        await PostAsync(40);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await VolumeAsync(page) < before + 40 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500, TestContext.Current.CancellationToken);
        }
        Assert.True(await VolumeAsync(page) >= before + 40, "the volume card did not take in the new events by push");
        Assert.Contains(await page.Locator("[data-testid=card-quality] [data-testid=card-state]").TextContentAsync(), new[] { "ok", "at risk", "breached", "no data", "no SLO" });

        // Errors sent now show up as a new failure pattern, masked, with a link to the matching events.
        var code = "e2e_fail_" + Guid.NewGuid().ToString("N")[..6];
        using (var errors = await EventsApi.PostAsync(app.BaseUrl, EventsApi.DemoKey, Enumerable.Range(0, 2).Select(i => new JsonObject
        {
            ["eventId"] = $"{code}-{i}",
            ["path"] = "support-reply-draft",
            ["occurredAt"] = DateTime.UtcNow.AddSeconds(-1).ToString("O"),
            ["outcome"] = "error",
            ["errorCode"] = code,
            ["errorMessage"] = $"upstream 503 for request {Guid.NewGuid():N}",
        })))
        {
            Assert.True(errors.IsSuccessStatusCode);
        }
        await page.ReloadAsync();
        await page.WaitForInteractiveAsync();
        var row = page.Locator("[data-testid=failure-pattern]", new() { HasTextString = code });
        await row.WaitForAsync();
        Assert.Contains("upstream <n> for request <uuid>", await row.TextContentAsync());
        Assert.Contains("new", await row.TextContentAsync());
        await page.Locator("[data-testid=failure-patterns]").ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync("dashboard-failure-patterns");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Owner_BreaksDownComparesAndPicksDates_EveryDemoDashboardScreenshotted()
    {
        await PostAsync(10);
        var page = await app.NewPageAsync();
        await page.SetViewportSizeAsync(1280, 900);
        await page.SignedInAsync("owner@opsconsole.local", "/paths");
        foreach (var slug in new[] { "support-reply-draft", "invoice-field-extraction", "ticket-triage" })
        {
            await page.OpenAsync($"/paths/{slug}/dashboard");
            await page.Locator("[data-testid=chart-volume] svg").First.WaitForAsync();
            await page.ScreenshotAsync($"dashboard-{slug}-24h");
        }

        // Break down by the demo paths' attribute, compare with the previous period: both live in the address.
        await page.OpenAsync("/paths/support-reply-draft/dashboard?by=attribute&compare=true&range=1h");
        await page.Locator("[data-testid=breakdown-row]").First.WaitForAsync();
        var keys = await page.Locator("[data-testid=breakdown-row] td:first-child").AllTextContentsAsync();
        Assert.Subset(new HashSet<string> { "smb", "mid-market", "enterprise" }, keys.Select(k => k.Trim()).ToHashSet());
        // The compare overlay adds the previous period's series to the volume chart's legend.
        await page.Locator("[data-testid=chart-volume] .apexcharts-legend-text", new() { HasTextString = "previous" }).First.WaitForAsync();
        await page.ScreenshotAsync("dashboard-breakdown-compare");

        // A custom range in the address: an end before the start is refused with a message.
        await page.OpenAsync("/paths/support-reply-draft/dashboard?range=custom&from=2026-11-20&to=2026-11-10");
        Assert.Contains("before the start", await page.Locator("[data-testid=range-error]").TextContentAsync());
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var weekAgo = DateTime.UtcNow.AddDays(-6).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await page.OpenAsync($"/paths/support-reply-draft/dashboard?range=custom&from={weekAgo}&to={today}");
        await page.Locator("[data-testid=chart-volume] svg").First.WaitForAsync();
        Assert.Equal(0, await page.Locator("[data-testid=range-error]").CountAsync());
        Assert.Contains(weekAgo, await page.Locator("[data-testid=dash-window]").TextContentAsync());
        Assert.True(await VolumeAsync(page) >= 10);

        // Dark mode re-themes the charts (ApexCharts draws its text in the dark palette).
        await page.ClickAsync("[aria-label='Toggle dark mode']");
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-testid=chart-volume] text')].some(t => (t.getAttribute('fill') || '').toLowerCase() === '#cbd5e1')");
        await page.ScreenshotAsync("dashboard-dark");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Viewer_ReadsDashboardsWithoutControls()
    {
        var page = await app.NewPageAsync();
        await page.SignedInAsync("viewer@opsconsole.local", "/paths/invoice-field-extraction");
        Assert.Equal(0, await page.Locator("[data-testid=edit-path]").CountAsync());
        Assert.Equal(0, await page.Locator("[data-testid=open-review]").CountAsync());
        await page.ClickAsync("[data-testid=open-dashboard]");
        await page.Locator("[data-testid=chart-volume] svg").First.WaitForAsync();
        Assert.Equal(0, await page.Locator("[data-testid=edit-path], [data-testid=kill-switch], [data-testid=rollout]").CountAsync());
        Assert.Equal(7, await page.Locator("[data-testid=status-cards] > *").CountAsync());
        await page.ScreenshotAsync("dashboard-viewer");
        await page.Context.CloseAsync();
    }
}
