using System.Text.Json.Nodes;

namespace OpsConsole.E2E;

/// <summary>Two reviewers in two browsers work one queue: live updates, no collisions, keyboard flow.</summary>
public sealed class ReviewJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    private async Task PostAsync(params string[] eventIds)
    {
        using var response = await EventsApi.PostAsync(app.BaseUrl, EventsApi.DemoKey, eventIds.Select(id => new JsonObject
        {
            ["eventId"] = id,
            ["path"] = "invoice-field-extraction",
            ["occurredAt"] = DateTime.UtcNow.AddSeconds(-1).ToString("O"),
            ["confidence"] = 0.01,
            ["outcome"] = "ok",
            ["input"] = "Invoice from Acme, total 1,200 EUR",
            ["output"] = "{\"supplier\":\"Acme\",\"total\":1200}",
            ["modelVersion"] = "extractor-e2e",
        }));
        Assert.True(response.IsSuccessStatusCode);
    }

    private static ILocator Row(IPage page, string eventId) => page.Locator("[data-testid=queue-row]", new() { HasTextString = eventId });

    [Fact]
    public async Task TwoReviewers_SeeEachOthersClaimsAndDecisionsLive_NeverCollide()
    {
        var id = "e2e-q-" + Guid.NewGuid().ToString("N")[..6];
        var a = await app.NewPageAsync();
        await a.SignedInAsync("reviewer@opsconsole.local", "/review?path=invoice-field-extraction");
        var b = await app.NewPageAsync();
        await b.SignedInAsync("owner2@opsconsole.local", "/review?path=invoice-field-extraction");
        await a.Locator("[data-testid=queue-keys]").WaitForAsync();
        await b.Locator("[data-testid=queue-keys]").WaitForAsync();

        // Posted through the API: both open queues show it within 2 s, without a reload.
        await PostAsync(id);
        await Row(a, id).WaitForAsync(new() { Timeout = 2000 });
        await Row(b, id).WaitForAsync(new() { Timeout = 2000 });
        await a.ScreenshotAsync("review-queue");

        // A claims by opening it; B's queue says who holds it.
        await Row(a, id).ClickAsync();
        await a.WaitForURLAsync("**/review/*");
        await a.Locator("[data-testid=review-state]", new() { HasTextString = "claimed by you" }).WaitForAsync();
        await Row(b, id).Locator("[data-testid=queue-status]", new() { HasTextString = "claimed by reviewer@opsconsole.local" }).WaitForAsync(new() { Timeout = 2000 });
        var itemUrl = a.Url;
        await a.ScreenshotAsync("review-item-claimed");

        // B opens it anyway: read-only, with who holds it and until when.
        var b2 = await app.NewPageAsync();
        await b2.SignedInAsync("owner2@opsconsole.local", new Uri(itemUrl).PathAndQuery);
        await b2.Locator("[data-testid=review-state]", new() { HasTextString = "claimed by reviewer@opsconsole.local until" }).WaitForAsync();
        Assert.Equal(0, await b2.Locator("[data-testid=approve]").CountAsync());

        // A approves with the keyboard; the item leaves B's queue at once and B's view shows the decision.
        await a.WaitForFunctionAsync("() => document.activeElement?.dataset?.testid === 'review-keys'");
        await a.Keyboard.PressAsync("a");
        await a.Locator("[data-testid=review-message]", new() { HasTextString = "Approved." }).WaitForAsync();
        await Row(b, id).WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = 2000 });
        await b2.Locator("[data-testid=review-state]", new() { HasTextString = "approved by reviewer@opsconsole.local" }).WaitForAsync(new() { Timeout = 2000 });

        // B trying to decide it hears who already did.
        await b2.WaitForFunctionAsync("() => document.activeElement?.dataset?.testid === 'review-keys'");
        await b2.Keyboard.PressAsync("c");
        await b2.Locator("[data-testid=review-message]", new() { HasTextString = "Already approved by reviewer@opsconsole.local" }).WaitForAsync();
        await b2.ScreenshotAsync("review-item-already-decided");
        foreach (var page in new[] { a, b, b2 })
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Reviewer_WorksThreeItemsWithTheKeyboardOnly()
    {
        var ids = Enumerable.Range(0, 3).Select(i => $"e2e-k{i}-" + Guid.NewGuid().ToString("N")[..6]).ToArray();
        await PostAsync(ids);
        var page = await app.NewPageAsync();
        await page.SignedInAsync("reviewer@opsconsole.local", "/review?path=invoice-field-extraction");
        await page.Locator("[data-testid=queue-keys]").WaitForAsync();

        // The page puts the keyboard focus on the list itself; wait for it rather than click.
        await page.WaitForFunctionAsync("() => document.activeElement?.dataset?.testid === 'queue-keys'");
        for (var i = 0; i < 3; i++)
        {
            await page.Keyboard.PressAsync("n");
            await page.Locator("[data-testid=review-state]", new() { HasTextString = "claimed by you" }).WaitForAsync();
            await page.WaitForFunctionAsync("() => document.activeElement?.dataset?.testid === 'review-keys'");
            var eventId = await page.Locator("h1").TextContentAsync();
            await page.Keyboard.PressAsync("a");
            await page.Locator("[data-testid=review-message]", new() { HasTextString = "Approved." }).WaitForAsync();
            await page.Locator("[data-testid=review-state]", new() { HasTextString = "approved by reviewer@opsconsole.local" }).WaitForAsync();
            Assert.False(string.IsNullOrWhiteSpace(eventId));
        }
        await page.ScreenshotAsync("review-keyboard-third-item");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Viewer_CannotOpenTheQueue()
    {
        var page = await app.NewPageAsync();
        await page.SignedInAsync("viewer@opsconsole.local");
        var response = await page.GotoAsync("/review");
        Assert.Equal(403, response!.Status);
        await page.Context.CloseAsync();
    }
}
