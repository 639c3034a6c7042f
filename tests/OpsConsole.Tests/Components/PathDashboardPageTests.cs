using System.Globalization;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure.Security;
using OpsConsole.Web.Features.Review;

namespace OpsConsole.Tests.Components;

/// <summary>The path dashboard rendered by bUnit on the real services and database: it follows new events live.</summary>
[Trait("Category", "Integration")]
public sealed class PathDashboardPageTests : ComponentTestBase, IAsyncLifetime
{
    private const string Slug = "support-reply-draft";
    private readonly OpsConsoleFactory _factory = new();
    private int _pathId;

    public async ValueTask InitializeAsync()
    {
        _factory.CreateClient().Dispose();
        // No QA sample: a confident event then goes to nobody's review queue.
        await Db.ExecuteAsync(_factory, $"UPDATE Paths SET QaSampleRate = 0 WHERE Slug = '{Slug}'");
        _factory.Services.GetRequiredService<PathCatalog>().Invalidate();
        _pathId = await Db.QueryAsync(_factory, db => db.Paths.Where(p => p.Slug == Slug).Select(p => p.Id).SingleAsync());
        // The page and its panels ask the app's own singletons (services, notifiers, clock).
        Services.AddFallbackServiceProvider(_factory.Services);
        SignedInAs(AppRoles.PathOwner);
        Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await base.DisposeAsync();
        await _factory.DisposeAsync();
    }

    private static long Volume(IRenderedComponent<PathDashboardPage> page) =>
        long.Parse(page.Find("[data-testid=card-volume] [data-testid=card-value]").TextContent.Trim(), NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    [Fact]
    public async Task LiveRefresh_ConfidentUnsampledEventsStored_VolumeRisesWithoutReload()
    {
        var page = Render<PathDashboardPage>(p => p.Add(x => x.Slug, Slug));
        page.WaitForAssertion(() => page.Find("[data-testid=card-volume]"), TimeSpan.FromSeconds(10));
        var before = Volume(page);
        var openBefore = await Db.QueryAsync(_factory, db => db.ReviewItems.CountAsync(r => r.PathId == _pathId));

        var ids = Enumerable.Range(0, 3).Select(i => $"live-confident-{i}").ToArray();
        var result = await Ingest.PostOkAsync(_factory.CreateClient(), Ingest.Batch([.. ids.Select(id => Ingest.Event(id, Slug, confidence: 0.99))]));

        Assert.Equal(3, result.Accepted);
        // The gap under test: none of them makes a review item, so no review change is published.
        Assert.Equal(openBefore, await Db.QueryAsync(_factory, db => db.ReviewItems.CountAsync(r => r.PathId == _pathId)));
        // One throttled refresh (at most DashboardWindow.RefreshInterval after the page's load) takes them in.
        page.WaitForAssertion(() => Assert.Equal(before + 3, Volume(page)), DashboardWindow.RefreshInterval + TimeSpan.FromSeconds(10));
    }
}
