using Bunit;
using MudBlazor;
using OpsConsole.Web.Features.Ingestion;
using OpsConsole.Web.Features.Quarantine;

namespace OpsConsole.Tests.Components;

/// <summary>The confirmation before quarantined items are replayed, on its own.</summary>
public sealed class QuarantineDialogTests : ComponentTestBase
{
    private readonly List<bool> _visibility = [];

    private IRenderedComponent<ReplayQuarantineDialog> RenderReplay(Action onReplay, bool visible = true, bool busy = false) =>
        Render<ReplayQuarantineDialog>(p => p.Add(x => x.Visible, visible).Add(x => x.VisibleChanged, v => _visibility.Add(v))
            .Add(x => x.Count, 3).Add(x => x.Busy, busy).Add(x => x.OnReplay, onReplay));

    [Fact]
    public void ReplayQuarantine_Hidden_ShowsNothing()
    {
        var dialogs = Render<MudDialogProvider>();
        RenderReplay(() => { }, visible: false);

        Assert.Empty(dialogs.FindAll(".mud-dialog"));
    }

    [Fact]
    public void ReplayQuarantine_Confirm_CallsBackOnce()
    {
        var dialogs = Render<MudDialogProvider>();
        var replays = 0;
        RenderReplay(() => replays++);

        Assert.Contains("Replay 3 item(s)?", dialogs.Dialog().TextContent);
        dialogs.Find("[data-testid=confirm-replay]").Click();

        Assert.Equal(1, replays);
        Assert.Empty(_visibility);
    }

    [Fact]
    public void ReplayQuarantine_Cancel_ReplaysNothing()
    {
        var dialogs = Render<MudDialogProvider>();
        var replays = 0;
        RenderReplay(() => replays++);

        dialogs.Button("Cancel").Click();

        Assert.Equal(0, replays);
        Assert.Equal([false], _visibility);
    }

    [Fact]
    public void ReplayQuarantine_Busy_DisablesConfirmAndShowsProgress()
    {
        var dialogs = Render<MudDialogProvider>();
        RenderReplay(() => { }, busy: true);

        var confirm = dialogs.Find("[data-testid=confirm-replay]");
        Assert.True(confirm.HasAttribute("disabled"));
        Assert.NotNull(confirm.QuerySelector(".mud-progress-circular"));
    }
}
