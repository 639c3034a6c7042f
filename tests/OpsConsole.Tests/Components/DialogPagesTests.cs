using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Users;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Components;

/// <summary>
/// The pages with dialogs of their own, on the real services and database: each dialog opens from the
/// page, hands what was filled in back, and the page saves it and closes the dialog (or keeps it open with the reasons).
/// </summary>
[Trait("Category", "Integration")]
public sealed class DialogPagesTests : ComponentTestBase, IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private readonly OpsConsoleFactory _factory = new();

    public ValueTask InitializeAsync()
    {
        foreach (var type in new[] { typeof(ApiKeyService), typeof(UserAdminService), typeof(IncidentQueries), typeof(IncidentService), typeof(IncidentNotifier),
                     typeof(Permissions), typeof(PathService), typeof(TimeProvider) })
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
        Renderer.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    [Fact]
    public async Task KeysPage_CreateRefusedThenStored_SecretOnceThenRevoked()
    {
        await SignedInAsAsync(TestUsers.Admin, AppRoles.Admin);
        var dialogs = Render<MudDialogProvider>();
        var page = Render<KeysPage>();
        page.WaitForAssertion(() => Assert.False(page.Find("[data-testid=new-key]").HasAttribute("disabled")), Wait);
        var name = "bunit-" + Guid.NewGuid().ToString("N")[..8];

        page.Find("[data-testid=new-key]").Click();
        dialogs.WaitForElement("#key-name", Wait).Change(name);
        dialogs.WaitForElement("[data-testid=create-key]", Wait).Click();
        dialogs.WaitForAssertion(() => Assert.Equal("true", dialogs.Find("[data-testid=key-paths]").GetAttribute("aria-invalid")), Wait);

        dialogs.WaitForElement("input[data-testid=key-path-ticket-triage]", Wait).Change(true);
        dialogs.WaitForElement("[data-testid=create-key]", Wait).Click();
        dialogs.WaitForAssertion(() => Assert.StartsWith("ocs_", dialogs.Find("#key-secret").GetAttribute("value")), Wait);
        Assert.DoesNotContain("New API key", dialogs.Markup);
        dialogs.WaitForElement("[data-testid=secret-done]", Wait).Click();
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll(".mud-dialog")), Wait);

        page.WaitForAssertion(() => page.Find($"[data-testid=revoke-{name}]"), Wait);
        page.Find($"[data-testid=revoke-{name}]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains($"Revoke “{name}”?", dialogs.Find(".mud-dialog").TextContent), Wait);
        dialogs.WaitForElement("[data-testid=confirm-revoke]", Wait).Click();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll(".mud-dialog")), Wait);
        var revoked = await Db.QueryAsync(_factory, db => db.ApiKeys.Where(k => k.Name == name).Select(k => k.RevokedAt).SingleAsync());
        Assert.NotNull(revoked);
    }

    [Fact]
    public async Task KeysPage_Rotate_SecretOnceWithTheGraceNote_OldKeyInGraceAndLinked()
    {
        await SignedInAsAsync(TestUsers.Admin, AppRoles.Admin);
        var name = "bunit-" + Guid.NewGuid().ToString("N")[..8];
        var admin = await Principals.ForAsync(_factory, TestUsers.Admin);
        var created = await _factory.Services.GetRequiredService<ApiKeyService>().CreateAsync(
            new ApiKeyInput { Name = name, PathSlugs = ["ticket-triage"], ExpiresAt = DateTime.UtcNow.AddDays(3) }, admin, Xunit.TestContext.Current.CancellationToken);
        Assert.True(created.Succeeded);
        var dialogs = Render<MudDialogProvider>();
        var page = Render<KeysPage>();
        var row = () => page.FindAll("[data-testid=keys-table] tr").Single(r => r.QuerySelector("b")?.TextContent == name);
        page.WaitForAssertion(() => Assert.Contains("expires in 2 d", row().QuerySelector("[data-testid=key-expiry-warning]")!.TextContent), Wait);

        page.Find($"[data-testid=rotate-{name}]").Click();
        dialogs.WaitForElement("[data-testid=confirm-rotate]", Wait).Click();

        dialogs.WaitForAssertion(() => Assert.StartsWith("ocs_", dialogs.Find("#key-secret").GetAttribute("value")), Wait);
        Assert.Contains($"“{name}” keeps working until", dialogs.Find("[data-testid=secret-note]").TextContent);
        dialogs.Find("[data-testid=secret-done]").Click();
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll(".mud-dialog")), Wait);

        page.WaitForAssertion(() => Assert.Contains("in grace period", row().TextContent), Wait);
        Assert.Contains($"replaced by {name} (rotated)", row().QuerySelector("[data-testid=key-successor]")!.TextContent);
        Assert.Empty(row().QuerySelectorAll($"[data-testid=rotate-{name}]")); // rotated once
        var successorRow = page.FindAll("[data-testid=keys-table] tr").Single(r => r.QuerySelector("b")?.TextContent == $"{name} (rotated)");
        Assert.Contains($"replaces {name}", successorRow.TextContent);
        Assert.NotNull(await Db.QueryAsync(_factory, db => db.ApiKeys.Where(k => k.Name == name).Select(k => k.GraceUntil).SingleAsync()));
    }

    [Fact]
    public async Task KeysPage_CreateWithBudget_StoredAndShownOnTheKey()
    {
        await SignedInAsAsync(TestUsers.Admin, AppRoles.Admin);
        var dialogs = Render<MudDialogProvider>();
        var page = Render<KeysPage>();
        page.WaitForAssertion(() => Assert.False(page.Find("[data-testid=new-key]").HasAttribute("disabled")), Wait);
        var name = "bunit-" + Guid.NewGuid().ToString("N")[..8];

        page.Find("[data-testid=new-key]").Click();
        dialogs.WaitForElement("#key-name", Wait).Change(name);
        dialogs.WaitForElement("input[data-testid=key-path-ticket-triage]", Wait).Change(true);
        dialogs.WaitForElement("#key-budget", Wait).Change("1200");
        dialogs.WaitForElement("[data-testid=create-key]", Wait).Click();
        dialogs.WaitForElement("[data-testid=secret-done]", Wait).Click();
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll(".mud-dialog")), Wait);

        page.WaitForAssertion(() => Assert.Contains("1,200 decision requests/min",
            page.FindAll("[data-testid=keys-table] tr").Single(r => r.TextContent.Contains(name)).TextContent), Wait);
        Assert.Equal(1200, await Db.QueryAsync(_factory, db => db.ApiKeys.Where(k => k.Name == name).Select(k => k.DecisionRequestsPerMinute).SingleAsync()));
    }

    [Fact]
    public async Task UsersPage_CreateThenChangeRoles_SavedAndDialogsClose()
    {
        await SignedInAsAsync(TestUsers.Admin, AppRoles.Admin);
        var dialogs = Render<MudDialogProvider>();
        var page = Render<UsersPage>();
        page.WaitForAssertion(() => page.Find("[data-testid=users-table]"), Wait);
        var email = $"bunit-{Guid.NewGuid():N}"[..14] + "@opsconsole.local";

        page.Find("[data-testid=new-user]").Click();
        dialogs.WaitForElement("#new-user-email", Wait).Change(email);
        dialogs.WaitForElement("#new-user-password", Wait).Change("short");
        dialogs.WaitForElement("[data-testid=create-user]", Wait).Click();
        dialogs.WaitForAssertion(() => Assert.NotEmpty(dialogs.Find("[data-testid=dialog-errors]").TextContent), Wait);

        dialogs.WaitForElement("#new-user-password", Wait).Change("a long and uncommon passphrase");
        dialogs.WaitForElement("[data-testid=create-user]", Wait).Click();
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll(".mud-dialog")), Wait);
        page.WaitForAssertion(() => Assert.Contains(email, page.Find("[data-testid=users-table]").TextContent), Wait);

        var row = page.FindAll("[data-testid=users-table] tr").Single(r => r.TextContent.Contains(email, StringComparison.Ordinal));
        row.QuerySelectorAll("button").Single(b => b.TextContent.Trim() == "Roles").Click();
        dialogs.WaitForAssertion(() => Assert.Contains($"Roles of {email}", dialogs.Find(".mud-dialog").TextContent), Wait);
        Assert.True(dialogs.Find($"input[data-role='{AppRoles.Viewer}']").HasAttribute("checked"));
        dialogs.WaitForElement($"input[data-role='{AppRoles.Reviewer}']", Wait).Change(true);
        dialogs.WaitForElement("[data-testid=save-roles]", Wait).Click();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll(".mud-dialog")), Wait);
        var roles = await Db.QueryAsync(_factory, db => db.Users.Where(u => u.Email == email)
            .Join(db.UserRoles, u => u.Id, ur => ur.UserId, (u, ur) => ur.RoleId).Join(db.Roles, id => id, r => r.Id, (id, r) => r.Name!).ToListAsync());
        Assert.Equal([AppRoles.Reviewer, AppRoles.Viewer], roles.Order());
    }

    [Fact]
    public async Task IncidentsPage_OpenIncident_StoredWithTheTypedTitleAndOpened()
    {
        await SignedInAsAsync(TestUsers.Owner, AppRoles.PathOwner);
        var dialogs = Render<MudDialogProvider>();
        var page = Render<IncidentsPage>();
        page.WaitForAssertion(() => page.Find("[data-testid=new-incident]"), Wait);
        var title = "bUnit " + Guid.NewGuid().ToString("N")[..8];

        page.Find("[data-testid=new-incident]").Click();
        dialogs.WaitForElement("#new-incident-title", Wait).Change(title);
        dialogs.WaitForElement("[data-testid=confirm-new-incident]", Wait).Click();

        var nav = Services.GetRequiredService<BunitNavigationManager>();
        page.WaitForAssertion(() => Assert.Matches("/incidents/[0-9]+$", nav.Uri), Wait);
        var stored = await Db.QueryAsync(_factory, db => db.Incidents.Where(i => i.Title == title).Select(i => new { i.Id, i.Severity }).SingleAsync());
        Assert.EndsWith($"/incidents/{stored.Id}", nav.Uri);
        Assert.Equal("SEV3", stored.Severity);
    }
}
