using System.Globalization;
using System.Text.Json.Nodes;

namespace OpsConsole.E2E;

/// <summary>
/// A person on call in India reads times in their own zone once they choose it, everywhere, after a
/// reload too; UTC until then. Every time names its zone.
/// </summary>
public sealed class TimesJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    private static readonly TimeSpan Kolkata = TimeSpan.FromMinutes(330);

    [Fact]
    public async Task Settings_BrowserZone_EveryTimeFollowsAndNamesIt()
    {
        var occurred = DateTime.UtcNow.AddMinutes(-20);
        occurred = new DateTime(occurred.Ticks - occurred.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        using (var response = await EventsApi.PostAsync(app.BaseUrl, EventsApi.DemoKey, [new JsonObject
        {
            ["eventId"] = "times-journey-1",
            ["path"] = "invoice-field-extraction",
            ["occurredAt"] = occurred.ToString("O"),
            ["confidence"] = 0.99,
            ["output"] = "{\"total\": 1}",
        }]))
        {
            Assert.True(response.IsSuccessStatusCode);
        }

        var page = await app.NewPageAsync(timezoneId: "Asia/Kolkata");
        await page.SignedInAsync("oncall@opsconsole.local", "/search?q=times-journey-1");
        await page.Locator("[data-testid=search-events] a", new() { HasTextString = "times-journey-1" }).ClickAsync();
        await page.WaitForURLAsync("**/paths/invoice-field-extraction/events/*");
        var occurredCell = page.Locator("dt:text-is('Occurred') + dd");
        // UTC until chosen otherwise, and it says so.
        await Assertions.Expect(occurredCell).ToHaveTextAsync(occurred.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) + " UTC");
        var eventUrl = page.Url;

        await page.OpenAsync("/settings");
        await Assertions.Expect(page.Locator("[data-testid=zone-browser]")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"Asia/(Kolkata|Calcutta) \(now UTC\+5:30\)")); // Chromium reports the older name
        await page.Locator("[data-testid=zone-browser] input").CheckAsync();
        // The page reloads so everything follows; the sample clock now reads in Kolkata time.
        await Assertions.Expect(page.Locator("[data-testid=zone-sample]")).ToContainTextAsync("UTC+5:30");
        await page.WaitForInteractiveAsync();
        await page.ScreenshotAsync("settings-browser-zone-1280");

        await page.OpenAsync(eventUrl);
        var local = DateTime.SpecifyKind(occurred + Kolkata, DateTimeKind.Unspecified);
        await Assertions.Expect(occurredCell).ToHaveTextAsync(local.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) + " UTC+5:30");
        // The tooltip keeps the UTC time for comparing with logs.
        Assert.Contains(occurred.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC", await occurredCell.Locator("time").GetAttributeAsync("title"));

        // The events table names the zone in its header; the dashboard's axis too.
        await page.OpenAsync("/paths/invoice-field-extraction/events");
        await Assertions.Expect(page.Locator("th", new() { HasTextString = "Time (" })).ToHaveTextAsync("Time (UTC+5:30)");
        await page.OpenAsync("/paths/invoice-field-extraction/dashboard");
        await Assertions.Expect(page.Locator(".apexcharts-xaxis-title").First).ToHaveTextAsync("Time (UTC+5:30)");

        // Remembered across a reload and a new page.
        await page.ReloadAsync();
        await page.WaitForInteractiveAsync();
        await page.OpenAsync(eventUrl);
        await Assertions.Expect(occurredCell).ToContainTextAsync("UTC+5:30");

        // Back to UTC.
        await page.OpenAsync("/settings");
        await page.Locator("[data-testid=zone-utc] input").CheckAsync();
        await Assertions.Expect(page.Locator("[data-testid=zone-sample]")).ToContainTextAsync(" UTC");
        await page.WaitForInteractiveAsync();
        await page.OpenAsync(eventUrl);
        await Assertions.Expect(occurredCell).ToHaveTextAsync(occurred.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) + " UTC");
        await page.Context.CloseAsync();

        // On a phone, in dark mode: the same page, usable.
        var phone = await app.NewPageAsync(390, 844, timezoneId: "America/New_York");
        await phone.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await phone.SignedInAsync("viewer@opsconsole.local", "/settings");
        await phone.Locator("[data-testid=zone-browser] input").CheckAsync();
        await Assertions.Expect(phone.Locator("[data-testid=zone-sample]")).ToContainTextAsync("UTC−");
        await phone.WaitForInteractiveAsync();
        await phone.ScreenshotAsync("settings-browser-zone-390-dark");
        await phone.Context.CloseAsync();
    }
}
