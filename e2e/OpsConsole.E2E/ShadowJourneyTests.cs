using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpsConsole.E2E;

/// <summary>Shadow mode in Chromium: a candidate in shadow, three primary and shadow outputs, a reviewer deciding the pairs with the keyboard.</summary>
public sealed class ShadowJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    private const string Slug = "invoice-field-extraction"; // at 100 %: every unit is on
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Api()
    {
        var http = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", EventsApi.DemoKey);
        return http;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static JsonObject Event(string id, string unit, string input, string output, string? shadowOf) => new()
    {
        ["eventId"] = id,
        ["path"] = Slug,
        ["occurredAt"] = DateTime.UtcNow.AddSeconds(-2).ToString("O"),
        ["unit"] = unit,
        ["confidence"] = 0.97,
        ["input"] = input,
        ["output"] = output,
        ["shadowOf"] = shadowOf,
    };

    [Fact]
    public async Task Reviewer_DecidesThreePairwiseItemsWithTheKeyboard_WinRateAndGateOnTheReleasePage()
    {
        using var api = Api();
        string? candidate = null;
        foreach (var prompt in new[] { "fields-shadow-a", "fields-shadow-b" })
        {
            using var created = await api.PostAsync($"/api/v1/paths/{Slug}/releases", Json($$"""{"model":"extractor-v4","promptVersion":"{{prompt}}"}"""), Ct);
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(Ct));
            candidate = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString();
        }
        using (var started = await api.PostAsync($"/api/v1/paths/{Slug}/candidate", Json($$$"""{"release":"{{{candidate}}}","shadow":{"share":1},"minWinRate":0.9}"""), Ct))
        {
            Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        }

        var inputs = new[] { "Invoice 4711: 3 × 12.50 EUR", "Invoice 4712: net 100, VAT 19 %", "Invoice 4713: due 2026-12-31" };
        for (var i = 0; i < inputs.Length; i++)
        {
            using var posted = await EventsApi.PostAsync(app.BaseUrl, EventsApi.DemoKey,
            [
                Event($"shadow-journey-{i}", $"acct-{i}", inputs[i], $"stable fields {i}", null),
                Event($"shadow-journey-{i}-c", $"acct-{i}", inputs[i], $"candidate fields {i}", $"shadow-journey-{i}"),
            ]);
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        }

        var reviewer = await app.NewPageAsync();
        await reviewer.SignedInAsync("reviewer@opsconsole.local", $"/review?path={Slug}");
        await reviewer.ClickAsync("[data-testid=open-pairwise]");
        await Assertions.Expect(reviewer.Locator("[data-testid=pairwise-pending]")).ToHaveTextAsync("3 pending");
        await reviewer.WaitForInteractiveAsync();
        var candidateWins = 0;
        foreach (var key in new[] { "1", "2", "3" })
        {
            var keys = reviewer.Locator("[data-testid=pairwise-keys]");
            await Assertions.Expect(keys.Locator("[data-testid=pairwise-a]")).ToBeVisibleAsync();
            // The arms stay hidden until the reviewer decides.
            await Assertions.Expect(keys.Locator("[data-testid^=pairwise-arm-]")).ToHaveCountAsync(0);
            var a = await keys.Locator("[data-testid=pairwise-output-a]").TextContentAsync();
            await keys.FocusAsync();
            await reviewer.Keyboard.PressAsync(key);
            await Assertions.Expect(keys.Locator("[data-testid=pairwise-arm-a]")).ToBeVisibleAsync();
            await Assertions.Expect(keys.Locator("[data-testid=pairwise-message]")).ToHaveCountAsync(0);
            var armA = await keys.Locator("[data-testid=pairwise-arm-a]").TextContentAsync();
            Assert.Equal(a!.StartsWith("candidate", StringComparison.Ordinal), armA!.StartsWith("candidate", StringComparison.Ordinal));
            candidateWins += key == "1" && armA.StartsWith("candidate", StringComparison.Ordinal) || key == "3" && !armA.StartsWith("candidate", StringComparison.Ordinal) ? 1 : 0;
            if (key == "1")
            {
                await reviewer.ScreenshotViewportAsync("pairwise-review-decided");
            }
            await reviewer.Keyboard.PressAsync("n");
        }
        await Assertions.Expect(reviewer.Locator("[data-testid=pairwise-empty]")).ToBeVisibleAsync();

        var owner = await app.NewPageAsync();
        await owner.SignedInAsync("owner@opsconsole.local", $"/paths/{Slug}/releases/{candidate}");
        await Assertions.Expect(owner.Locator("[data-testid=canary-state]")).ToHaveTextAsync("shadow");
        await Assertions.Expect(owner.Locator("[data-testid=win-rate]")).ToContainTextAsync($"3 decided pairs: {candidateWins} wins, 1 ties, {2 - candidateWins} losses");
        await Assertions.Expect(owner.Locator("[data-testid=canary-summary]")).ToContainTextAsync("In shadow");
        await Assertions.Expect(owner.Locator("[data-testid=win-rate-gate]")).ToContainTextAsync("not reached");
        await owner.ScreenshotAsync("release-shadow-win-rate");

        // The gate: three pairs cannot bring the lower bound to 90 %, so "Start canary" is refused with the reason.
        await owner.ClickAsync("[data-testid=start-canary]");
        await owner.ClickAsync("[data-testid=confirm-release-action]");
        await Assertions.Expect(owner.Locator("[data-testid=release-action-error]")).ToContainTextAsync("win rate does not reach the plan's minimum");
        await owner.ScreenshotViewportAsync("release-shadow-gate-refused");
    }
}
