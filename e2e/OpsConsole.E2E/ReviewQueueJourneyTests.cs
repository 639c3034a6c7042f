using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace OpsConsole.E2E;

/// <summary>A reviewer facing a queue longer than one page: it says so, and every open item can be reached.</summary>
public sealed partial class ReviewQueueJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    private const string Model = "extractor-e2e-queue";
    private const int Urgent = 230;
    private static readonly SemaphoreSlim Seeded = new(1, 1);
    private static bool _seeded;

    /// <summary>
    /// 230 urgent items, a past-due one and, posted last, a borderline one (confidence just under
    /// invoice's 0.85 threshold: the lowest priority, so last in the queue's order). All carry one
    /// model version, so the model filter shows exactly these whatever the demo traffic adds.
    /// </summary>
    private async Task SeedAsync()
    {
        await Seeded.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (_seeded)
            {
                return;
            }
            var events = Enumerable.Range(0, Urgent).Select(i => Event($"e2e-urgent-{i:000}", 0.01))
                .Append(Event("e2e-late", 0.80))
                .Append(Event("e2e-borderline", 0.84));
            using var response = await EventsApi.PostAsync(app.BaseUrl, EventsApi.DemoKey, events);
            Assert.True(response.IsSuccessStatusCode);
            // Time travel for one item: it was due an hour ago (the path's SLA is four hours).
            await using var db = new SqliteConnection($"Data Source={app.DatabasePath}");
            await db.OpenAsync(TestContext.Current.CancellationToken);
            await using var update = db.CreateCommand();
            update.CommandText = "UPDATE ReviewItems SET DueAt = $due WHERE EventRowId = (SELECT Id FROM InferenceEvents WHERE EventId = 'e2e-late')";
            update.Parameters.AddWithValue("$due", DateTime.UtcNow.AddHours(-1));
            Assert.Equal(1, await update.ExecuteNonQueryAsync(TestContext.Current.CancellationToken));
            _seeded = true;
        }
        finally
        {
            Seeded.Release();
        }
    }

    private static JsonObject Event(string id, double confidence) => new()
    {
        ["eventId"] = id,
        ["path"] = "invoice-field-extraction",
        ["occurredAt"] = DateTime.UtcNow.AddSeconds(-1).ToString("O"),
        ["confidence"] = confidence,
        ["outcome"] = "ok",
        ["input"] = "Invoice from Acme, total 1,200 EUR",
        ["output"] = "{\"supplier\":\"Acme\",\"total\":1200}",
        ["modelVersion"] = Model,
    };

    private static ILocator Row(IPage page, string eventId) => page.Locator("[data-testid=queue-row]", new() { HasTextString = eventId });

    private async Task<IPage> OpenQueueAsync(int width = 1280, int height = 800)
    {
        await SeedAsync();
        var page = await app.NewPageAsync(width, height);
        await page.SignedInAsync("reviewer@opsconsole.local", "/review");
        await page.Locator("[data-testid=queue-count]").WaitForAsync();
        await page.FocusedAsync("[data-testid=queue-keys]");
        return page;
    }

    private static async Task FilterModelAsync(IPage page)
    {
        await page.GetByLabel("Model version").FillAsync(Model);
        await page.GetByLabel("Model version").PressAsync("Tab");
        await page.Locator("[data-testid=queue-count]", new() { HasTextString = "matching the filters" }).WaitForAsync();
    }

    /// <summary>
    /// The selected row is revealed after the render the key caused; on a loaded machine that can
    /// take longer than any fixed pause, so wait (up to the default timeout) until it is in view.
    /// </summary>
    private static async Task WaitOnScreenAsync(IPage page)
    {
        const string Where = "const r = document.querySelector('[data-testid=queue-row].ops-selected')?.getBoundingClientRect();"
            + " const bar = document.querySelector('.mud-appbar').getBoundingClientRect();";
        try
        {
            await page.WaitForFunctionAsync($"() => {{ {Where} return !!r && r.top >= bar.bottom - 1 && r.bottom <= window.innerHeight + 1; }}");
        }
        catch (TimeoutException ex)
        {
            var seen = await page.EvaluateAsync<string>($"() => {{ {Where} return `row ${{r?.top}}–${{r?.bottom}}, app bar ends ${{bar.bottom}}, window ${{window.innerHeight}} high, scrolled ${{window.scrollY}}`; }}");
            await page.ScreenshotViewportAsync("review-queue-selection-off-screen");
            throw new TimeoutException($"The selected row is not on screen: {seen}.", ex);
        }
    }

    /// <summary>Waits until the row at <paramref name="index"/> is the selected one; a timeout says where the selection is.</summary>
    private static async Task WaitSelectedAsync(IPage page, int index)
    {
        const string Selected = "[...document.querySelectorAll('[data-testid=queue-row]')].findIndex(r => r.classList.contains('ops-selected'))";
        try
        {
            await page.WaitForFunctionAsync($"() => {Selected} === {index}");
        }
        catch (TimeoutException ex)
        {
            var at = await page.EvaluateAsync<int>($"() => {Selected}");
            var rows = await page.Locator("[data-testid=queue-row]").CountAsync();
            var count = await page.Locator("[data-testid=queue-count]").AllTextContentsAsync();
            var focus = await page.EvaluateAsync<string>("() => document.activeElement?.dataset?.testid ?? document.activeElement?.tagName ?? ''");
            await page.ScreenshotAsync("review-queue-selection-lost");
            throw new TimeoutException($"Expected row {index} selected; row {at} is, of {rows} rows ('{string.Join(" ", count)}'), focus on '{focus}'.", ex);
        }
    }

    /// <summary>The element's box lies in the window and below the fixed app bar.</summary>
    private static async Task AssertOnScreenAsync(IPage page, ILocator element)
    {
        var box = (await element.BoundingBoxAsync())!;
        var bar = (await page.Locator(".mud-appbar").BoundingBoxAsync())!;
        var height = await page.EvaluateAsync<double>("() => window.innerHeight");
        Assert.True(box.Y >= bar.Y + bar.Height - 1 && box.Y + box.Height <= height + 1,
            $"element at {box.Y}–{box.Y + box.Height}, app bar ends at {bar.Y + bar.Height}, window {height} high");
    }

    [Fact]
    public async Task Queue_MoreThanAPage_OpensAtTheTopAndSaysShowing200OfN()
    {
        var page = await OpenQueueAsync();

        // The focused list did not scroll the title, counts and filters away under the app bar.
        Assert.Equal(0, await page.EvaluateAsync<double>("() => window.scrollY"));
        await AssertOnScreenAsync(page, page.Locator("h1"));
        await AssertOnScreenAsync(page, page.Locator("[data-testid=summary-invoice-field-extraction]"));
        await AssertOnScreenAsync(page, page.Locator("[data-testid=filter-sort]").First);
        var count = await page.Locator("[data-testid=queue-count]").TextContentAsync();
        var total = int.Parse(ShowingRegex().Match(count!).Groups[1].Value, System.Globalization.NumberStyles.AllowThousands);
        Assert.True(total >= Urgent + 2, count);
        Assert.Equal(200, await page.Locator("[data-testid=queue-row]").CountAsync());
        var invoiceOpen = await page.Locator("[data-testid=summary-invoice-field-extraction] [data-testid=summary-open]").TextContentAsync();
        Assert.True(int.Parse(invoiceOpen!.Split(' ')[0], System.Globalization.NumberStyles.AllowThousands) >= Urgent + 2, invoiceOpen);
        await page.ScreenshotAsync("review-queue-paged-1280");

        var dark = await app.NewPageAsync();
        await dark.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await dark.SignedInAsync("reviewer@opsconsole.local", "/review");
        await dark.Locator("[data-testid=queue-count]").WaitForAsync();
        await dark.ScreenshotAsync("review-queue-paged-1280-dark");

        var phone = await OpenQueueAsync(390, 844);
        Assert.Equal(0, await phone.EvaluateAsync<double>("() => window.scrollY"));
        await AssertOnScreenAsync(phone, phone.Locator("h1"));
        await phone.ScreenshotAsync("review-queue-paged-390");
        foreach (var p in new[] { page, dark, phone })
        {
            await p.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Queue_BorderlineAndPastDueItems_ReachedByPagingSortingAndFiltering()
    {
        var page = await OpenQueueAsync();
        await FilterModelAsync(page);
        await page.Locator("[data-testid=queue-count]", new() { HasTextString = $"Showing 200 of {Urgent + 2} open matching the filters" }).WaitForAsync();
        Assert.Equal(0, await Row(page, "e2e-borderline").CountAsync());

        // Paging: the borderline item is the last of the queue's order.
        await page.Locator("[data-testid=queue-pages] button[aria-label='Last page'], [data-testid=queue-pages] button").Last.ClickAsync();
        await page.Locator("[data-testid=queue-count]", new() { HasTextString = $"items 201–{Urgent + 2}" }).WaitForAsync();
        await Row(page, "e2e-borderline").WaitForAsync();
        Assert.Contains("e2e-borderline", await page.Locator("[data-testid=queue-row]").Last.TextContentAsync());
        await page.ScreenshotAsync("review-queue-last-page-1280");

        // Sorting: newest first puts the item that just arrived on top of page 1.
        await page.Locator("[data-testid=filter-sort]").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Newest first" }).ClickAsync();
        await page.Locator("[data-testid=queue-count]", new() { HasTextString = "items 1–200" }).WaitForAsync();
        Assert.Contains("e2e-borderline", await page.Locator("[data-testid=queue-row]").First.TextContentAsync());

        // Filtering: past due only shows the item that is past due, wherever its priority put it.
        await page.Locator("[data-testid=filter-past-due]").ClickAsync();
        await page.Locator("[data-testid=queue-count]", new() { HasTextString = "Showing 1 of 1 open matching the filters" }).WaitForAsync();
        await Row(page, "e2e-late").Locator("[data-testid=overdue]").WaitForAsync();
        await page.ScreenshotAsync("review-queue-past-due-1280");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Queue_MovingWithJAndK_SelectionStaysOnScreen()
    {
        var page = await OpenQueueAsync();
        // Only the seeded items: the demo traffic's new items would otherwise be inserted above the
        // selection while the keys are pressed (the selection follows its item), moving its index.
        await FilterModelAsync(page);
        await page.Locator("[data-testid=queue-keys]").FocusAsync();
        for (var i = 0; i < 40; i++)
        {
            await page.Keyboard.PressAsync("j");
        }
        var selected = page.Locator("[data-testid=queue-row].ops-selected");
        await WaitSelectedAsync(page, 40);
        await WaitOnScreenAsync(page);
        await AssertOnScreenAsync(page, selected);

        for (var i = 0; i < 35; i++)
        {
            await page.Keyboard.PressAsync("k");
        }
        await WaitSelectedAsync(page, 5);
        await WaitOnScreenAsync(page);
        await AssertOnScreenAsync(page, selected);

        // ? shows the shortcuts; Esc closes them and the list has the keyboard again.
        await page.Keyboard.PressAsync("?");
        await page.Locator("[data-testid=shortcuts]").WaitForAsync();
        await page.ScreenshotAsync("review-queue-shortcuts-1280");
        await page.Keyboard.PressAsync("Escape");
        await page.Locator("[data-testid=shortcuts]").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await page.FocusedAsync("[data-testid=queue-keys]");
        await page.Context.CloseAsync();
    }

    [GeneratedRegex(@"Showing 200 of ([\d,]+) open")]
    private static partial Regex ShowingRegex();
}
