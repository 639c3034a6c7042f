using Bunit;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Infrastructure.Security;
using OpsConsole.Web.Realtime;

namespace OpsConsole.Tests.Components;

/// <summary>The review view rendered by bUnit on the real services and a real database: actions, shortcuts, diff.</summary>
public sealed class ReviewItemPageTests : ComponentTestBase, IAsyncLifetime
{
    private readonly OpsConsoleFactory _factory = new();
    private long _item;

    public async ValueTask InitializeAsync()
    {
        var id = "bunit-" + Guid.NewGuid().ToString("N");
        await Ingest.PostOkAsync(_factory.CreateClient(), Ingest.Batch(Ingest.Event(id, confidence: 0.2, output: "We will refund you today.")));
        _item = await Db.QueryAsync(_factory, db => db.ReviewItems.Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => new { r.Id, e.EventId })
            .Where(x => x.EventId == id).Select(x => x.Id).SingleAsync());
        foreach (var type in new[] { typeof(ReviewQueries), typeof(ReviewQueueService), typeof(ReviewNotifier), typeof(TimeProvider) })
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

    private IRenderedComponent<ReviewItemPage> Open()
    {
        var page = Render<ReviewItemPage>(p => p.Add(x => x.Id, _item));
        page.WaitForAssertion(() => Assert.Contains("free", page.Find("[data-testid=review-state]").TextContent));
        return page;
    }

    private static void Press(IRenderedComponent<ReviewItemPage> page, string key, bool ctrl = false) =>
        page.Find("[data-testid=review-keys]").KeyDown(new KeyboardEventArgs { Key = key, CtrlKey = ctrl });

    private Task<string> StatusAsync() => Db.QueryAsync(_factory, db => db.ReviewItems.Where(r => r.Id == _item).Select(r => r.Status).SingleAsync());

    [Fact]
    public async Task Keys_ClaimThenApprove_DecidedWithMessage()
    {
        var page = Open();
        Assert.Empty(page.FindAll("[data-testid=approve]"));

        Press(page, "c");
        page.WaitForAssertion(() => Assert.Contains("claimed by you", page.Find("[data-testid=review-state]").TextContent));
        Press(page, "a");

        page.WaitForAssertion(() => Assert.Contains("Approved.", page.Find("[data-testid=review-message]").TextContent));
        Assert.Equal(ReviewStatuses.Approved, await StatusAsync());
    }

    [Fact]
    public async Task Keys_EditShowsDiffAndCtrlEnterSavesCorrection()
    {
        var page = Open();
        Press(page, "c");
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=edit]")));
        Press(page, "e");
        page.Find("#corrected-output").Input("We will review your refund today.");

        var diff = page.Find("[data-testid=diff]");
        // "We will refund you today." → "We will review your refund today.": the longest common part is kept.
        Assert.Equal(["you "], diff.QuerySelectorAll("del").Select(d => d.TextContent));
        Assert.Equal(["review your "], diff.QuerySelectorAll("ins").Select(d => d.TextContent));

        Press(page, "Enter", ctrl: true);
        page.WaitForAssertion(() => Assert.Contains("Correction saved.", page.Find("[data-testid=review-message]").TextContent));
        Assert.Equal(ReviewStatuses.Corrected, await StatusAsync());
        Assert.Equal("We will review your refund today.", await Db.QueryAsync(_factory, db => db.Labels.Where(l => l.ReviewItemId == _item).Select(l => l.CorrectedOutput).SingleAsync()));
    }

    [Fact]
    public async Task Keys_RejectNeedsATag_ThenRejects()
    {
        var page = Open();
        Press(page, "c");
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=reject]")));
        Press(page, "r");
        Assert.Contains("hallucination", page.Find("[data-testid=reject-panel]").TextContent);

        Press(page, "Enter", ctrl: true);
        page.WaitForAssertion(() => Assert.Contains("Choose at least one reason tag", page.Find("[data-testid=review-message]").TextContent));
        Assert.Equal(ReviewStatuses.Claimed, await StatusAsync());

        page.Find("input[data-testid=tag-hallucination], [data-testid=tag-hallucination] input").Change(true);
        Press(page, "Enter", ctrl: true);
        page.WaitForAssertion(() => Assert.Contains("Rejected.", page.Find("[data-testid=review-message]").TextContent));
        Assert.Equal(ReviewStatuses.Rejected, await StatusAsync());
    }

    [Fact]
    public void Keys_EscapeInEditor_CancelsWithoutDeciding()
    {
        var page = Open();
        Press(page, "c");
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=edit]")));
        Press(page, "e");
        Assert.NotEmpty(page.FindAll("[data-testid=correct-panel]"));
        Press(page, "Escape");
        Assert.Empty(page.FindAll("[data-testid=correct-panel]"));
    }
}
