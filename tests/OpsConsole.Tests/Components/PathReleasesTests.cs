using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Releases;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Components;

/// <summary>The releases panel of the path page, on the real services and database.</summary>
[Trait("Category", "Integration")]
public sealed class PathReleasesTests : ComponentTestBase, IAsyncLifetime
{
    private const string Slug = "ticket-triage";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private readonly OpsConsoleFactory _factory = new();

    public ValueTask InitializeAsync()
    {
        foreach (var type in new[] { typeof(ReleaseService), typeof(PathAccess), typeof(Permissions), typeof(TimeProvider), typeof(OpsConsole.Web.Features.Evaluation.EvaluationQueries) })
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

    private async Task SignedInAsAsync(string email, string role)
    {
        SignedInAsUser(await Principals.IdOfAsync(_factory, email), email, role);
        Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
    }

    [Fact]
    public async Task Owner_EmptyState_BadJsonNamedInItsField_ThenCreatesTheStableRelease()
    {
        await SignedInAsAsync(TestUsers.Owner, AppRoles.PathOwner);
        var dialogs = Render<MudDialogProvider>();
        var panel = Render<PathReleases>(p => p.Add(x => x.Slug, Slug));
        panel.WaitForAssertion(() => Assert.Contains("No releases yet", panel.Find("[data-testid=no-releases]").TextContent), Wait);

        panel.Find("[data-testid=new-release]").Click();
        dialogs.WaitForDialogs(1);
        dialogs.Find("#release-model").Change("gpt-4o-mini");
        dialogs.Find("#release-prompt").Change("triage-v2");
        dialogs.Find("#release-parameters").Change("{\"temperature\": 0.1,");
        dialogs.Find("[data-testid=create-release]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("parameters is not valid JSON", dialogs.Dialog().TextContent), Wait);
        Assert.Equal(0, await Db.QueryAsync(_factory, db => db.Releases.CountAsync()));

        // What was typed is still there; fixing the JSON is enough.
        Assert.Equal("gpt-4o-mini", dialogs.Find("#release-model").GetAttribute("value"));
        dialogs.Find("#release-parameters").Change("{\"temperature\": 0.1}");
        dialogs.Find("[data-testid=create-release]").Click();
        dialogs.WaitForDialogs(0);

        var stored = await Db.QueryAsync(_factory, db => db.Releases.SingleAsync());
        Assert.Equal(("gpt-4o-mini", "triage-v2", "{\"temperature\":0.1}", TestUsers.Owner), (stored.Model, stored.PromptVersion, stored.ParametersJson, stored.CreatedByName));
        panel.WaitForAssertion(() =>
        {
            var row = panel.Find($"[data-release='{stored.Id}']");
            Assert.Contains(stored.Id[..12], row.TextContent);
            Assert.Contains("stable", row.TextContent);
        }, Wait);
        Assert.Equal(stored.Id, await Db.QueryAsync(_factory, db => db.Paths.Where(p => p.Slug == Slug).Select(p => p.StableReleaseId).SingleAsync()));
    }

    [Fact]
    public async Task Viewer_NoCreateButton_AndTheServiceRefusesAnyway()
    {
        await SignedInAsAsync(TestUsers.Viewer, AppRoles.Viewer);
        var panel = Render<PathReleases>(p => p.Add(x => x.Slug, Slug));
        panel.WaitForAssertion(() => Assert.DoesNotContain("create one here", panel.Find("[data-testid=no-releases]").TextContent), Wait);
        Assert.Empty(panel.FindAll("[data-testid=new-release]"));

        var viewer = await Principals.ForAsync(_factory, TestUsers.Viewer);
        var refused = await _factory.Services.GetRequiredService<ReleaseService>()
            .CreateAsync(Slug, new ReleaseInput { Model = "m", PromptVersion = "v" }, viewer, CancellationToken.None);
        Assert.False(refused.Succeeded);
        Assert.Contains("owners and admins", refused.Error);
        Assert.Equal(0, await Db.QueryAsync(_factory, db => db.Releases.CountAsync()));
    }

    private ReleaseService Releases => _factory.Services.GetRequiredService<ReleaseService>();

    private async Task<(string Stable, string Candidate)> TwoReleasesAsync()
    {
        var v1 = await Releases.CreateAsync(Slug, new ReleaseInput { Model = "gpt-4o-mini", PromptVersion = "triage-v1" }, OpsConsole.Web.Features.Audit.AuditActor.System, CancellationToken.None);
        var v2 = await Releases.CreateAsync(Slug, new ReleaseInput { Model = "gpt-4o-mini", PromptVersion = "triage-v2", Notes = "shorter" }, OpsConsole.Web.Features.Audit.AuditActor.System, CancellationToken.None);
        return (v1.Value!.Release.Id, v2.Value!.Release.Id);
    }

    [Fact]
    public async Task Owner_StartsACandidate_StepsThatDoNotIncreaseNamedOnTheField_ThenTheFixedPlanRuns()
    {
        var (_, candidate) = await TwoReleasesAsync();
        await SignedInAsAsync(TestUsers.Owner, AppRoles.PathOwner);
        var dialogs = Render<MudDialogProvider>();
        var panel = Render<PathReleases>(p => p.Add(x => x.Slug, Slug));
        panel.WaitForAssertion(() => panel.Find($"[data-release='{candidate}'] [data-testid=start-candidate]"), Wait);

        panel.Find($"[data-release='{candidate}'] [data-testid=start-candidate]").Click();
        dialogs.WaitForDialogs(1);
        dialogs.Find("#canary-steps").Change("5, 1, 100");
        dialogs.Find("[data-testid=confirm-release-action]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("Steps must increase", dialogs.Dialog().TextContent), Wait);
        Assert.Equal(0, await Db.QueryAsync(_factory, db => db.CanaryTrials.CountAsync()));
        dialogs.Find("#canary-steps").Change("five");
        dialogs.Find("[data-testid=confirm-release-action]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("'five' is not a percentage", dialogs.Dialog().TextContent), Wait);

        dialogs.Find("#canary-steps").Change("2.5, 100");
        dialogs.Find("[data-testid=confirm-release-action]").Click();
        dialogs.WaitForDialogs(0);
        var trial = await Db.QueryAsync(_factory, db => db.CanaryTrials.AsNoTracking().SingleAsync());
        Assert.Equal([25, 1000], trial.Steps.Select(x => x.Share));
        Assert.Equal(TestUsers.Owner, trial.StartedByName);
        panel.WaitForAssertion(() =>
        {
            Assert.Contains("candidate 2.5 %", panel.Find($"[data-release='{candidate}']").TextContent);
            Assert.Contains("step 1/2", panel.Find("[data-testid=canary-state]").TextContent);
        }, Wait);
    }

    private async Task<string> CandidateAwaitingApprovalAsync()
    {
        var (_, candidate) = await TwoReleasesAsync();
        var started = await Releases.StartCandidateAsync(Slug, new CandidateInput(candidate), await Principals.ForAsync(_factory, TestUsers.Owner), CancellationToken.None);
        Assert.True(started.Succeeded, started.Error);
        await Db.QueryAsync(_factory, db => db.CanaryTrials.ExecuteUpdateAsync(x => x.SetProperty(t => t.State, CanaryStates.AwaitingApproval)));
        return candidate;
    }

    [Fact]
    public async Task ReleasePage_DiffAgainstStable_Timeline_NoApprovalForWhoStartedIt()
    {
        var candidate = await CandidateAwaitingApprovalAsync();
        await SignedInAsAsync(TestUsers.Owner, AppRoles.PathOwner);
        var page = Render<ReleasePage>(p => p.Add(x => x.Slug, Slug).Add(x => x.Id, candidate));
        page.WaitForAssertion(() => Assert.Contains("awaiting approval", page.Find("[data-testid=canary-state]").TextContent), Wait);
        var prompt = page.Find("[data-testid=release-config] tr[data-field='Prompt version']");
        Assert.Equal("v2", prompt.QuerySelector("ins")!.TextContent);
        Assert.Equal("v1", prompt.QuerySelector("del")!.TextContent);
        Assert.Null(page.Find("[data-testid=release-config] tr[data-field='Model']").QuerySelector("ins"));
        Assert.Contains("Started as candidate", page.Find("[data-testid=release-timeline]").TextContent);
        Assert.Contains("Created", page.Find("[data-testid=release-timeline]").TextContent);
        Assert.Contains("No look yet", page.Find("[data-testid=no-looks]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=approve-step]"));
        Assert.Contains("second owner", page.Find("[data-testid=approval-needs-another]").TextContent);
    }

    [Fact]
    public async Task ReleasePage_SecondOwnerApproves_ShareMovesToTheNextStep()
    {
        var candidate = await CandidateAwaitingApprovalAsync();
        await SignedInAsAsync(TestUsers.Owner2, AppRoles.PathOwner);
        var dialogs = Render<MudDialogProvider>();
        var page = Render<ReleasePage>(p => p.Add(x => x.Slug, Slug).Add(x => x.Id, candidate));
        page.WaitForAssertion(() => page.Find("[data-testid=approve-step]").Click(), Wait);
        dialogs.WaitForAssertion(() => Assert.Contains("moves to 5 %", dialogs.Dialog().TextContent), Wait);
        dialogs.Find("[data-testid=confirm-release-action]").Click();
        dialogs.WaitForDialogs(0);
        Assert.Equal(50, await Db.QueryAsync(_factory, db => db.Paths.Where(p => p.Slug == Slug).Select(p => p.CandidateShare).SingleAsync()));
        page.WaitForAssertion(() => Assert.Contains("Moved to the next step", page.Find("[data-testid=release-timeline]").TextContent), Wait);
    }
}
