using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using OpsConsole.Client;

namespace OpsConsole.E2E;

/// <summary>Releases on the path page in Chromium: create (with a mistake first), start a candidate, see decisions follow, roll it back, revert stable from the release pages.</summary>
public sealed class ReleasesJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    private const string Slug = "ticket-triage"; // at 50 %

    private async Task<JsonElement> DecideAsync(string unit)
    {
        using var http = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", EventsApi.DemoKey);
        return await http.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{Slug}/decision?unit={unit}", TestContext.Current.CancellationToken);
    }

    private static async Task CreateReleaseAsync(IPage page, string model, string prompt)
    {
        await page.ClickAsync("[data-testid=new-release]");
        await page.Locator("#release-model").WaitForAsync();
        await page.FillAsync("#release-model", model);
        await page.FillAsync("#release-prompt", prompt);
    }

    [Fact]
    public async Task Owner_CreatesAStableAndACandidate_DecisionsFollow_RollBackReturnsEveryUnitToStable()
    {
        var owner = await app.NewPageAsync();
        await owner.SignedInAsync("owner@opsconsole.local", $"/paths/{Slug}");
        await owner.Locator("[data-testid=no-releases]").WaitForAsync();

        // A mistake in the parameters is named in its field; nothing is created.
        await CreateReleaseAsync(owner, "gpt-4o-mini-2024-07-18", "triage-v1");
        await owner.FillAsync("#release-parameters", "{\"temperature\": 0.1,");
        await owner.ClickAsync("[data-testid=create-release]");
        await Assertions.Expect(owner.Locator(".mud-dialog")).ToContainTextAsync("parameters is not valid JSON");
        await owner.ScreenshotViewportAsync("release-new-invalid");
        await owner.FillAsync("#release-parameters", "{\"temperature\": 0.1}");
        await owner.ClickAsync("[data-testid=create-release]");
        var stableRow = owner.Locator("tr[data-release]", new() { HasTextString = "triage-v1" });
        await Assertions.Expect(stableRow).ToContainTextAsync("stable");
        var stable = await stableRow.GetAttributeAsync("data-release");

        await CreateReleaseAsync(owner, "gpt-4o-mini-2024-07-18", "triage-v2");
        await owner.ClickAsync("[data-testid=create-release]");
        var candidateRow = owner.Locator("tr[data-release]", new() { HasTextString = "triage-v2" });
        await candidateRow.WaitForAsync();
        var candidate = await candidateRow.GetAttributeAsync("data-release");
        await candidateRow.Locator("[data-testid=start-candidate]").ClickAsync();
        await owner.ClickAsync("[data-testid=confirm-release-action]");
        await Assertions.Expect(candidateRow).ToContainTextAsync("candidate 1 %");
        await owner.ScreenshotAsync("path-releases-candidate");

        // A unit inside the rollout and inside the candidate's 1 % gets the candidate; the API says which release.
        var unit = Enumerable.Range(0, 20_000).Select(i => "customer-" + i)
            .First(u => Rollout.Bucket(Slug, u) <= 50 && Rollout.VariantBucket(Slug, u) <= 10);
        var decision = await DecideAsync(unit);
        Assert.Equal(("candidate", candidate), (decision.GetProperty("variant").GetString(), decision.GetProperty("release").GetString()));

        // Roll back: a reason is required, then every unit is on stable at once.
        await candidateRow.Locator("[data-testid=rollback-candidate]").ClickAsync();
        await owner.ClickAsync("[data-testid=confirm-release-action]");
        await Assertions.Expect(owner.Locator(".mud-dialog")).ToContainTextAsync("Give a reason");
        await owner.FillAsync("#release-action-reason", "reviewers reject triage-v2");
        await owner.ClickAsync("[data-testid=confirm-release-action]");
        await Assertions.Expect(candidateRow).Not.ToContainTextAsync("candidate 1 %");
        decision = await DecideAsync(unit);
        Assert.Equal(("stable", stable), (decision.GetProperty("variant").GetString(), decision.GetProperty("release").GetString()));

        // From the release pages: make triage-v2 stable (verified offline), then revert to the earlier triage-v1;
        // each time the very next decision answers the new stable release.
        await owner.OpenAsync($"/paths/{Slug}/releases/{candidate}");
        await owner.ClickAsync("[data-testid=revert-stable]");
        await owner.FillAsync("#release-page-reason", "triage-v2 verified offline");
        await owner.ClickAsync("[data-testid=confirm-release-action]");
        await Assertions.Expect(owner.Locator("[data-testid=release-role]")).ToHaveTextAsync("stable");
        decision = await DecideAsync(unit);
        Assert.Equal(("stable", candidate), (decision.GetProperty("variant").GetString(), decision.GetProperty("release").GetString()));

        await owner.OpenAsync($"/paths/{Slug}/releases/{stable}");
        // The page compares triage-v1 with the stable triage-v2: the prompt version differs, the model does not.
        // (word diff: "triage-" is common, "v2" removed, "v1" added)
        await Assertions.Expect(owner.Locator("[data-testid=release-config] tr[data-field='Prompt version'] ins")).ToHaveTextAsync("v1");
        await Assertions.Expect(owner.Locator("[data-testid=release-config] tr[data-field='Prompt version'] del")).ToHaveTextAsync("v2");
        await Assertions.Expect(owner.Locator("[data-testid=release-config] tr[data-field='Model'] ins")).ToHaveCountAsync(0);
        await owner.ClickAsync("[data-testid=revert-stable]");
        await owner.ClickAsync("[data-testid=confirm-release-action]");
        await Assertions.Expect(owner.Locator(".mud-dialog")).ToContainTextAsync("Give a reason");
        await owner.FillAsync("#release-page-reason", "triage-v2 misroutes billing tickets");
        await owner.ScreenshotAsync("release-page-revert");
        await owner.ClickAsync("[data-testid=confirm-release-action]");
        await Assertions.Expect(owner.Locator("[data-testid=release-role]")).ToHaveTextAsync("stable");
        decision = await DecideAsync(unit);
        Assert.Equal(("stable", stable), (decision.GetProperty("variant").GetString(), decision.GetProperty("release").GetString()));
        await Assertions.Expect(owner.Locator("[data-testid=release-timeline]")).ToContainTextAsync("Made stable again");
        await owner.Context.CloseAsync();

        // On a phone the releases table scrolls inside its panel, which stays within the screen.
        var phone = await app.NewPageAsync(390, 844);
        await phone.SignedInAsync("owner@opsconsole.local", $"/paths/{Slug}");
        await phone.Locator("tr[data-release]").First.WaitForAsync();
        var panel = phone.Locator("[data-testid=path-releases]");
        await panel.ScrollIntoViewIfNeededAsync();
        await phone.ScreenshotViewportAsync("path-releases-phone");
        var box = await panel.BoundingBoxAsync();
        Assert.NotNull(box);
        Assert.True(box.X >= 0 && box.X + box.Width <= 390, $"the releases panel spans x={box.X}..{box.X + box.Width} on a 390 px screen");
        await phone.Context.CloseAsync();
    }
}
