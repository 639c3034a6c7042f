using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure.Security;
using OpsConsole.Web.Realtime;
using OpsConsole.Web.Features.Overview;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Decisions;

namespace OpsConsole.Tests.Components;

/// <summary>
/// The confirmations of the controls (kill switch on the path page and the overview, rollout
/// decrease) on the real services and database: what the dialog says is what its person asked for.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ControlDialogsTests : ComponentTestBase, IAsyncLifetime
{
    private const string Slug = "ticket-triage";

    /// <summary>Each step reads the real database and metrics; on a loaded machine that takes longer than bUnit's default wait.</summary>
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private readonly OpsConsoleFactory _factory = new();

    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    private ControlsService Controls => _factory.Services.GetRequiredService<ControlsService>();

    public ValueTask InitializeAsync()
    {
        foreach (var type in new[] { typeof(ControlsService), typeof(ConfigChangeNotifier), typeof(ReviewNotifier), typeof(IncidentNotifier), typeof(DashboardService), typeof(OpsConsole.Web.Features.Metrics.MetricsQueries), typeof(PathService), typeof(TimeProvider), typeof(OpsConsole.Web.Features.Budgets.BudgetService) })
        {
            Services.AddSingleton(type, _factory.Services.GetRequiredService(type));
        }
        return ValueTask.CompletedTask;
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await base.DisposeAsync();
        await _factory.DisposeAsync();
    }

    /// <summary>Signs in as a demo user; services are fixed from here on (the renderer is built).</summary>
    private async Task SignedInAsAsync(string email, string role)
    {
        SignedInAsUser(await Principals.IdOfAsync(_factory, email), email, role);
        Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
    }

    private Task<OperatingPath> PathAsync(string slug = Slug) =>
        Db.QueryAsync(_factory, db => db.Paths.AsNoTracking().SingleAsync(p => p.Slug == slug, Ct));

    [Fact]
    public async Task Restore_AnotherUsersRestoreLandsWhileOpen_TextStaysRestore_ConfirmChangesNothingAndSaysWho()
    {
        var oncall = await Principals.ForAsync(_factory, TestUsers.OnCall);
        Assert.True((await Controls.SetKillSwitchAsync(Slug, true, null, "labels wrong", oncall, Ct)).Succeeded);
        var killed = await PathAsync();
        await SignedInAsAsync(TestUsers.Owner, AppRoles.PathOwner);
        var dialogs = Render<MudDialogProvider>();
        var page = Render<PathControls>(p => p.Add(x => x.Slug, Slug));
        page.WaitForAssertion(() => Assert.Equal("Killed", page.Find("[data-testid=kill-state]").TextContent.Trim()), Wait);

        // The button appears once its own permission lookup has answered, which may be after the state is shown.
        page.WaitForElement("[data-testid=kill-panel] [data-testid=kill-switch]", Wait).Click();
        dialogs.WaitForAssertion(() => Assert.Contains("Restore Ticket triage?", dialogs.Find(".mud-dialog").TextContent), Wait);
        dialogs.WaitForElement("#kill-reason", Wait).Change("fixed upstream");

        // The admin restores from another browser; the page takes the change by push.
        var admin = await Principals.ForAsync(_factory, TestUsers.Admin);
        Assert.True((await Controls.SetKillSwitchAsync(Slug, false, killed.KillSwitchAt, "rolled back the model", admin, Ct)).Succeeded);
        page.WaitForAssertion(() => Assert.Equal("Live", page.Find("[data-testid=kill-state]").TextContent.Trim()), Wait);

        // What the owner asked for is still what the dialog says.
        var dialog = dialogs.Find(".mud-dialog");
        Assert.Contains("Restore Ticket triage?", dialog.TextContent);
        Assert.DoesNotContain("Kill", dialog.TextContent);
        Assert.Equal("Restore the path", dialogs.Find("[data-testid=confirm-kill]").TextContent.Trim());

        var restored = await PathAsync();

        dialogs.WaitForElement("[data-testid=confirm-kill]", Wait).Click();

        dialogs.WaitForAssertion(() => Assert.Contains(
            $"Already restored by {TestUsers.Admin} at {restored.KillSwitchAt:yyyy-MM-dd HH:mm:ss} UTC", dialogs.Find("[data-testid=kill-refused]").TextContent), Wait);
        Assert.True(dialogs.Find("[data-testid=confirm-kill]").HasAttribute("disabled"));
        var after = await PathAsync();
        Assert.Equal((false, TestUsers.Admin, "rolled back the model"), (after.KillSwitchOn, after.KillSwitchBy, after.KillSwitchReason));
        Assert.Equal(killed.ConfigVersion + 1, after.ConfigVersion);
        var actions = await Db.QueryAsync(_factory, db => db.AuditEntries.Where(a => a.PathSlug == Slug && (a.Action == "path.kill" || a.Action == "path.restore")).Select(a => a.Action).ToListAsync(Ct));
        Assert.Equal(["path.kill", "path.restore"], actions);
    }

    [Fact]
    public async Task Overview_ConfirmedKill_DialogCloses()
    {
        await SignedInAsAsync(TestUsers.OnCall, AppRoles.OnCall);
        var dialogs = Render<MudDialogProvider>();
        var page = Render<PathsPage>();
        page.WaitForAssertion(() => page.Find($"[aria-label='Kill {Slug}']"), Wait);

        page.Find($"[aria-label='Kill {Slug}']").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("Kill Ticket triage?", dialogs.Find(".mud-dialog").TextContent), Wait);
        dialogs.WaitForElement("#kill-reason", Wait).Change("labels wrong since triage-v2");
        dialogs.WaitForElement("[data-testid=confirm-kill]", Wait).Click();

        page.WaitForAssertion(() => page.Find($"[aria-label='Restore {Slug}']"), Wait);
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll(".mud-dialog")), Wait);
        Assert.True((await PathAsync()).KillSwitchOn);
    }

    [Fact]
    public async Task Decrease_AnotherUserLowersWhileOpen_TextKeepsTheSeenPercent_ConfirmChangesNothingAndSaysWho()
    {
        const string slug = "support-reply-draft"; // seeded at 25 %
        await SignedInAsAsync(TestUsers.Owner, AppRoles.PathOwner);
        var dialogs = Render<MudDialogProvider>();
        var page = Render<PathControls>(p => p.Add(x => x.Slug, slug));
        page.WaitForAssertion(() => Assert.Equal("25 %", page.Find("[data-testid=rollout]").TextContent.Trim()), Wait);

        page.Find("[data-testid=rollout-decrease]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains($"Lower {slug} from 25 %", dialogs.Find(".mud-dialog").TextContent), Wait);
        dialogs.WaitForElement("#rollout-percent", Wait).Change("10");
        dialogs.WaitForElement("#control-text", Wait).Change("complaints about tone");

        var oncall = await Principals.ForAsync(_factory, TestUsers.OnCall);
        Assert.True((await Controls.DecreaseRolloutAsync(slug, 25, 20, "complaints", oncall, Ct)).Succeeded);
        page.WaitForAssertion(() => Assert.Equal("20 %", page.Find("[data-testid=rollout]").TextContent.Trim()), Wait);
        Assert.Contains($"Lower {slug} from 25 %", dialogs.Find(".mud-dialog").TextContent);
        var lowered = await PathAsync(slug);

        dialogs.WaitForElement("[data-testid=confirm-control]", Wait).Click();

        dialogs.WaitForAssertion(() => Assert.Contains(
            $"set to 20 % by {TestUsers.OnCall} at {lowered.RolloutChangedAt:yyyy-MM-dd HH:mm:ss} UTC", dialogs.Find("[data-testid=control-error]").TextContent), Wait);
        Assert.True(dialogs.Find("[data-testid=confirm-control]").HasAttribute("disabled"));
        var after = await PathAsync(slug);
        Assert.Equal((20, lowered.ConfigVersion), (after.RolloutPercent, after.ConfigVersion));
    }

    private static AngleSharp.Dom.IElement Row(IRenderedComponent<PathsPage> page, string slug) =>
        page.FindAll("[data-testid=paths-table] tr").Single(r => r.QuerySelector($"[data-slug='{slug}']") is not null);

    [Fact]
    public async Task Overview_PathKilledAndLoweredElsewhere_RowFollowsWithoutReload()
    {
        await SignedInAsAsync(TestUsers.Viewer, AppRoles.Viewer);
        var page = Render<PathsPage>();
        page.WaitForAssertion(() => Assert.Equal("Live", Row(page, Slug).QuerySelector("[data-testid=path-switch]")!.TextContent.Trim()), Wait);
        var before = await PathAsync();

        var oncall = await Principals.ForAsync(_factory, TestUsers.OnCall);
        Assert.True((await Controls.SetKillSwitchAsync(Slug, true, null, "labels wrong since triage-v2", oncall, Ct)).Succeeded);
        Assert.True((await Controls.DecreaseRolloutAsync(Slug, before.RolloutPercent, before.RolloutPercent - 5, "fewer units while we look", oncall, Ct)).Succeeded);

        page.WaitForAssertion(() =>
        {
            var row = Row(page, Slug);
            Assert.Equal("Killed", row.QuerySelector("[data-testid=path-switch]")!.TextContent.Trim());
            Assert.Equal($"{before.RolloutPercent - 5} %", row.QuerySelector("[data-testid=path-rollout]")!.TextContent.Trim());
        }, Wait);
    }

    [Fact]
    public async Task Overview_IncidentOpenedElsewhere_CountFollowsWithoutReload()
    {
        await SignedInAsAsync(TestUsers.Viewer, AppRoles.Viewer);
        var page = Render<PathsPage>();
        page.WaitForAssertion(() => Row(page, Slug), Wait);
        var before = Row(page, Slug).QuerySelector("[data-testid=path-incidents]")!.TextContent.Trim();
        var open = before == "none" ? 0 : int.Parse(before.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

        var owner = await Principals.ForAsync(_factory, TestUsers.Owner);
        var opened = await _factory.Services.GetRequiredService<IncidentService>().OpenAsync(Slug, "Tickets land in the wrong queue", "SEV2", owner, Ct);
        Assert.Null(opened.Error);

        page.WaitForAssertion(() => Assert.Equal($"{open + 1} open", Row(page, Slug).QuerySelector("[data-testid=path-incidents]")!.TextContent.Trim()), Wait);
    }
}
