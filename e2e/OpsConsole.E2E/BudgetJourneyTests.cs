using System.Net.Http.Headers;
using System.Text.Json;

namespace OpsConsole.E2E;

/// <summary>An owner caps a demo path's spend; the demo's own traffic spends it; on-call finds the incident and restores the path.</summary>
public sealed class BudgetJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    private const string Slug = "invoice-field-extraction"; // 100 %: every unit is on until the budget acts

    private async Task<JsonElement> DecisionAsync(string unit)
    {
        using var http = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", EventsApi.DemoKey);
        var body = await http.GetStringAsync($"/api/v1/paths/{Slug}/decision?unit={unit}", TestContext.Current.CancellationToken);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task Owner_SetsASmallBudget_DemoTrafficSpendsIt_OnCallSeesTheIncidentAndRestores()
    {
        Assert.True((await DecisionAsync("u-1")).GetProperty("enabled").GetBoolean());

        // The owner sets one cent a day, with the kill switch at 100 %. A negative amount is refused at its field first.
        var owner = await app.NewPageAsync();
        await owner.SignedInAsync("owner@opsconsole.local", $"/paths/{Slug}/edit");
        var section = owner.Locator("[data-testid=budget-section]");
        await section.ScrollIntoViewIfNeededAsync();
        await owner.FillAsync("#budget-daily-usd", "-1");
        await owner.ClickAsync("[data-testid=budget-save]");
        await Assertions.Expect(section).ToContainTextAsync("A USD budget must be a number above 0");
        await owner.FillAsync("#budget-daily-usd", "0.01");
        await owner.ChooseAsync("[data-testid=budget-action]", "Trip the kill switch");
        await owner.ScreenshotAsync("budget-form");
        await owner.ClickAsync("[data-testid=budget-save]");
        await owner.GetByText("Budget saved.").WaitForAsync();

        // The dashboard's card shows the spend against the cent; the demo traffic spends it within a minute or so.
        await owner.OpenAsync($"/paths/{Slug}/dashboard");
        var card = owner.Locator("[data-testid=budget-card]");
        await Assertions.Expect(card.Locator("[data-testid=budget-day-usd]")).ToContainTextAsync("of $0.01");
        await owner.Context.CloseAsync();

        var oncall = await app.NewPageAsync();
        await oncall.SignedInAsync("oncall@opsconsole.local", "/incidents");
        var link = oncall.Locator("[data-testid=incident-link]", new() { HasTextString = $"Budget exhausted on {Slug}" });
        for (var i = 0; i < 18 && !await link.IsVisibleAsync(); i++)
        {
            await Task.Delay(5_000, TestContext.Current.CancellationToken);
            await oncall.OpenAsync("/incidents");
        }
        await link.WaitForAsync(new() { Timeout = 5_000 });
        var d = await DecisionAsync("u-1");
        Assert.Equal((false, "budget_exhausted"), (d.GetProperty("enabled").GetBoolean(), d.GetProperty("reason").GetString()));

        await link.ClickAsync();
        await oncall.WaitForURLAsync("**/incidents/*");
        await oncall.WaitForInteractiveAsync();
        var timeline = await oncall.Locator("[data-testid=timeline]").TextContentAsync() ?? "";
        Assert.Contains("daily budget", timeline);
        Assert.Contains("kill switch on", timeline);
        Assert.Equal("oncall@opsconsole.local", (await oncall.Locator("[data-testid=incident-assignee]").TextContentAsync())!.Trim());
        await oncall.ScreenshotAsync("budget-incident");

        // The dashboard says the budget holds the path, and shows the spend over the line.
        await oncall.OpenAsync($"/paths/{Slug}/dashboard");
        var contained = oncall.Locator("[data-testid=budget-contained]");
        await contained.WaitForAsync();
        await Assertions.Expect(oncall.Locator("[data-testid=budget-day-usd] [data-testid=budget-state]")).ToContainTextAsync("exhausted");
        await oncall.Locator("[data-testid=chart-budget-spend] .apexcharts-canvas").WaitForAsync();
        await oncall.Locator("[data-testid=budget-card]").ScrollIntoViewIfNeededAsync();
        await oncall.ScreenshotAsync("budget-card-exhausted");

        // On-call restores it with a reason; the decision is on again and no longer blames the budget.
        await oncall.OpenAsync($"/paths/{Slug}");
        await oncall.Locator("[data-testid=kill-state]", new() { HasTextString = "Killed" }).WaitForAsync();
        await oncall.ClickAsync("[data-testid=kill-panel] [data-testid=kill-switch]");
        await oncall.TypeKillReasonAsync("finance raised the budget for the quarter close");
        await oncall.ClickAsync("[data-testid=confirm-kill]");
        await oncall.Locator("[data-testid=kill-state]", new() { HasTextString = "Live" }).WaitForAsync();
        d = await DecisionAsync("u-1");
        Assert.True(d.GetProperty("enabled").GetBoolean());
        Assert.NotEqual("budget_exhausted", d.GetProperty("reason").GetString());
        await oncall.Context.CloseAsync();

        // On a phone the card stays within the screen.
        var phone = await app.NewPageAsync(390, 844);
        await phone.SignedInAsync("owner@opsconsole.local", $"/paths/{Slug}/dashboard");
        await phone.Locator("[data-testid=budget-card]").ScrollIntoViewIfNeededAsync();
        await phone.ScreenshotViewportAsync("budget-card-phone");
        var width = await phone.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
        Assert.True(width <= 390, $"the dashboard is {width} px wide on a 390 px screen");
        await phone.Context.CloseAsync();
    }
}
