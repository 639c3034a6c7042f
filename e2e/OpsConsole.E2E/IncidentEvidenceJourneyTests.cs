using System.Text.RegularExpressions;

namespace OpsConsole.E2E;

/// <summary>From an automatic incident to its evidence: the check run, the dashboard at that time with its marks, the audit log, the events.</summary>
public sealed partial class IncidentEvidenceJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    [GeneratedRegex(@"^/paths/ticket-triage/drift/\d+$")]
    private static partial Regex RunHref();

    [Fact]
    public async Task ErrorSpikeIncident_LinksItsRunDashboardAuditAndEvents_DashboardMarksTheKillAndTheIncident()
    {
        var owner = await app.NewPageAsync();
        await owner.SignedInAsync("owner@opsconsole.local", "/paths/ticket-triage/edit");
        await owner.GetByLabel("Contain on an error-rate breach or spike").CheckAsync();
        await owner.ClickAsync("[data-testid=save-path]");
        await owner.WaitForURLAsync("**/paths/ticket-triage");
        await owner.WaitForInteractiveAsync();

        // Half of the last completed 15-minute slot's events failed; a drift check finds the spike and contains the path.
        var now = DateTime.UtcNow;
        var slotEnd = new DateTime(now.Ticks - now.Ticks % TimeSpan.FromMinutes(15).Ticks, DateTimeKind.Utc);
        var events = Enumerable.Range(0, 60).Select(i => new System.Text.Json.Nodes.JsonObject
        {
            ["eventId"] = $"evidence-{Guid.NewGuid():N}",
            ["path"] = "ticket-triage",
            ["occurredAt"] = slotEnd.AddMinutes(-5).AddSeconds(i).ToString("O"),
            ["outcome"] = i % 2 == 0 ? "error" : "ok",
            ["errorCode"] = i % 2 == 0 ? "upstream_503" : null,
            ["output"] = i % 2 == 0 ? null : "queue 2",
            ["latencyMs"] = 300,
        });
        using (var response = await EventsApi.PostAsync(app.BaseUrl, EventsApi.DemoKey, events))
        {
            Assert.True(response.IsSuccessStatusCode);
        }
        await owner.OpenAsync("/paths/ticket-triage/dashboard");
        await owner.ClickAsync("[data-testid=drift-check-now]");
        await owner.Locator("[data-testid=drift-latest]").WaitForAsync();

        await owner.OpenAsync("/incidents");
        await owner.Locator("[data-testid=incident-link]", new() { HasTextString = "Error spike on ticket-triage" }).ClickAsync();
        await owner.WaitForURLAsync("**/incidents/*");
        await owner.WaitForInteractiveAsync();
        var incidentUrl = new Uri(owner.Url).PathAndQuery;
        var evidence = owner.Locator("[data-testid=incident-evidence]");
        await evidence.WaitForAsync();
        await owner.ScreenshotAsync("incident-evidence");
        await owner.SetViewportSizeAsync(390, 844);
        await owner.ScreenshotAsync("incident-evidence-phone");
        await owner.SetViewportSizeAsync(1280, 800);

        // The check run that raised it.
        Assert.Matches(RunHref(), await owner.Locator("[data-testid=evidence-run]").GetAttributeAsync("href"));
        await owner.ClickAsync("[data-testid=evidence-run]");
        await owner.Locator("[data-testid=drift-verdict]").WaitForAsync();

        // The dashboard at that time, with the system's kill and the incident marked on the time axis.
        await owner.OpenAsync(incidentUrl);
        await owner.ClickAsync("[data-testid=evidence-dashboard]");
        await owner.WaitForURLAsync("**/dashboard?range=window*");
        var marks = owner.Locator("[data-testid=dash-mark]");
        await marks.First.WaitForAsync();
        var labels = await marks.AllTextContentsAsync();
        Assert.Contains(labels, l => l.Contains("Killed (automatic)"));
        Assert.Contains(labels, l => l.Contains("Incident #") && l.Contains("SEV2"));
        var annotations = owner.Locator("[data-testid=chart-failures] .apexcharts-xaxis-annotations text");
        await annotations.First.WaitForAsync();
        var drawn = await annotations.AllTextContentsAsync();
        Assert.Contains("Killed (automatic)", drawn);
        Assert.Contains(drawn, t => t.StartsWith("Incident #"));
        await owner.Mouse.MoveAsync(0, 0); // no card tooltip over the marks
        await owner.ScreenshotAsync("dashboard-marks");
        await owner.Locator("[data-testid=chart-failures]").ScreenshotAsync(new() { Path = Path.Combine(AppFixture.ArtifactsDir, "dashboard-marks-chart.png") });
        await owner.SetViewportSizeAsync(390, 844);
        await owner.Locator("[data-testid=chart-failures] .apexcharts-xaxis-annotations text").First.WaitForAsync();
        await owner.ScreenshotAsync("dashboard-marks-phone");
        await owner.SetViewportSizeAsync(1280, 800);
        await owner.ClickAsync("[aria-label='Toggle dark mode']");
        await owner.Locator("[data-testid=chart-failures] .apexcharts-xaxis-annotations text").First.WaitForAsync();
        await owner.Locator("[data-testid=chart-failures]").ScreenshotAsync(new() { Path = Path.Combine(AppFixture.ArtifactsDir, "dashboard-marks-chart-dark.png") });
        await owner.ClickAsync("[aria-label='Toggle dark mode']");

        // The system's actions in the audit log for that window: the kill among them, nobody else's.
        await owner.OpenAsync(incidentUrl);
        await owner.ClickAsync("[data-testid=evidence-audit]");
        await owner.WaitForURLAsync("**/audit?*");
        await owner.Locator("[data-testid=audit-window]").WaitForAsync();
        var entries = owner.Locator("[data-testid=audit-list] .mud-expand-panel");
        await entries.Filter(new() { HasTextString = "path.kill" }).First.WaitForAsync();
        Assert.All(await entries.AllTextContentsAsync(), e => Assert.Contains("system", e));

        // Example events: the errors of that time.
        await owner.OpenAsync(incidentUrl);
        await owner.Locator("[data-testid=evidence-events]", new() { HasTextString = "Errors" }).ClickAsync();
        await owner.WaitForURLAsync("**/events?*");
        await owner.Locator("[data-testid=events-window]").WaitForAsync();
        await owner.Locator("[data-testid=events-table]").WaitForAsync();
        var outcomes = await owner.Locator("[data-testid=events-table] tbody tr td[data-label=Outcome]").AllTextContentsAsync();
        Assert.True(outcomes.Count >= 30, $"{outcomes.Count} errors shown"); // the demo's live traffic may add its own
        Assert.All(outcomes, o => Assert.Equal("error", o.Trim()));
        await owner.Context.CloseAsync();
    }
}
