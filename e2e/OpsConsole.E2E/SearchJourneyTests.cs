using System.Text.Json.Nodes;

namespace OpsConsole.E2E;

/// <summary>On call at night with a trace id from a log: the app bar's search finds the event.</summary>
public sealed class SearchJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task AppBarSearch_TraceIdFromALog_OpensTheEvent()
    {
        const string trace = "0af7651916cd43dd8448eb211c80319c";
        using (var response = await EventsApi.PostAsync(app.BaseUrl, EventsApi.DemoKey, [new JsonObject
        {
            ["eventId"] = "search-journey-1",
            ["path"] = "invoice-field-extraction",
            ["occurredAt"] = DateTime.UtcNow.AddSeconds(-10).ToString("O"),
            ["traceId"] = trace,
            ["unit"] = "invoice-2026-0042",
            ["confidence"] = 0.99,
            ["output"] = "{\"total\": 120.50}",
        }]))
        {
            Assert.True(response.IsSuccessStatusCode);
        }
        var page = await app.NewPageAsync();
        await page.SignedInAsync("oncall@opsconsole.local");

        var box = page.Locator("#app-search");
        await box.FillAsync(trace);
        // As the person sees it before pressing Enter: the trace id in the box, the cursor there.
        await Assertions.Expect(box).ToHaveValueAsync(trace);
        await Assertions.Expect(box).ToBeFocusedAsync();
        await box.PressAsync("Enter");
        try
        {
            await page.WaitForURLAsync("**/search?q=*");
        }
        catch (TimeoutException ex)
        {
            var state = await page.EvaluateAsync<string>(
                "() => `box holds '${document.getElementById('app-search')?.value ?? '(no box)'}', focus on <${document.activeElement?.tagName} id='${document.activeElement?.id}'>`");
            await page.ScreenshotViewportAsync("FAILED-search-enter");
            throw new TimeoutException($"Enter in the search box did not open the results; at {page.Url}, {state}.", ex);
        }
        var hit = page.Locator("[data-testid=search-events] a", new() { HasTextString = "search-journey-1" });
        await hit.WaitForAsync();
        Assert.Contains("matched on trace id", await hit.TextContentAsync());
        await page.ScreenshotAsync("search-results-1280");
        await hit.ClickAsync();
        await page.WaitForURLAsync("**/paths/invoice-field-extraction/events/*");
        await page.Context.CloseAsync();

        // On a phone the box is an icon that leads to the same page.
        var phone = await app.NewPageAsync(390, 844);
        await phone.SignedInAsync("oncall@opsconsole.local");
        await phone.ClickAsync("a[aria-label=Search]");
        await phone.WaitForURLAsync("**/search");
        await phone.WaitForInteractiveAsync();
        await phone.FillAsync("#search-page-input", "invoice-2026-0042");
        await phone.Keyboard.PressAsync("Enter");
        await phone.Locator("[data-testid=search-events] a", new() { HasTextString = "search-journey-1" }).WaitForAsync();
        await phone.ScreenshotAsync("search-results-390");
        await phone.Context.CloseAsync();
    }
}
