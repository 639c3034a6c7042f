using Bunit;
using MudBlazor;
using OpsConsole.Web.Features.Incidents;

namespace OpsConsole.Tests.Components;

/// <summary>The dialog that opens an incident by hand, on its own.</summary>
public sealed class IncidentDialogTests : ComponentTestBase
{
    private readonly List<bool> _visibility = [];

    private IRenderedComponent<OpenIncidentDialog> RenderOpen(Action<OpenIncidentDialog.NewIncident> onOpen, bool visible = true, string? error = null) =>
        Render<OpenIncidentDialog>(p => p.Add(x => x.Visible, visible).Add(x => x.VisibleChanged, v => _visibility.Add(v))
            .Add(x => x.Paths, ["ticket-triage", "support-reply-draft"]).Add(x => x.Error, error).Add(x => x.OnOpen, onOpen));

    [Fact]
    public void OpenIncident_Hidden_ShowsNothing()
    {
        var dialogs = Render<MudDialogProvider>();
        RenderOpen(_ => { }, visible: false);

        Assert.Empty(dialogs.FindAll(".mud-dialog"));
    }

    [Fact]
    public void OpenIncident_Confirm_CallbackReceivesTheFirstPathTheTitleAndSev3()
    {
        var dialogs = Render<MudDialogProvider>();
        OpenIncidentDialog.NewIncident? opened = null;
        RenderOpen(i => opened = i);

        Assert.Contains("Open an incident", dialogs.Dialog().TextContent);
        dialogs.Find("#new-incident-title").Change("Billing tickets land in the general queue");
        dialogs.Find("[data-testid=confirm-new-incident]").Click();

        Assert.Equal(new OpenIncidentDialog.NewIncident("ticket-triage", "Billing tickets land in the general queue", "SEV3"), opened);
        Assert.Empty(_visibility);
    }

    [Fact]
    public void OpenIncident_Cancel_OpensNothing_TypedTitleStaysForTheNextOpening()
    {
        var dialogs = Render<MudDialogProvider>();
        var calls = new List<OpenIncidentDialog.NewIncident>();
        var cut = RenderOpen(calls.Add);
        dialogs.Find("#new-incident-title").Change("Half written");

        dialogs.Button("Cancel").Click();

        Assert.Empty(calls);
        Assert.Equal([false], _visibility);
        cut.Render(p => p.Add(x => x.Visible, false));
        dialogs.WaitForDialogs(0);
        cut.Render(p => p.Add(x => x.Visible, true));
        dialogs.WaitForDialogs(1);
        dialogs.Find("[data-testid=confirm-new-incident]").Click();
        Assert.Equal("Half written", Assert.Single(calls).Title);
    }

    [Fact]
    public void OpenIncident_Refused_ShowsWhy()
    {
        var dialogs = Render<MudDialogProvider>();
        RenderOpen(_ => { }, error: "Write what is wrong.");

        Assert.Contains("Write what is wrong.", dialogs.Find(".mud-dialog .mud-alert").TextContent);
    }
}
