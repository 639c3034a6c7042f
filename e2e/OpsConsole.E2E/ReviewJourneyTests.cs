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
        await a.FocusedAsync("[data-testid=review-keys]");
        await a.Keyboard.PressAsync("a");
        await a.Locator("[data-testid=review-message]", new() { HasTextString = "Approved." }).WaitForAsync();
        await Row(b, id).WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = 2000 });
        await b2.Locator("[data-testid=review-state]", new() { HasTextString = "approved by reviewer@opsconsole.local" }).WaitForAsync(new() { Timeout = 2000 });

        // B trying to decide it hears who already did.
        await b2.FocusedAsync("[data-testid=review-keys]");
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
        await page.FocusedAsync("[data-testid=queue-keys]");
        for (var i = 0; i < 3; i++)
        {
            await page.Keyboard.PressAsync("n");
            await page.Locator("[data-testid=review-state]", new() { HasTextString = "claimed by you" }).WaitForAsync();
            await page.FocusedAsync("[data-testid=review-keys]");
            // The last item's "Approved." does not follow the reviewer to the next one.
            Assert.Equal(0, await page.Locator("[data-testid=review-message]").CountAsync());
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
    public async Task Reviewer_CorrectsWithTheKeyboard_CursorInTheEditorAndOnlyTheChangedValueMarked()
    {
        var id = "e2e-e-" + Guid.NewGuid().ToString("N")[..6];
        await PostAsync(id);
        var page = await app.NewPageAsync();
        await page.SignedInAsync("reviewer@opsconsole.local", "/review?path=invoice-field-extraction");
        await Row(page, id).ClickAsync();
        await page.Locator("[data-testid=review-state]", new() { HasTextString = "claimed by you" }).WaitForAsync();
        await page.FocusedAsync("[data-testid=review-keys]");

        // ? shows the shortcuts of this view; Esc closes them and gives the keyboard back to the view.
        await page.Keyboard.PressAsync("?");
        await page.Locator("[data-testid=shortcuts]", new() { HasTextString = "Approve the output" }).WaitForAsync();
        await page.Keyboard.PressAsync("Escape");
        await page.Locator("[data-testid=shortcuts]").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await page.FocusedAsync("[data-testid=review-keys]");
        Assert.EndsWith($"/review/{page.Url.Split('/').Last()}", page.Url); // Esc closed the help, not the view

        await page.Keyboard.PressAsync("e");
        await page.FocusedAsync("#corrected-output");
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.TypeAsync("{\"supplier\":\"Acme\",\"total\":1250}");
        // The diff follows the typing: before the closing brace arrives it rightly marks "1200}" as replaced,
        // so the assertion waits for the diff of the whole typed text (the list of marked words, exactly).
        await Assertions.Expect(page.Locator("#corrected-output")).ToHaveValueAsync("{\"supplier\":\"Acme\",\"total\":1250}");
        await Assertions.Expect(page.Locator("[data-testid=diff] del")).ToHaveTextAsync(["1200"]);
        await Assertions.Expect(page.Locator("[data-testid=diff] ins")).ToHaveTextAsync(["1250"]);
        await page.ScreenshotAsync("review-item-correcting-1280");

        await page.Keyboard.PressAsync("Control+Enter");
        await page.Locator("[data-testid=review-message]", new() { HasTextString = "Correction saved." }).WaitForAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ItemHeldBySomeoneElse_OnAPhone_ClaimNotOffered()
    {
        var id = "e2e-h-" + Guid.NewGuid().ToString("N")[..6];
        await PostAsync(id);
        var holder = await app.NewPageAsync();
        await holder.SignedInAsync("reviewer@opsconsole.local", "/review?path=invoice-field-extraction");
        await Row(holder, id).ClickAsync();
        await holder.Locator("[data-testid=review-state]", new() { HasTextString = "claimed by you" }).WaitForAsync();

        var other = await app.NewPageAsync(390, 844);
        await other.SignedInAsync("owner2@opsconsole.local", new Uri(holder.Url).PathAndQuery);
        await other.Locator("[data-testid=held-by-other]", new() { HasTextString = "reviewer@opsconsole.local is reviewing this item" }).WaitForAsync();
        Assert.Equal(0, await other.Locator("[data-testid=claim]").CountAsync());
        Assert.Contains("mud-button-filled", await other.Locator("[data-testid=next]").GetAttributeAsync("class"));
        await other.ScreenshotAsync("review-item-held-by-other-390");
        await holder.ScreenshotAsync("review-item-claimed-by-you-1280");
        foreach (var page in new[] { holder, other })
        {
            await page.Context.CloseAsync();
        }
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
