using Microsoft.AspNetCore.Components;
using Bunit;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Features.Review;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Infrastructure.Security;
using OpsConsole.Web.Realtime;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Tests.Components;

/// <summary>The review queue rendered by bUnit on the real services and database: counts, paging, sorting, filters, help.</summary>
[Trait("Category", "Integration")]
public sealed class ReviewQueuePageTests : ComponentTestBase, IAsyncLifetime
{
    private readonly FakeClockFactory _factory = new();

    public ValueTask InitializeAsync()
    {
        _factory.CreateClient().Dispose();
        foreach (var type in new[] { typeof(ReviewQueries), typeof(ReviewQueueService), typeof(PairwiseService), typeof(ReviewNotifier), typeof(TimeProvider) })
        {
            Services.AddSingleton(type, _factory.Services.GetRequiredService(type));
        }
        SignedInAs(AppRoles.Admin);
        Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
        return ValueTask.CompletedTask;
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await base.DisposeAsync();
        await _factory.DisposeAsync();
    }

    /// <summary>Posts open items: <paramref name="count"/> urgent ones (confidence 0.01) and the given others.</summary>
    private async Task PostAsync(int count, params (string Id, string Path, double Confidence)[] others)
    {
        var at = _factory.Clock.GetUtcNow().UtcDateTime.AddSeconds(-5).ToString("O");
        var events = Enumerable.Range(0, count).Select(i => Ingest.Event($"urgent-{i:000}-{Guid.NewGuid():N}", path: "invoice-field-extraction", confidence: 0.01))
            .Concat(others.Select(o => Ingest.Event(o.Id, path: o.Path, confidence: o.Confidence)))
            .Select(e =>
            {
                e["occurredAt"] = at;
                return e;
            })
            .ToArray();
        await Ingest.PostOkAsync(_factory.CreateClient(), Ingest.Batch(events));
    }

    private Task<int> OpenCountAsync() => Db.QueryAsync(_factory, db => db.ReviewItems.CountAsync(r => r.Status == ReviewStatuses.Pending || r.Status == ReviewStatuses.Claimed));

    private IRenderedComponent<ReviewQueuePage> Open()
    {
        var page = Render<ReviewQueuePage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=queue-row]")));
        return page;
    }

    private static IEnumerable<string> EventIds(IRenderedComponent<ReviewQueuePage> page) =>
        page.FindAll("[data-testid=queue-row]").Select(r => r.Children[2].TextContent);

    [Fact]
    public async Task Queue_MoreThanOnePage_SaysShowingNOfMAndTheLastPageHasTheBorderlineItem()
    {
        // A borderline item (confidence just under invoice's 0.85 threshold) has the lowest priority: last in the queue's order.
        await PostAsync(205, ("borderline-item", "invoice-field-extraction", 0.84));
        var open = await OpenCountAsync();
        Assert.True(open > 200);

        var page = Open();

        Assert.Equal($"Showing 200 of {open} open (items 1–200, page 1 of 2).", page.Find("[data-testid=queue-count]").TextContent);
        Assert.Equal(200, page.FindAll("[data-testid=queue-row]").Count);
        Assert.DoesNotContain(EventIds(page), id => id.StartsWith("borderline", StringComparison.Ordinal));
        Assert.Contains($"{open}", page.Find("[data-testid=summary-invoice-field-extraction] [data-testid=summary-open]").TextContent);

        await page.FindAll("[data-testid=queue-pages] button[aria-label]").First(b => b.GetAttribute("aria-label")!.Contains("Last", StringComparison.OrdinalIgnoreCase)).ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.StartsWith($"Showing {open - 200} of {open} open (items 201–{open}, page 2 of 2)", page.Find("[data-testid=queue-count]").TextContent));
        Assert.Equal("borderline-item", EventIds(page).Last());
    }

    [Fact]
    public async Task Queue_SortedNewestFirst_NewBorderlineItemOnTop()
    {
        await PostAsync(3);
        _factory.Clock.Advance(TimeSpan.FromMinutes(1));
        await PostAsync(0, ("new-borderline", "invoice-field-extraction", 0.84));
        var page = Open();
        Assert.NotEqual("new-borderline", EventIds(page).First());

        var sort = page.FindComponent<MudBlazor.MudSelect<QueueSort>>();
        await page.InvokeAsync(() => sort.Instance.ValueChanged.InvokeAsync(QueueSort.Newest));

        page.WaitForAssertion(() => Assert.Equal("new-borderline", EventIds(page).First()));
    }

    [Fact]
    public async Task Queue_PastDueOnly_ShowsEveryPastDueItemAndNothingElse()
    {
        // support-reply-draft's SLA is 60 minutes, invoice-field-extraction's 240: after 61 minutes only the first is past due.
        await PostAsync(3, ("late-1", "support-reply-draft", 0.5), ("late-2", "support-reply-draft", 0.6));
        _factory.Clock.Advance(TimeSpan.FromMinutes(61));
        var page = Open();
        Assert.Contains("2 past due", page.Find("[data-testid=summary-support-reply-draft]").TextContent);

        await page.Find("input[data-testid=filter-past-due], [data-testid=filter-past-due] input").ChangeAsync(new ChangeEventArgs { Value = true });

        page.WaitForAssertion(() => Assert.Equal(["late-1", "late-2"], EventIds(page).Order()));
        Assert.Equal("Showing 2 of 2 open matching the filters.", page.Find("[data-testid=queue-count]").TextContent);
    }

    [Fact]
    public async Task Queue_PastDueOnSummary_FiltersToThatPathsPastDueItems()
    {
        await PostAsync(3, ("late-1", "support-reply-draft", 0.5));
        _factory.Clock.Advance(TimeSpan.FromMinutes(61));
        var page = Open();

        await page.Find("[data-testid=summary-support-reply-draft] [data-testid=summary-past-due]").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.Equal(["late-1"], EventIds(page)));
    }

    [Fact]
    public async Task Keys_QuestionMark_ShowsTheKeyboardHelp()
    {
        await PostAsync(2);
        var dialogs = Render<MudBlazor.MudDialogProvider>();
        var page = Open();
        Assert.Empty(dialogs.FindAll("[data-testid=shortcuts]"));

        await page.Find("[data-testid=queue-keys]").KeyDownAsync(new KeyboardEventArgs { Key = "?" });

        dialogs.WaitForAssertion(() => Assert.Contains("Select the next item", dialogs.Find("[data-testid=shortcuts]").TextContent));
    }

    [Fact]
    public async Task Keys_N_ClaimsTheTopItemAndOpensIt()
    {
        await PostAsync(3);
        var top = await Db.QueryAsync(_factory, db => db.ReviewItems.OrderByDescending(r => r.Priority).ThenBy(r => r.CreatedAt).ThenBy(r => r.Id).Select(r => r.Id).FirstAsync());
        var page = Open();

        await page.Find("[data-testid=queue-keys]").KeyDownAsync(new KeyboardEventArgs { Key = "n" });

        var nav = Services.GetRequiredService<Bunit.TestDoubles.BunitNavigationManager>();
        page.WaitForAssertion(() => Assert.EndsWith($"/review/{top}", nav.Uri));
        Assert.Equal(ReviewStatuses.Claimed, await Db.QueryAsync(_factory, db => db.ReviewItems.Where(r => r.Id == top).Select(r => r.Status).SingleAsync()));
    }

    [Fact]
    public async Task Keys_JOnTheLastRow_MovesToTheNextPage()
    {
        await PostAsync(202);
        var open = await OpenCountAsync();
        var page = Open();
        for (var i = 0; i < 199; i++)
        {
            // Awaited: the synchronous KeyDown does not wait for the renderer, and a press queued behind a
            // live reload would reach an event handler id that the next render has already replaced.
            await page.Find("[data-testid=queue-keys]").KeyDownAsync(new KeyboardEventArgs { Key = "j" });
        }
        Assert.Equal(199, page.FindAll("[data-testid=queue-row]").ToList().FindIndex(r => r.ClassList.Contains("ops-selected")));

        await page.Find("[data-testid=queue-keys]").KeyDownAsync(new KeyboardEventArgs { Key = "j" });

        page.WaitForAssertion(() => Assert.StartsWith($"Showing {open - 200} of {open} open (items 201–{open}", page.Find("[data-testid=queue-count]").TextContent));
        Assert.True(page.FindAll("[data-testid=queue-row]")[0].ClassList.Contains("ops-selected"));
    }

    [Fact]
    public async Task Keys_JAndK_CountTheRevealsAndNameTheSelectedItem_ALiveReloadDoesNotScroll()
    {
        await PostAsync(10);
        var module = JSInterop.SetupModule("./lib/opsconsole/review.js");
        var page = Open();
        var list = () => page.Find("[data-testid=queue-keys]");
        Assert.Equal("0", list().GetAttribute("data-reveal"));
        foreach (var key in new[] { "j", "j", "j", "k" })
        {
            await list().KeyDownAsync(new KeyboardEventArgs { Key = key });
        }

        // The browser watches the list once, and reveals the item named in the same render as the selection.
        var selected = page.Find("[data-testid=queue-row].ops-selected");
        Assert.Equal(2, page.FindAll("[data-testid=queue-row]").ToList().FindIndex(r => r.ClassList.Contains("ops-selected")));
        Assert.Single(module.Invocations["watchReveal"]);
        Assert.Equal("4", list().GetAttribute("data-reveal"));
        Assert.Equal(selected.GetAttribute("data-item"), list().GetAttribute("data-reveal-item"));

        // New items arrive: the selection follows its item, and nothing asks the browser to scroll.
        await PostAsync(3);
        page.WaitForAssertion(() => Assert.Equal(13, page.FindAll("[data-testid=queue-row]").Count));
        Assert.Equal("4", list().GetAttribute("data-reveal"));
        Assert.Equal(selected.GetAttribute("data-item"), page.Find("[data-testid=queue-row].ops-selected").GetAttribute("data-item"));
        Assert.Equal(selected.GetAttribute("data-item"), list().GetAttribute("data-reveal-item"));
    }
}
