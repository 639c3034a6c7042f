using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Notifications;

namespace OpsConsole.Tests.Features.Incidents;

/// <summary>The vocabularies are stored in rows, so their values must never change with a rename.</summary>
public sealed class IncidentVocabularyTests
{
    [Fact]
    public void Severities_StoredValues_Unchanged() =>
        Assert.Equal(["SEV1", "SEV2", "SEV3", "SEV4"], IncidentSeverities.All);

    [Fact]
    public void SourcesAndCauses_StoredValues_Unchanged()
    {
        Assert.Equal(["manual", "drift", "slo", "error-spike"],
            [IncidentSources.Manual, IncidentSources.Drift, IncidentSources.Slo, IncidentSources.ErrorSpike]);
        Assert.Equal(["manual", "drift", "error-spike", "slo:p95", "slo:errors", "slo:quality"],
            [IncidentCauses.Manual, IncidentCauses.Drift, IncidentCauses.ErrorSpike, IncidentCauses.SloP95, IncidentCauses.SloErrors, IncidentCauses.SloQuality]);
    }

    [Fact]
    public void NewManual_OneCausePerIncident_FitsTheColumn()
    {
        var (a, b) = (IncidentCauses.NewManual(), IncidentCauses.NewManual());
        Assert.Matches("^manual:[0-9a-f]{8}$", a);
        Assert.NotEqual(a, b);
        Assert.True(a.Length <= 40); // Incident.Cause is 40 characters at most
    }

    [Fact]
    public void EntryKinds_StoredValues_Unchanged() =>
        Assert.Equal(["opened", "alert", "contained", "acknowledged", "resolved", "reopened", "reassigned", "note", "escalated"],
            [IncidentEntryKinds.Opened, IncidentEntryKinds.Alert, IncidentEntryKinds.Contained, IncidentEntryKinds.Acknowledged, IncidentEntryKinds.Resolved,
             IncidentEntryKinds.Reopened, IncidentEntryKinds.Reassigned, IncidentEntryKinds.Note, IncidentEntryKinds.Escalated]);

    [Fact]
    public void NotificationKinds_IncidentsWrite_StoredValuesUnchanged() =>
        Assert.Equal(["incident", "escalation", "automatic-action"],
            [NotificationKinds.IncidentNotice, NotificationKinds.Escalation, NotificationKinds.AutomaticAction]);
}
