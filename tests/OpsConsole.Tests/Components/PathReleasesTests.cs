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
        foreach (var type in new[] { typeof(ReleaseService), typeof(PathAccess), typeof(Permissions), typeof(TimeProvider) })
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
}
