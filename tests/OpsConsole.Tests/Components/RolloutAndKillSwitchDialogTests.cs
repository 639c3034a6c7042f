using Bunit;
using MudBlazor;
using OpsConsole.Web.Features.Controls;

namespace OpsConsole.Tests.Components;

/// <summary>The controls' dialogs on their own (ControlDialogsTests drives them through the real services).</summary>
public sealed class RolloutAndKillSwitchDialogTests : ComponentTestBase
{
    private static readonly KillSwitchDialog.SeenSwitch Live = new("ticket-triage", "Ticket triage", "rules", false, null, 50);

    private static readonly GateResult[] FailingGate = [new("min volume", false, "12 events, need 500", 12, 500, "24 h")];

    private readonly List<bool> _visibility = [];

    private IRenderedComponent<KillSwitchDialog> RenderKill(Action<string?> onConfirm, KillSwitchDialog.SeenSwitch? seen = null, string? refused = null) =>
        Render<KillSwitchDialog>(p => p.Add(x => x.Visible, true).Add(x => x.VisibleChanged, v => _visibility.Add(v)).Add(x => x.Seen, seen ?? Live)
            .Add(x => x.EventsLastHour, 1234).Add(x => x.Refused, refused).Add(x => x.OnConfirm, onConfirm));

    [Fact]
    public void KillSwitch_Kill_SaysWhatStopsAndConfirmReceivesTheReason()
    {
        var dialogs = Render<MudDialogProvider>();
        var reasons = new List<string?>();
        RenderKill(reasons.Add);

        Assert.Contains("Kill Ticket triage?", dialogs.Dialog().TextContent);
        Assert.Contains("served 1,234 events in the last hour at 50 % rollout", dialogs.Find("[data-testid=kill-confirm-text]").TextContent);
        Assert.Equal("Turn the path off", dialogs.Find("[data-testid=confirm-kill]").TextContent.Trim());
        dialogs.Find("#kill-reason").Change("labels wrong since triage-v2");
        dialogs.Find("[data-testid=confirm-kill]").Click();

        Assert.Equal(["labels wrong since triage-v2"], reasons);
        Assert.Empty(_visibility);
    }

    [Fact]
    public void KillSwitch_Cancel_FlipsNothing()
    {
        var dialogs = Render<MudDialogProvider>();
        var reasons = new List<string?>();
        RenderKill(reasons.Add, seen: Live with { Restore = true });

        Assert.Contains("Restore Ticket triage?", dialogs.Dialog().TextContent);
        dialogs.Find("#kill-reason").Change("fixed upstream");
        dialogs.Find("[data-testid=cancel-kill]").Click();

        Assert.Empty(reasons);
        Assert.Equal([false], _visibility);
    }

    [Fact]
    public void KillSwitch_Refused_ConfirmDisabledAndCancelSaysClose()
    {
        var dialogs = Render<MudDialogProvider>();
        RenderKill(_ => { }, refused: "Already restored by admin@opsconsole.local");

        Assert.Contains("Already restored", dialogs.Find("[data-testid=kill-refused]").TextContent);
        Assert.True(dialogs.Find("[data-testid=confirm-kill]").HasAttribute("disabled"));
        Assert.Equal("Close", dialogs.Find("[data-testid=cancel-kill]").TextContent.Trim());
    }

    [Fact]
    public void KillSwitch_Opened_AsksTheBrowserToFocusTheReason()
    {
        Render<MudDialogProvider>();
        RenderKill(_ => { });

        var module = JSInterop.VerifyInvoke("import").Arguments.Single();
        Assert.Equal("./lib/opsconsole/dialogs.js", module);
    }

    private IRenderedComponent<RolloutDialog> RenderRollout(RolloutDialog.RolloutChange kind, Action<RolloutDialog.Answer> onConfirm, RolloutRequest? request = null, bool mayOverride = false) =>
        Render<RolloutDialog>(p => p.Add(x => x.Visible, true).Add(x => x.VisibleChanged, v => _visibility.Add(v)).Add(x => x.Kind, kind)
            .Add(x => x.Slug, "support-reply-draft").Add(x => x.CurrentPercent, 25).Add(x => x.SeenPercent, 25).Add(x => x.Request, request is null ? null : RolloutRequestView.From(request))
            .Add(x => x.Gates, FailingGate).Add(x => x.MayOverride, mayOverride).Add(x => x.OnConfirm, onConfirm));

    [Fact]
    public void Rollout_Decrease_ConfirmReceivesPercentAndReason()
    {
        var dialogs = Render<MudDialogProvider>();
        var answers = new List<RolloutDialog.Answer>();
        RenderRollout(RolloutDialog.RolloutChange.Decrease, answers.Add);

        Assert.Contains("Lower the rollout", dialogs.Dialog().TextContent);
        Assert.Contains("Lower support-reply-draft from 25 %", dialogs.Dialog().TextContent);
        dialogs.Find("#rollout-percent").Change("10");
        dialogs.Find("#control-text").Change("complaints about tone");
        Assert.Equal("Lower to 10 %", dialogs.Find("[data-testid=confirm-control]").TextContent.Trim());
        dialogs.Find("[data-testid=confirm-control]").Click();

        Assert.Equal([new RolloutDialog.Answer(10, "complaints about tone", null)], answers);
    }

    [Fact]
    public void Rollout_Request_StartsAtDoubleThePercentage()
    {
        var dialogs = Render<MudDialogProvider>();
        var answers = new List<RolloutDialog.Answer>();
        RenderRollout(RolloutDialog.RolloutChange.Request, answers.Add);

        Assert.Equal("Request 50 %", dialogs.Find("[data-testid=confirm-control]").TextContent.Trim());
        dialogs.Find("#control-text").Change("quality holds");
        dialogs.Find("[data-testid=confirm-control]").Click();

        Assert.Equal([new RolloutDialog.Answer(50, "quality holds", null)], answers);
    }

    [Fact]
    public void Rollout_ApproveOverFailingGates_AdminGivesAnOverrideReason()
    {
        var dialogs = Render<MudDialogProvider>();
        var answers = new List<RolloutDialog.Answer>();
        var request = new RolloutRequest { Id = 3, FromPercent = 25, ToPercent = 60, Justification = "<b>ready</b>", RequestedByName = "owner@opsconsole.local" };
        RenderRollout(RolloutDialog.RolloutChange.Approve, answers.Add, request, mayOverride: true);

        Assert.Contains("owner@opsconsole.local asks for 25 % → 60 %: “<b>ready</b>”", dialogs.Dialog().TextContent);
        dialogs.Find("#override-reason").Change("volume is seasonal");
        dialogs.Find("[data-testid=confirm-control]").Click();

        Assert.Equal([new RolloutDialog.Answer(60, null, "volume is seasonal")], answers);
    }

    [Fact]
    public void Rollout_Cancel_ConfirmsNothing()
    {
        var dialogs = Render<MudDialogProvider>();
        var answers = new List<RolloutDialog.Answer>();
        RenderRollout(RolloutDialog.RolloutChange.Reject, answers.Add, new RolloutRequest { FromPercent = 25, ToPercent = 60 });

        Assert.Empty(dialogs.FindAll("#override-reason"));
        dialogs.Find("#control-text").Change("not yet");
        dialogs.Button("Cancel").Click();

        Assert.Empty(answers);
        Assert.Equal([false], _visibility);
    }
}
