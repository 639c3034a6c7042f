using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpsConsole.E2E;

/// <summary>
/// Golden sets in Chromium: reviewers' decisions grown into a golden set by an owner, a case flagged
/// critical by an edit, CI posting a regressed run for the candidate, the canary held back at the gate,
/// and the compare page showing the regressed case first.
/// </summary>
public sealed class GoldenSetJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    private const string Slug = "invoice-field-extraction";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Api()
    {
        var http = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", EventsApi.DemoKey);
        return http;
    }

    private static JsonObject Event(string id, int total) => new()
    {
        ["eventId"] = id,
        ["path"] = Slug,
        ["occurredAt"] = DateTime.UtcNow.AddSeconds(-1).ToString("O"),
        ["confidence"] = 0.01,
        ["outcome"] = "ok",
        ["input"] = $"Invoice {id} from Acme, total {total} EUR",
        ["output"] = $"{{\"supplier\":\"Acme\",\"total\":{total}}}",
    };

    private async Task<string> ReleaseAsync(HttpClient api, string prompt)
    {
        using var response = await api.PostAsJsonAsync($"/api/v1/paths/{Slug}/releases", new { model = "extractor-v3.2", promptVersion = prompt }, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
    }

    private async Task<JsonElement> RunAsync(HttpClient api, string runId, string release, IReadOnlyList<string> cases, string? failing)
    {
        var body = new JsonObject
        {
            ["runId"] = runId,
            ["release"] = release,
            ["dataset"] = "golden",
            ["datasetVersion"] = 2,
            ["cases"] = new JsonArray([.. cases.Select(c => (JsonNode)new JsonObject { ["caseId"] = c, ["pass"] = c != failing, ["output"] = c == failing ? "{\"supplier\":\"Acme\",\"total\":0}" : "{\"supplier\":\"Acme\",\"total\":1200}" })]),
        };
        using var response = await api.PostAsJsonAsync($"/api/v1/paths/{Slug}/evaluations", body, Ct);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, answer.ToString());
        return answer;
    }

    [Fact]
    public async Task Owner_GrowsAGoldenSetFromLabels_CiPostsARegressedRun_CanaryHeldBack_CompareShowsTheRegressionFirst()
    {
        // Three low-confidence outputs reach the queue; a reviewer approves them with the keyboard.
        var ids = Enumerable.Range(0, 3).Select(i => $"gs-{i}-" + Guid.NewGuid().ToString("N")[..6]).ToArray();
        using (var posted = await EventsApi.PostAsync(app.BaseUrl, EventsApi.DemoKey, ids.Select((id, i) => Event(id, 1000 + i))))
        {
            Assert.True(posted.IsSuccessStatusCode);
        }
        var reviewer = await app.NewPageAsync();
        await reviewer.SignedInAsync("reviewer@opsconsole.local", $"/review?path={Slug}");
        await reviewer.Locator("[data-testid=queue-keys]").WaitForAsync();
        await reviewer.FocusedAsync("[data-testid=queue-keys]");
        for (var i = 0; i < 3; i++)
        {
            await reviewer.Keyboard.PressAsync("n");
            await reviewer.Locator("[data-testid=review-state]", new() { HasTextString = "claimed by you" }).WaitForAsync();
            await reviewer.FocusedAsync("[data-testid=review-keys]");
            await reviewer.Keyboard.PressAsync("a");
            await reviewer.Locator("[data-testid=review-state]", new() { HasTextString = "approved by reviewer@opsconsole.local" }).WaitForAsync();
        }
        await reviewer.Context.CloseAsync();

        // The owner grows the set from those labels (preview first), then designates it as the gate.
        var owner = await app.NewPageAsync();
        await owner.SignedInAsync("owner@opsconsole.local", $"/paths/{Slug}/datasets");
        await owner.Locator("[data-testid=no-datasets]").WaitForAsync();
        await owner.ClickAsync("[data-testid=from-labels]");
        await owner.FillAsync("#labels-dataset-name", "golden");
        await owner.ClickAsync("[data-testid=preview-labels]");
        await Assertions.Expect(owner.Locator("[data-testid=labels-preview]")).ToContainTextAsync("3 labels → 3 cases (3 approved, 0 corrected, 0 negative)");
        await owner.ScreenshotViewportAsync("golden-set-from-labels");
        await owner.ClickAsync("[data-testid=create-from-labels]");
        await Assertions.Expect(owner.Locator("tr[data-dataset=golden]")).ToContainTextAsync("labels");
        await owner.ChooseAsync("[data-testid=golden-select]", "golden");
        await owner.ClickAsync("[data-testid=save-policy]");
        await Assertions.Expect(owner.Locator("tr[data-dataset=golden]")).ToContainTextAsync("gates candidates");
        await owner.ScreenshotAsync("golden-sets");

        // An edit flags the first case critical: version 2.
        await owner.ClickAsync("tr[data-dataset=golden] [data-testid=dataset-link]");
        await owner.Locator("[data-testid=cases] tr[data-case]").First.WaitForAsync();
        var caseIds = await owner.Locator("[data-testid=cases] tr[data-case]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.case)");
        Assert.Equal(ids.Order(), caseIds.Order());
        await owner.ClickAsync("[data-testid=edit-dataset]");
        var critical = caseIds[0];
        await owner.Locator($"tr[data-case='{critical}'] .mud-switch input").CheckAsync();
        await Assertions.Expect(owner.Locator("[data-testid=edit-summary]")).ToContainTextAsync("1 critical flag changed");
        await owner.ClickAsync("[data-testid=save-edit]");
        await owner.ClickAsync("[data-testid=confirm-save-edit]");
        await owner.WaitForURLAsync($"**/datasets/golden?v=2");
        await Assertions.Expect(owner.Locator($"tr[data-case='{critical}']")).ToContainTextAsync("critical");

        // CI: a stable and a candidate release, stable's run as baseline, the candidate failing the critical case.
        using var api = Api();
        var stable = await ReleaseAsync(api, "fields-v5");
        var candidate = await ReleaseAsync(api, "fields-v6");
        var baseline = await RunAsync(api, "ci-stable", stable, caseIds, failing: null);
        Assert.Equal("baseline", baseline.GetProperty("verdict").GetString());
        var regressed = await RunAsync(api, "ci-candidate", candidate, caseIds, failing: critical);
        Assert.Equal(("regressed", true), (regressed.GetProperty("verdict").GetString(), regressed.GetProperty("failCi").GetBoolean()));

        // The canary cannot start: the start dialog shows the gate and offers no start; the API refuses too.
        await owner.OpenAsync($"/paths/{Slug}");
        var row = owner.Locator($"tr[data-release='{candidate}']");
        await row.Locator("[data-testid=start-candidate]").ClickAsync();
        await Assertions.Expect(owner.Locator("[data-testid=start-gate]")).ToContainTextAsync("regressed");
        await Assertions.Expect(owner.Locator("[data-testid=confirm-release-action]")).ToBeDisabledAsync();
        await owner.ScreenshotViewportAsync("canary-held-by-evaluation-gate");
        await owner.PressInDialogAsync("Escape");
        using (var start = await api.PostAsJsonAsync($"/api/v1/paths/{Slug}/candidate", new { release = candidate }, Ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, start.StatusCode);
        }
        await Assertions.Expect(row).Not.ToContainTextAsync("candidate 1 %");

        // The release page shows the gate and links the run's comparison: the regressed critical case first, with a word diff.
        await owner.OpenAsync($"/paths/{Slug}/releases/{candidate}");
        await Assertions.Expect(owner.Locator("[data-testid=evaluation-gate]")).ToHaveAttributeAsync("data-gate", "blocks");
        await owner.ClickAsync("[data-testid=compare-link]");
        var first = owner.Locator("[data-testid=case]").First;
        await Assertions.Expect(first).ToHaveAttributeAsync("data-case", critical);
        await Assertions.Expect(first).ToHaveAttributeAsync("data-change", "regression");
        await Assertions.Expect(first.Locator("[data-testid=output-diff] del")).ToHaveTextAsync(["1200"]);
        await Assertions.Expect(owner.Locator("[data-testid=verdict-sentence]")).ToContainTextAsync("1 critical case fails");
        await owner.ScreenshotAsync("evaluation-compare");

        // On a phone the compare page reads without sideways scrolling.
        var phone = await app.NewPageAsync(390, 844);
        await phone.SignedInAsync("owner@opsconsole.local", new Uri(owner.Url).PathAndQuery);
        await phone.Locator("[data-testid=case]").First.WaitForAsync();
        Assert.True(await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "the compare page scrolls sideways on a phone");
        await phone.ScreenshotAsync("evaluation-compare-phone");
        await owner.Context.CloseAsync();
        await phone.Context.CloseAsync();
    }
}
