using System.Net;
using System.Text.Json.Nodes;

namespace OpsConsole.E2E;

/// <summary>An AI service sends events; people see them, routed, in the browser; keys are made and revoked there.</summary>
public sealed class IngestionJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    private const string DemoKey = EventsApi.DemoKey;

    private Task<HttpResponseMessage> PostAsync(string key, params JsonObject[] events) => EventsApi.PostAsync(app.BaseUrl, key, events);

    private static JsonObject Event(string id, string path, double confidence, string input, string output) => new()
    {
        ["eventId"] = id,
        ["path"] = path,
        ["occurredAt"] = DateTime.UtcNow.AddSeconds(-2).ToString("O"),
        ["modelVersion"] = "triage-e2e",
        ["confidence"] = confidence,
        ["latencyMs"] = 310,
        ["outcome"] = "ok",
        ["input"] = input,
        ["output"] = output,
        ["attributes"] = new JsonObject { ["segment"] = "enterprise" },
    };

    [Fact]
    public async Task LowConfidenceEventsFromTheApi_ShowInExplorerWithTheirRouting()
    {
        var marker = "e2e" + Guid.NewGuid().ToString("N")[..8];
        using var response = await PostAsync(DemoKey,
            Event(marker + "-low", "ticket-triage", 0.12, $"[{marker}] Customer jane.roe@example.com cannot log in", $"{marker} queue=account"),
            Event(marker + "-high", "ticket-triage", 0.97, $"[{marker}] Invoice question", $"{marker} queue=billing"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var page = await app.NewPageAsync();
        await page.SignedInAsync("owner@opsconsole.local", "/paths/ticket-triage");
        await page.ClickAsync("[data-testid=open-events]");
        await page.WaitForURLAsync("**/paths/ticket-triage/events");
        await page.WaitForInteractiveAsync();
        await page.Locator("[data-testid=events-table]").WaitForAsync();
        await page.ScreenshotAsync("events-explorer-live");

        // Narrow to this test's events by text; demo traffic keeps flowing around them.
        await page.FillAsync("#filter-text", marker);
        await page.ClickAsync("[data-testid=apply-filters]");
        await page.Locator("[data-testid=events-count]", new() { HasTextString = "2 events" }).WaitForAsync();
        var low = page.Locator("tr", new() { HasTextString = marker + "-low" });
        Assert.Contains("low_confidence", await low.Locator("[data-testid=event-review]").TextContentAsync());
        Assert.Equal("0.12", (await low.Locator("[data-testid=event-confidence]").TextContentAsync())?.Trim());
        var high = page.Locator("tr", new() { HasTextString = marker + "-high" });
        Assert.DoesNotContain("low_confidence", await high.Locator("[data-testid=event-review]").TextContentAsync());

        // Only routed events at or below 0.5 (the confident one may be drawn for the QA sample, by its id's hash).
        await page.FillAsync("#filter-max-confidence", "0.5");
        await page.ChooseAsync("[data-testid=filter-routed]", "Routed");
        await page.ClickAsync("[data-testid=apply-filters]");
        await page.Locator("[data-testid=events-count]", new() { HasTextString = "1 events" }).WaitForAsync();
        await page.ScreenshotAsync("events-explorer-filtered");

        // The detail shows the routing and the redacted input.
        await page.Locator("[data-testid=event-link]", new() { HasTextString = marker + "-low" }).ClickAsync();
        await page.WaitForURLAsync("**/paths/ticket-triage/events/*");
        await page.Locator("[data-testid=review-reason]").WaitForAsync();
        Assert.Equal("low_confidence", (await page.Locator("[data-testid=review-reason]").TextContentAsync())?.Trim());
        var input = await page.Locator("[data-testid=event-input]").TextContentAsync();
        Assert.Contains("[email]", input);
        Assert.DoesNotContain("jane.roe@example.com", input);
        Assert.Contains("1 value(s) redacted", await page.Locator("[data-testid=redacted]").TextContentAsync());
        await page.ScreenshotAsync("event-detail");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task KeyCreatedInTheBrowser_WorksFromAService_ThenRevoked401()
    {
        var name = "e2e-key-" + Guid.NewGuid().ToString("N")[..6];
        var page = await app.NewPageAsync();
        await page.SignedInAsync("owner@opsconsole.local", "/keys");
        await page.Locator("[data-testid=keys-table]").WaitForAsync();
        await page.ClickAsync("[data-testid=new-key]");
        await page.Locator("#key-name").WaitForAsync();

        // Without a path the key is refused with a reason.
        await page.FillAsync("#key-name", name);
        await page.ClickAsync("[data-testid=create-key]");
        await page.Locator("[data-testid=dialog-errors]", new() { HasTextString = "Choose the paths" }).WaitForAsync();

        await page.ClickAsync("[data-testid=key-path-ticket-triage]");
        await page.ScreenshotAsync("key-create-dialog");
        await page.ClickAsync("[data-testid=create-key]");
        var secretBox = page.Locator("#key-secret");
        await secretBox.WaitForAsync();
        var secret = await secretBox.InputValueAsync();
        Assert.StartsWith("ocs_", secret);
        await page.ScreenshotAsync("key-secret-once");
        await page.ClickAsync("[data-testid=secret-done]");
        await page.Locator("tr", new() { HasTextString = name }).WaitForAsync();
        // The page shows only the prefix from now on.
        Assert.DoesNotContain(secret, await page.ContentAsync());

        using (var ok = await PostAsync(secret, Event(name + "-1", "ticket-triage", 0.9, "x", "y")))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Contains("\"accepted\":1", await ok.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
        using (var forbidden = await PostAsync(secret, Event(name + "-2", "support-reply-draft", 0.9, "x", "y")))
        {
            Assert.Contains("\"reason\":\"forbidden\"", await forbidden.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        await page.ClickAsync($"[data-testid=revoke-{name}]");
        await page.ClickAsync("[data-testid=confirm-revoke]");
        try
        {
            await page.Locator("tr", new() { HasTextString = name }).Locator("text=revoked").WaitForAsync();
        }
        catch (TimeoutException ex)
        {
            // Seen once in a full run and not since: keep what the page and the console said.
            await page.ScreenshotAsync("keys-revoke-timeout");
            var log = app.AppLog;
            throw new TimeoutException($"The key was not shown as revoked. Console log tail:\n{log[Math.Max(0, log.Length - 4000)..]}", ex);
        }
        await page.ScreenshotAsync("keys-after-revoke");

        using var refused = await PostAsync(secret, Event(name + "-3", "ticket-triage", 0.9, "x", "y"));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task RefusedItems_ListedInQuarantineWithReason()
    {
        var id = "e2e-bad-" + Guid.NewGuid().ToString("N")[..6];
        var bad = Event(id, "support-reply-draft", 0.5, "x", "y");
        bad["outcome"] = "exploded";
        using (var response = await PostAsync(DemoKey, bad))
        {
            Assert.Contains("invalid_field:outcome", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        var page = await app.NewPageAsync();
        await page.SignedInAsync("owner@opsconsole.local", "/paths/support-reply-draft/quarantine");
        var row = page.Locator("tr", new() { HasTextString = id });
        await row.WaitForAsync();
        Assert.Equal("invalid_field:outcome", (await row.Locator("[data-testid=quarantine-reason]").TextContentAsync())?.Trim());
        await page.WaitForInteractiveAsync();
        await page.ScreenshotAsync("quarantine");

        // Replaying it runs the same rules: still refused, so it stays, with its replay counted.
        await row.Locator("input[type=checkbox]").ClickAsync();
        await page.ClickAsync("[data-testid=replay]");
        await page.ClickAsync("[data-testid=confirm-replay]");
        await page.Locator(".mud-snackbar", new() { HasTextString = "1 still refused" }).WaitForAsync();
        await page.Locator("tr", new() { HasTextString = id }).Locator("[data-testid=quarantine-replays]", new() { HasTextString = "1" }).WaitForAsync();
        await page.Context.CloseAsync();
    }
}
