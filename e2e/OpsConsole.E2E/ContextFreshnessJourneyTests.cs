using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace OpsConsole.E2E;

/// <summary>
/// Context freshness in Chromium: an AI service posts a draft built on a help-centre article three
/// days old (the registry's SLO is a day) and a fresh ticket; the reviewer sees the stale marker on
/// the article, with its age and SLO in words, and none on the ticket; on a phone too.
/// </summary>
public sealed class ContextFreshnessJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    private const string Slug = "support-reply-draft";

    [Fact]
    public async Task StaleCitedSource_ReviewerSeesTheStaleMarker_WithAgeAndSlo()
    {
        var id = "fresh-e2e-" + Guid.NewGuid().ToString("N")[..8];
        var at = DateTime.UtcNow.AddSeconds(-10);
        var e = new JsonObject
        {
            ["eventId"] = id,
            ["path"] = Slug,
            ["occurredAt"] = at.ToString("O"),
            ["confidence"] = 0.15,
            ["input"] = "Can I still return the kettle I bought last month?",
            ["output"] = "Returns are accepted within 14 days of delivery.",
            ["sources"] = new JsonArray(
                new JsonObject
                {
                    ["title"] = "Returns policy",
                    ["url"] = "https://help.example/returns",
                    ["snippet"] = "Returns are accepted within 14 days.",
                    ["system"] = "Help centre",
                    ["retrievedAt"] = at.AddSeconds(-1).ToString("O"),
                    ["sourceUpdatedAt"] = at.AddDays(-3).AddHours(-2).ToString("O"),
                },
                new JsonObject
                {
                    ["title"] = "Ticket #4711",
                    ["snippet"] = "Customer bought a kettle on the 2nd.",
                    ["system"] = "Ticket",
                    ["retrievedAt"] = at.AddSeconds(-1).ToString("O"),
                    ["sourceUpdatedAt"] = at.AddMinutes(-1).ToString("O"),
                }),
        };
        using (var response = await EventsApi.PostAsync(app.BaseUrl, EventsApi.DemoKey, [e]))
        {
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(response.IsSuccessStatusCode, text);
            Assert.Contains("\"accepted\":1", text);
        }

        var reviewer = await app.NewPageAsync();
        await reviewer.SignedInAsync("reviewer@opsconsole.local", $"/review?path={Slug}");
        var row = reviewer.Locator("[data-testid=queue-row]", new() { HasTextString = id });
        await row.WaitForAsync();
        var item = await row.GetAttributeAsync("data-item");
        await reviewer.GotoAsync($"{app.BaseUrl}/review/{item}");
        var sources = reviewer.Locator("[data-testid=review-sources]");
        await sources.WaitForAsync();

        var stale = sources.Locator("[data-testid=review-source-stale]");
        await Assertions.Expect(stale).ToHaveCountAsync(1);
        await Assertions.Expect(stale).ToHaveTextAsync("stale");
        var ages = sources.Locator("[data-testid=review-source-age]");
        await Assertions.Expect(ages).ToHaveCountAsync(2);
        await Assertions.Expect(ages.Nth(0)).ToContainTextAsync("Help centre: 3 d 2 h old when the output was made; freshness SLO 1 d 0 h");
        await Assertions.Expect(ages.Nth(1)).ToContainTextAsync("Ticket: 1 min old");
        // The marker is on the article's block, not the ticket's.
        await Assertions.Expect(sources.Locator("div.mb-3", new() { Has = reviewer.Locator("[data-testid=review-source-stale]") })).ToContainTextAsync("Returns policy");
        await reviewer.WaitForInteractiveAsync();
        await stale.HoverAsync();
        await Assertions.Expect(reviewer.GetByText("so the answer may be outdated")).ToBeVisibleAsync();
        await sources.ScrollIntoViewIfNeededAsync();
        await reviewer.ScreenshotViewportAsync("freshness-review-1280");

        var phone = await app.NewPageAsync(390, 844);
        await phone.SignedInAsync("reviewer@opsconsole.local", $"/review/{item}");
        var phoneSources = phone.Locator("[data-testid=review-sources]");
        await phoneSources.WaitForAsync();
        await Assertions.Expect(phoneSources.Locator("[data-testid=review-source-stale]")).ToHaveCountAsync(1);
        await phoneSources.ScrollIntoViewIfNeededAsync();
        await phone.ScreenshotViewportAsync("freshness-review-390");
        Assert.True(await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "the review view scrolls sideways on a phone");

        // The owner's dashboard counts it in the context freshness section, on a phone without sideways scroll.
        var desk = await app.NewPageAsync();
        await desk.SignedInAsync("owner@opsconsole.local", $"/paths/{Slug}/dashboard");
        var deskSection = desk.Locator("[data-testid=context-freshness]");
        await deskSection.WaitForAsync();
        await Assertions.Expect(deskSection.Locator("[data-testid=freshness-row]", new() { HasTextString = "Help centre" })).ToContainTextAsync("SLO 1 d 0 h");
        await deskSection.ScrollIntoViewIfNeededAsync();
        await desk.ScreenshotViewportAsync("freshness-dashboard-1280");

        var owner = await app.NewPageAsync(390, 844);
        await owner.SignedInAsync("owner@opsconsole.local", $"/paths/{Slug}/dashboard");
        var section = owner.Locator("[data-testid=context-freshness]");
        await section.WaitForAsync();
        await Assertions.Expect(section.Locator("[data-testid=freshness-row]", new() { HasTextString = "Help centre" })).ToBeVisibleAsync();
        await section.ScrollIntoViewIfNeededAsync();
        await owner.ScreenshotViewportAsync("freshness-dashboard-390");
        Assert.True(await owner.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "the dashboard scrolls sideways on a phone");
    }
}
