using Bunit;
using MudBlazor;
using OpsConsole.Web.Features.ApiKeys;

namespace OpsConsole.Tests.Components;

/// <summary>The key dialogs on their own: what they show, and what they hand to the page.</summary>
public sealed class ApiKeyDialogsTests : ComponentTestBase
{
    private static readonly ApiKeyView Key = new(7, "support-bot", "ok_abc", [ApiScopes.EventsWrite], ["ticket-triage"], false,
        "admin@opsconsole.local", new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc), null, null, null, false, true);

    private readonly List<bool> _visibility = [];

    private IRenderedComponent<CreateKeyDialog> RenderCreate(Action<ApiKeyInput> onCreate, IReadOnlyList<string>? assignable = null, IReadOnlyDictionary<string, string>? errors = null) =>
        Render<CreateKeyDialog>(p => p.Add(x => x.Visible, true).Add(x => x.VisibleChanged, v => _visibility.Add(v))
            .Add(x => x.Assignable, assignable ?? ["ticket-triage"]).Add(x => x.Errors, errors ?? new Dictionary<string, string>())
            .Add(x => x.OnCreate, onCreate));

    [Fact]
    public void CreateKey_Visible_ShowsTheFormWithTheOnlyPathTicked()
    {
        var dialogs = Render<MudDialogProvider>();
        RenderCreate(_ => { });

        Assert.Contains("New API key", dialogs.Dialog().TextContent);
        Assert.NotNull(dialogs.Find("#key-name"));
        Assert.True(dialogs.Find("input[data-testid=key-path-ticket-triage]").HasAttribute("checked"));
        Assert.Empty(dialogs.FindAll("[data-testid=dialog-errors]"));
    }

    [Fact]
    public void CreateKey_Hidden_ShowsNothing()
    {
        var dialogs = Render<MudDialogProvider>();
        Render<CreateKeyDialog>(p => p.Add(x => x.Visible, false).Add(x => x.Assignable, ["ticket-triage"]));

        Assert.Empty(dialogs.FindAll(".mud-dialog"));
    }

    [Fact]
    public void CreateKey_Busy_DisablesCreate()
    {
        var dialogs = Render<MudDialogProvider>();
        Render<CreateKeyDialog>(p => p.Add(x => x.Visible, true).Add(x => x.Busy, true));

        Assert.True(dialogs.Find("[data-testid=create-key]").HasAttribute("disabled"));
    }

    [Fact]
    public void CreateKey_Confirm_CallbackReceivesWhatWasFilledIn()
    {
        var dialogs = Render<MudDialogProvider>();
        ApiKeyInput? created = null;
        RenderCreate(i => created = i, assignable: ["ticket-triage", "support-reply-draft"]);

        dialogs.Find("#key-name").Change("support-bot production");
        dialogs.Find($"input[data-testid='scope-{ApiScopes.LabelsRead}']").Change(true);
        dialogs.Find("input[data-testid=key-path-support-reply-draft]").Change(true);
        dialogs.Find("[data-testid=create-key]").Click();

        Assert.NotNull(created);
        Assert.Equal("support-bot production", created.Name);
        Assert.Equal([ApiScopes.EventsWrite, ApiScopes.LabelsRead], created.Scopes.Order());
        Assert.Equal(["support-reply-draft"], created.PathSlugs);
        Assert.False(created.AllPaths);
        Assert.Empty(_visibility);
    }

    [Fact]
    public void CreateKey_Cancel_ClosesWithoutCreating()
    {
        var dialogs = Render<MudDialogProvider>();
        var created = false;
        RenderCreate(_ => created = true);

        dialogs.Find("#key-name").Change("never saved");
        dialogs.Button("Cancel").Click();

        Assert.False(created);
        Assert.Equal([false], _visibility);
    }

    [Fact]
    public void CreateKey_RefusedSave_ShowsTheProblemsAndMarksTheGroups()
    {
        var dialogs = Render<MudDialogProvider>();
        RenderCreate(_ => { }, errors: new Dictionary<string, string> { [nameof(ApiKeyInput.PathSlugs)] = "Choose at least one path." });

        Assert.Equal("true", dialogs.Find("[data-testid=key-paths]").GetAttribute("aria-invalid"));
        Assert.Null(dialogs.Find("[data-testid=key-scopes]").GetAttribute("aria-invalid"));
        Assert.Contains("Choose at least one path.", dialogs.Find("[data-testid=dialog-errors]").TextContent);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("1000001")]
    [InlineData("99999999999999999999999")]
    [InlineData("2.5")]
    [InlineData("lots")]
    public void CreateKey_BudgetNotAWholeNumberFromOneToAMillion_RuleShownAndNothingCreated(string typed)
    {
        var dialogs = Render<MudDialogProvider>();
        var created = false;
        RenderCreate(_ => created = true);

        dialogs.Find("#key-name").Change("support-bot");
        dialogs.Find("#key-budget").Change(typed);
        dialogs.Find("[data-testid=create-key]").Click();

        Assert.False(created);
        Assert.Contains(ApiKeyService.BudgetRule, dialogs.Dialog().TextContent);
        Assert.Contains("1 to 1,000,000", ApiKeyService.BudgetRule);
        Assert.Equal("true", dialogs.Find("#key-budget").GetAttribute("aria-invalid"));
    }

    [Theory]
    [InlineData("", null)]
    [InlineData(" 600 ", 600)]
    [InlineData("1", 1)]
    [InlineData("1,000,000", 1_000_000)]
    public void CreateKey_BudgetEmptyOrInRange_PassedToThePage(string typed, int? expected)
    {
        var dialogs = Render<MudDialogProvider>();
        ApiKeyInput? created = null;
        RenderCreate(i => created = i);

        dialogs.Find("#key-budget").Change(typed);
        dialogs.Find("[data-testid=create-key]").Click();

        Assert.NotNull(created);
        Assert.Equal(expected, created.DecisionRequestsPerMinute);
    }

    [Fact]
    public void CreateKey_BudgetCorrectedAfterRefusal_ProblemGoneAndCreated()
    {
        var dialogs = Render<MudDialogProvider>();
        ApiKeyInput? created = null;
        RenderCreate(i => created = i);
        dialogs.Find("#key-budget").Change("0");
        dialogs.Find("[data-testid=create-key]").Click();
        Assert.Contains(ApiKeyService.BudgetRule, dialogs.Dialog().TextContent);

        dialogs.Find("#key-budget").Change("120");

        Assert.DoesNotContain(ApiKeyService.BudgetRule, dialogs.Dialog().TextContent);
        dialogs.Find("[data-testid=create-key]").Click();
        Assert.Equal(120, created?.DecisionRequestsPerMinute);
    }

    [Fact]
    public void CreateKey_BudgetRefusedBySave_ShownAtTheField()
    {
        var dialogs = Render<MudDialogProvider>();
        RenderCreate(_ => { }, errors: new Dictionary<string, string> { [nameof(ApiKeyInput.DecisionRequestsPerMinute)] = ApiKeyService.BudgetRule });

        Assert.Equal("true", dialogs.Find("#key-budget").GetAttribute("aria-invalid"));
        Assert.Contains(ApiKeyService.BudgetRule, dialogs.Find("[data-testid=dialog-errors]").TextContent);
    }

    [Fact]
    public void CreateKey_OpenedAgain_StartsANewKey()
    {
        var dialogs = Render<MudDialogProvider>();
        ApiKeyInput? created = null;
        var cut = RenderCreate(i => created = i);
        dialogs.Find("#key-name").Change("first try");

        cut.Render(p => p.Add(x => x.Visible, false));
        dialogs.WaitForDialogs(0);
        cut.Render(p => p.Add(x => x.Visible, true));
        dialogs.WaitForDialogs(1);
        dialogs.Find("[data-testid=create-key]").Click();

        Assert.Equal("", created!.Name);
        Assert.Equal(["ticket-triage"], created.PathSlugs);
    }

    [Theory]
    [InlineData("2027-03-01", 2027, 3, 1)]
    [InlineData(" 2026-12-31 ", 2026, 12, 31)]
    public void CreateKey_ExpiryDate_PassedAsMidnightUtc(string typed, int y, int m, int d)
    {
        var dialogs = Render<MudDialogProvider>();
        ApiKeyInput? created = null;
        RenderCreate(i => created = i);

        dialogs.Find("#key-expires").Change(typed);
        dialogs.Find("[data-testid=create-key]").Click();

        Assert.Equal(new DateTime(y, m, d, 0, 0, 0, DateTimeKind.Utc), created!.ExpiresAt);
        Assert.Equal(DateTimeKind.Utc, created.ExpiresAt!.Value.Kind);
    }

    [Theory]
    [InlineData("next tuesday")]
    [InlineData("2026-02-30")]
    [InlineData("31.12.2026")]
    public void CreateKey_ExpiryNotADate_ProblemShownAndNothingCreated(string typed)
    {
        var dialogs = Render<MudDialogProvider>();
        var created = false;
        RenderCreate(_ => created = true);

        dialogs.Find("#key-expires").Change(typed);
        dialogs.Find("[data-testid=create-key]").Click();

        Assert.False(created);
        Assert.Equal("true", dialogs.Find("#key-expires").GetAttribute("aria-invalid"));
        Assert.Contains("yyyy-mm-dd", dialogs.Dialog().TextContent);
    }

    [Fact]
    public void CreateKey_ExpiryRefusedBySave_ShownAtTheField()
    {
        var dialogs = Render<MudDialogProvider>();
        RenderCreate(_ => { }, errors: new Dictionary<string, string> { [nameof(ApiKeyInput.ExpiresAt)] = ApiKeyService.ExpiryRule });

        Assert.Equal("true", dialogs.Find("#key-expires").GetAttribute("aria-invalid"));
        Assert.Contains(ApiKeyService.ExpiryRule, dialogs.Find("[data-testid=dialog-errors]").TextContent);
    }

    [Fact]
    public void RotateKey_ConfirmWithoutChoosing_HandsTheDefaultGraceOf24Hours()
    {
        var dialogs = Render<MudDialogProvider>();
        int? chosen = null;
        Render<RotateKeyDialog>(p => p.Add(x => x.Visible, true).Add(x => x.Key, Key).Add(x => x.OnRotate, h => chosen = h));

        Assert.Contains("Rotate “support-bot”?", dialogs.Dialog().TextContent);
        Assert.Contains("24 hours (default)", dialogs.Dialog().TextContent);
        dialogs.Find("[data-testid=confirm-rotate]").Click();

        Assert.Equal(ApiKeyService.DefaultGraceHours, chosen);
    }

    [Fact]
    public void RotateKey_Cancel_ClosesWithoutRotating_ErrorsShown()
    {
        var dialogs = Render<MudDialogProvider>();
        var rotated = false;
        Render<RotateKeyDialog>(p => p.Add(x => x.Visible, true).Add(x => x.Key, Key).Add(x => x.Errors, ["This key was already rotated."])
            .Add(x => x.VisibleChanged, v => _visibility.Add(v)).Add(x => x.OnRotate, _ => rotated = true));

        Assert.Contains("This key was already rotated.", dialogs.Find("[data-testid=dialog-errors]").TextContent);
        dialogs.Button("Cancel").Click();

        Assert.False(rotated);
        Assert.Equal([false], _visibility);
    }

    [Fact]
    public void RotateKey_EveryChoice_IsAGraceTheServiceAccepts()
    {
        Assert.Contains(RotateKeyDialog.Choices, c => c.Hours == 0);
        Assert.All(RotateKeyDialog.Choices, c => Assert.Null(ApiKeyService.GraceProblem(c.Hours)));
    }

    [Fact]
    public void KeySecret_Visible_ShowsTheSecretAndDoneCallsBack()
    {
        var dialogs = Render<MudDialogProvider>();
        var done = 0;
        Render<KeySecretDialog>(p => p.Add(x => x.Visible, true).Add(x => x.Secret, "ok_abc.s3cr3t").Add(x => x.OnDone, () => done++));

        Assert.Contains("Copy the key now", dialogs.Dialog().TextContent);
        Assert.Equal("ok_abc.s3cr3t", dialogs.Find("#key-secret").GetAttribute("value"));
        dialogs.Find("[data-testid=secret-done]").Click();

        Assert.Equal(1, done);
    }

    [Fact]
    public void KeySecret_HasNoCancel_ClosesOnlyByItsButton()
    {
        var dialogs = Render<MudDialogProvider>();
        Render<KeySecretDialog>(p => p.Add(x => x.Visible, true).Add(x => x.Secret, "ok_abc.s3cr3t"));

        Assert.Equal(["I have copied it"], dialogs.FindAll(".mud-dialog-actions button").Select(b => b.TextContent.Trim()));
    }

    [Fact]
    public void RevokeKey_Confirm_CallbackReceivesTheKey()
    {
        var dialogs = Render<MudDialogProvider>();
        ApiKeyView? revoked = null;
        Render<RevokeKeyDialog>(p => p.Add(x => x.Visible, true).Add(x => x.Key, Key).Add(x => x.OnRevoke, k => revoked = k));

        Assert.Contains("Revoke “support-bot”?", dialogs.Dialog().TextContent);
        dialogs.Find("[data-testid=confirm-revoke]").Click();

        Assert.Same(Key, revoked);
    }

    [Fact]
    public void RevokeKey_Cancel_RevokesNothing()
    {
        var dialogs = Render<MudDialogProvider>();
        var revoked = false;
        Render<RevokeKeyDialog>(p => p.Add(x => x.Visible, true).Add(x => x.VisibleChanged, v => _visibility.Add(v)).Add(x => x.Key, Key)
            .Add(x => x.Errors, ["The key is already revoked."]).Add(x => x.OnRevoke, _ => revoked = true));

        Assert.Contains("The key is already revoked.", dialogs.Find("[data-testid=dialog-errors]").TextContent);
        dialogs.Button("Cancel").Click();

        Assert.False(revoked);
        Assert.Equal([false], _visibility);
    }
}
