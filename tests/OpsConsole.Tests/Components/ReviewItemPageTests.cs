using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Infrastructure.Security;
using OpsConsole.Web.Realtime;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Tests.Components;

/// <summary>The review view rendered by bUnit on the real services and a real database: actions, shortcuts, diff.</summary>
[Trait("Category", "Integration")]
public sealed class ReviewItemPageTests : ComponentTestBase, IAsyncLifetime
{
    private readonly OpsConsoleFactory _factory = new();
    private long _item;

    public async ValueTask InitializeAsync()
    {
        _item = await NewItemAsync();
        foreach (var type in new[] { typeof(ReviewQueries), typeof(ReviewQueueService), typeof(ReviewNotifier), typeof(TimeProvider), typeof(OpsConsole.Web.Features.Traces.TraceQueries) })
        {
            Services.AddSingleton(type, _factory.Services.GetRequiredService(type));
        }
        SignedInAs(AppRoles.Admin);
        Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await base.DisposeAsync();
        await _factory.DisposeAsync();
    }

    private async Task<long> NewItemAsync()
    {
        var id = "bunit-" + Guid.NewGuid().ToString("N");
        await Ingest.PostOkAsync(_factory.CreateClient(), Ingest.Batch(Ingest.Event(id, confidence: 0.2, output: "We will refund you today.")));
        return await Db.QueryAsync(_factory, db => db.ReviewItems.Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => new { r.Id, e.EventId })
            .Where(x => x.EventId == id).Select(x => x.Id).SingleAsync());
    }

    private IRenderedComponent<ReviewItemPage> Open(string state = "free")
    {
        var page = Render<ReviewItemPage>(p => p.Add(x => x.Id, _item));
        page.WaitForAssertion(() => Assert.Contains(state, page.Find("[data-testid=review-state]").TextContent));
        return page;
    }

    // Awaited: the synchronous KeyDown returns before the handler ran when the renderer is busy
    // (a live reload pushed by the database), and the next line would look at the page before the key.
    private static Task PressAsync(IRenderedComponent<ReviewItemPage> page, string key, bool ctrl = false) =>
        page.Find("[data-testid=review-keys]").KeyDownAsync(new KeyboardEventArgs { Key = key, CtrlKey = ctrl });

    private Task<string> StatusAsync() => Db.QueryAsync(_factory, db => db.ReviewItems.Where(r => r.Id == _item).Select(r => r.Status).SingleAsync());

    [Fact]
    public async Task Keys_ClaimThenApprove_DecidedWithMessage()
    {
        var page = Open();
        Assert.Empty(page.FindAll("[data-testid=approve]"));

        await PressAsync(page, "c");
        page.WaitForAssertion(() => Assert.Contains("claimed by you", page.Find("[data-testid=review-state]").TextContent));
        await PressAsync(page, "a");

        page.WaitForAssertion(() => Assert.Contains("Approved.", page.Find("[data-testid=review-message]").TextContent));
        Assert.Equal(ReviewStatuses.Approved, await StatusAsync());
    }

    [Fact]
    public async Task Keys_EditShowsDiffAndCtrlEnterSavesCorrection()
    {
        var page = Open();
        await PressAsync(page, "c");
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=edit]")));
        await PressAsync(page, "e");
        await page.Find("#corrected-output").InputAsync(new ChangeEventArgs { Value = "We will review your refund today." });

        var diff = page.Find("[data-testid=diff]");
        // "We will refund you today." → "We will review your refund today.": the longest common part is kept.
        Assert.Equal([" you"], diff.QuerySelectorAll("del").Select(d => d.TextContent));
        Assert.Equal(["review your "], diff.QuerySelectorAll("ins").Select(d => d.TextContent));

        await PressAsync(page, "Enter", ctrl: true);
        page.WaitForAssertion(() => Assert.Contains("Correction saved.", page.Find("[data-testid=review-message]").TextContent));
        Assert.Equal(ReviewStatuses.Corrected, await StatusAsync());
        Assert.Equal("We will review your refund today.", await Db.QueryAsync(_factory, db => db.Labels.Where(l => l.ReviewItemId == _item).Select(l => l.CorrectedOutput).SingleAsync()));
    }

    [Fact]
    public async Task Keys_RejectNeedsATag_ThenRejects()
    {
        var page = Open();
        await PressAsync(page, "c");
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=reject]")));
        await PressAsync(page, "r");
        Assert.Contains("hallucination", page.Find("[data-testid=reject-panel]").TextContent);

        await PressAsync(page, "Enter", ctrl: true);
        page.WaitForAssertion(() => Assert.Contains("Choose at least one reason tag", page.Find("[data-testid=review-message]").TextContent));
        Assert.Equal(ReviewStatuses.Claimed, await StatusAsync());

        await page.Find("input[data-testid=tag-hallucination], [data-testid=tag-hallucination] input").ChangeAsync(new ChangeEventArgs { Value = true });
        await PressAsync(page, "Enter", ctrl: true);
        page.WaitForAssertion(() => Assert.Contains("Rejected.", page.Find("[data-testid=review-message]").TextContent));
        Assert.Equal(ReviewStatuses.Rejected, await StatusAsync());
    }

    [Fact]
    public async Task Keys_EscapeInEditor_CancelsWithoutDeciding()
    {
        var page = Open();
        await PressAsync(page, "c");
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=edit]")));
        await PressAsync(page, "e");
        Assert.NotEmpty(page.FindAll("[data-testid=correct-panel]"));
        await PressAsync(page, "Escape");
        Assert.Empty(page.FindAll("[data-testid=correct-panel]"));
    }

    [Fact]
    public async Task Keys_ApproveThenNextItem_LastSuccessMessageGone()
    {
        var page = Open();
        await PressAsync(page, "c");
        page.WaitForAssertion(() => Assert.Contains("claimed by you", page.Find("[data-testid=review-state]").TextContent));
        await PressAsync(page, "a");
        page.WaitForAssertion(() => Assert.Contains("Approved.", page.Find("[data-testid=review-message]").TextContent));

        // "n" navigates to /review/{next}: the router gives the same page component the new id.
        var next = await NewItemAsync();
        page.Render(p => p.Add(x => x.Id, next));

        page.WaitForAssertion(() => Assert.Contains("free", page.Find("[data-testid=review-state]").TextContent));
        Assert.Empty(page.FindAll("[data-testid=review-message]"));
    }

    [Fact]
    public async Task ItemHeldBySomeoneElse_ClaimNotOffered_ClaimNextIsTheMainAction()
    {
        Assert.True((await _factory.Services.GetRequiredService<ReviewQueueService>().ClaimAsync(_item, Principals.Admin("colleague"), Xunit.TestContext.Current.CancellationToken)).Succeeded);

        var page = Open(state: "claimed by colleague");

        Assert.Empty(page.FindAll("[data-testid=claim]"));
        Assert.Empty(page.FindAll("[data-testid=approve]"));
        Assert.Contains("colleague is reviewing this item", page.Find("[data-testid=held-by-other]").TextContent);
        Assert.Contains("mud-button-filled", page.Find("[data-testid=next]").ClassName);
    }

    [Fact]
    public void Open_ShowsTheEventsInputOutputAndSourcesBesideItsFacts()
    {
        var page = Open();

        Assert.Equal("Customer asks about refunds.", page.Find("[data-testid=review-input]").TextContent);
        Assert.Equal("We will refund you today.", page.Find("[data-testid=review-output]").TextContent);
        var sources = page.Find("[data-testid=review-sources]");
        Assert.Equal("Sources the output cited", sources.QuerySelector("h2")!.TextContent);
        Assert.Contains("None sent.", sources.TextContent);
        Assert.Contains("Confidence", sources.ParentElement!.NextElementSibling!.TextContent);
    }

    [Fact]
    public void FreeItem_ClaimIsTheMainAction()
    {
        var page = Open();

        Assert.Contains("mud-button-filled", page.Find("[data-testid=claim]").ClassName);
        Assert.DoesNotContain("mud-button-filled", page.Find("[data-testid=next]").ClassName);
        Assert.Empty(page.FindAll("[data-testid=held-by-other]"));
    }

    [Fact]
    public async Task Keys_E_PutsTheCursorInTheEditor()
    {
        var page = Open();
        await PressAsync(page, "c");
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=edit]")));
        await PressAsync(page, "e");

        page.WaitForAssertion(() =>
        {
            var focused = JSInterop.Invocations.Last(i => i.Identifier.EndsWith("focus", StringComparison.Ordinal));
            var target = (Microsoft.AspNetCore.Components.ElementReference)focused.Arguments[0]!;
            Assert.Equal(target.Id, page.Find("#corrected-output").GetAttribute("blazor:elementReference"));
        });
    }

    [Fact]
    public async Task Keys_QuestionMark_ShowsTheKeyboardHelp()
    {
        var dialogs = Render<MudBlazor.MudDialogProvider>();
        var page = Open();
        Assert.Empty(dialogs.FindAll("[data-testid=shortcuts]"));

        await PressAsync(page, "?");

        dialogs.WaitForAssertion(() => Assert.Contains("Approve the output", dialogs.Find("[data-testid=shortcuts]").TextContent));
        Assert.Contains("Ctrl", dialogs.Find("[data-testid=shortcuts]").TextContent);
    }
}
