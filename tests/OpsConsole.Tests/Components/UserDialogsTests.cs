using Bunit;
using MudBlazor;
using OpsConsole.Web.Features.Users;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Components;

/// <summary>The user admin dialogs on their own: what they show, and what they hand to the page.</summary>
public sealed class UserDialogsTests : ComponentTestBase
{
    private static readonly UserRow Ann = new("u-ann", "ann@opsconsole.local", "Ann", [AppRoles.Reviewer, AppRoles.Viewer], null, 0,
        new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc));

    private readonly List<bool> _visibility = [];

    private static void Tick(IRenderedComponent<MudDialogProvider> dialogs, string role, bool on) =>
        dialogs.Find($"input[data-role='{role}']").Change(on);

    [Fact]
    public void CreateUser_Hidden_ShowsNothing()
    {
        var dialogs = Render<MudDialogProvider>();
        Render<CreateUserDialog>(p => p.Add(x => x.Visible, false));

        Assert.Empty(dialogs.FindAll(".mud-dialog"));
    }

    [Fact]
    public void CreateUser_Confirm_CallbackReceivesWhatWasFilledIn_ViewerTickedAtTheStart()
    {
        var dialogs = Render<MudDialogProvider>();
        CreateUserDialog.NewUser? created = null;
        Render<CreateUserDialog>(p => p.Add(x => x.Visible, true).Add(x => x.VisibleChanged, v => _visibility.Add(v)).Add(x => x.OnCreate, u => created = u));

        Assert.Contains("New user", dialogs.Dialog().TextContent);
        Assert.True(dialogs.Find($"input[data-role='{AppRoles.Viewer}']").HasAttribute("checked"));
        dialogs.Find("#new-user-email").Change("bea@opsconsole.local");
        dialogs.Find("#new-user-name").Change("Bea");
        dialogs.Find("#new-user-password").Change("correct horse battery");
        Tick(dialogs, AppRoles.Reviewer, true);
        dialogs.Find("[data-testid=create-user]").Click();

        Assert.NotNull(created);
        Assert.Equal(("bea@opsconsole.local", "Bea", "correct horse battery"), (created.Email, created.DisplayName, created.Password));
        Assert.Equal([AppRoles.Reviewer, AppRoles.Viewer], created.Roles.Order());
        Assert.Empty(_visibility);
    }

    [Fact]
    public void CreateUser_Cancel_CreatesNothing_ReopenedStartsEmpty()
    {
        var dialogs = Render<MudDialogProvider>();
        CreateUserDialog.NewUser? created = null;
        var calls = 0;
        var cut = Render<CreateUserDialog>(p => p.Add(x => x.Visible, true).Add(x => x.VisibleChanged, v => _visibility.Add(v))
            .Add(x => x.OnCreate, u => (created, calls) = (u, calls + 1)));
        dialogs.Find("#new-user-email").Change("typo@opsconsole.local");

        dialogs.Button("Cancel").Click();

        Assert.Equal(0, calls);
        Assert.Equal([false], _visibility);
        cut.Render(p => p.Add(x => x.Visible, false));
        dialogs.WaitForDialogs(0);
        cut.Render(p => p.Add(x => x.Visible, true));
        dialogs.WaitForDialogs(1);
        dialogs.Find("[data-testid=create-user]").Click();
        Assert.Equal("", created!.Email);
        Assert.Equal([AppRoles.Viewer], created.Roles);
    }

    [Fact]
    public void CreateUser_RefusedSave_ShowsTheReasons()
    {
        var dialogs = Render<MudDialogProvider>();
        Render<CreateUserDialog>(p => p.Add(x => x.Visible, true).Add(x => x.Errors, ["Passwords must be at least 12 characters."]).Add(x => x.Busy, true));

        Assert.Contains("Passwords must be at least 12 characters.", dialogs.Find("[data-testid=dialog-errors]").TextContent);
        Assert.True(dialogs.Find("[data-testid=create-user]").HasAttribute("disabled"));
    }

    [Fact]
    public void UserRoles_Confirm_CallbackReceivesTheTickedRoles_StartingFromTheUsers()
    {
        var dialogs = Render<MudDialogProvider>();
        IReadOnlyCollection<string>? saved = null;
        Render<UserRolesDialog>(p => p.Add(x => x.Visible, true).Add(x => x.User, Ann).Add(x => x.OnSave, r => saved = r));

        Assert.Contains("Roles of ann@opsconsole.local", dialogs.Dialog().TextContent);
        Assert.True(dialogs.Find($"input[data-role='{AppRoles.Reviewer}']").HasAttribute("checked"));
        Tick(dialogs, AppRoles.Reviewer, false);
        Tick(dialogs, AppRoles.OnCall, true);
        dialogs.Find("[data-testid=save-roles]").Click();

        Assert.Equal([AppRoles.OnCall, AppRoles.Viewer], saved!.Order());
        Assert.Equal([AppRoles.Reviewer, AppRoles.Viewer], Ann.Roles);
    }

    [Fact]
    public void UserRoles_Cancel_SavesNothing()
    {
        var dialogs = Render<MudDialogProvider>();
        var saved = false;
        Render<UserRolesDialog>(p => p.Add(x => x.Visible, true).Add(x => x.VisibleChanged, v => _visibility.Add(v)).Add(x => x.User, Ann).Add(x => x.OnSave, _ => saved = true));

        Tick(dialogs, AppRoles.Admin, true);
        dialogs.Button("Cancel").Click();

        Assert.False(saved);
        Assert.Equal([false], _visibility);
    }

    [Fact]
    public void ResetPassword_Confirm_CallbackReceivesThePassword()
    {
        var dialogs = Render<MudDialogProvider>();
        string? set = null;
        Render<ResetPasswordDialog>(p => p.Add(x => x.Visible, true).Add(x => x.User, Ann).Add(x => x.OnSet, pw => set = pw));

        Assert.Contains("Reset password of ann@opsconsole.local", dialogs.Dialog().TextContent);
        Assert.Equal("password", dialogs.Find("#reset-password").GetAttribute("type"));
        dialogs.Find("#reset-password").Change("a much longer passphrase");
        dialogs.Find("[data-testid=reset-password-submit]").Click();

        Assert.Equal("a much longer passphrase", set);
    }

    [Fact]
    public void ResetPassword_Cancel_SetsNothing()
    {
        var dialogs = Render<MudDialogProvider>();
        var set = false;
        Render<ResetPasswordDialog>(p => p.Add(x => x.Visible, true).Add(x => x.VisibleChanged, v => _visibility.Add(v)).Add(x => x.User, Ann).Add(x => x.OnSet, _ => set = true));

        dialogs.Find("#reset-password").Change("a much longer passphrase");
        dialogs.Button("Cancel").Click();

        Assert.False(set);
        Assert.Equal([false], _visibility);
    }

    [Fact]
    public void LockUser_Confirm_CallbackReceivesTheUser()
    {
        var dialogs = Render<MudDialogProvider>();
        UserRow? locked = null;
        Render<LockUserDialog>(p => p.Add(x => x.Visible, true).Add(x => x.User, Ann).Add(x => x.OnLock, u => locked = u));

        Assert.Contains("Lock ann@opsconsole.local?", dialogs.Dialog().TextContent);
        dialogs.Find("[data-testid=confirm-lock]").Click();

        Assert.Same(Ann, locked);
    }

    [Fact]
    public void LockUser_Cancel_LocksNothing()
    {
        var dialogs = Render<MudDialogProvider>();
        var locked = false;
        Render<LockUserDialog>(p => p.Add(x => x.Visible, true).Add(x => x.VisibleChanged, v => _visibility.Add(v)).Add(x => x.User, Ann).Add(x => x.OnLock, _ => locked = true));

        dialogs.Button("Cancel").Click();

        Assert.False(locked);
        Assert.Equal([false], _visibility);
    }
}
