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
        foreach (var chart in new[] { "chart-volume", "chart-latency", "chart-quality", "chart-confidence" })
        {
            await page.Locator($"[data-testid={chart}] svg").First.WaitForAsync();
        }
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
    public async Task Viewer_ReadsDashboardsWithoutControls()
    {
        var page = await app.NewPageAsync();
        await page.SignedInAsync("viewer@opsconsole.local", "/paths/invoice-field-extraction");
        Assert.Equal(0, await page.Locator("[data-testid=edit-path]").CountAsync());
        Assert.Equal(0, await page.Locator("[data-testid=open-review]").CountAsync());
        await page.ClickAsync("[data-testid=open-dashboard]");
        await page.Locator("[data-testid=chart-volume] svg").First.WaitForAsync();
        await page.ScreenshotAsync("dashboard-viewer");
        await page.Context.CloseAsync();
    }
}
