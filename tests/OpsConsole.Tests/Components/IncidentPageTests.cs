using System.Globalization;
using Bunit;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Drift;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Components;

/// <summary>The incident page rendered by bUnit on the real services and database: the links to its evidence.</summary>
[Trait("Category", "Integration")]
public sealed class IncidentPageTests : ComponentTestBase, IAsyncLifetime
{
    private readonly OpsConsoleFactory _factory = new();
    private long _incident, _run;
    private DateTime _triggeredAt;

    public async ValueTask InitializeAsync()
    {
        _factory.CreateClient().Dispose();
        var pathId = await Db.QueryAsync(_factory, db => db.Paths.Where(p => p.Slug == "ticket-triage").Select(p => p.Id).SingleAsync());
        // The run a drift check stores before it raises what it found.
        var now = DateTime.UtcNow;
        _run = await Db.QueryAsync(_factory, async db =>
        {
            var run = new DriftCheckRun { PathId = pathId, CurrentFrom = now.AddDays(-1), CurrentTo = now, ReferenceFrom = now.AddDays(-8), ReferenceTo = now.AddDays(-1), RanAt = now, Verdict = DriftVerdicts.Ok };
            db.DriftCheckRuns.Add(run);
            await db.SaveChangesAsync();
            return run.Id;
        });
        var raised = await _factory.Services.GetRequiredService<IncidentService>()
            .RaiseAsync(pathId, "error-spike", "Error spike on ticket-triage", "SEV2", "error-spike", "50 % errors", contain: false, _run, CancellationToken.None);
        _incident = raised.IncidentId;
        _triggeredAt = await Db.QueryAsync(_factory, db => db.Incidents.Where(i => i.Id == raised.IncidentId).Select(i => i.TriggeredAt).SingleAsync());
        foreach (var type in new[] { typeof(IncidentQueries), typeof(IncidentService), typeof(IncidentNotifier), typeof(PathAccess), typeof(Permissions), typeof(PathService), typeof(TimeProvider), typeof(OpsConsole.Web.Features.Traces.TraceQueries) })
        {
            Services.AddSingleton(type, _factory.Services.GetRequiredService(type));
        }
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await base.DisposeAsync();
        await _factory.DisposeAsync();
    }

    private IRenderedComponent<IncidentPage> Open()
    {
        var page = Render<IncidentPage>(p => p.Add(x => x.Id, _incident));
        page.WaitForAssertion(() => page.Find("[data-testid=incident-evidence]"));
        return page;
    }

    private static Dictionary<string, string> Query(string href) =>
        QueryHelpers.ParseQuery(new Uri("http://x" + href).Query).ToDictionary(q => q.Key, q => q.Value.ToString());

    private static DateTime Instant(string value) =>
        DateTime.ParseExact(value, "yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    [Fact]
    public void Evidence_RaisedByADriftCheck_LinksItsRunTheDashboardAtThatTimeTheSystemsActionsAndErrors()
    {
        SignedInAs(AppRoles.PathOwner);
        var page = Open();

        Assert.Equal($"/paths/ticket-triage/drift/{_run}", page.Find("[data-testid=evidence-run]").GetAttribute("href"));
        Assert.Equal($"/paths/ticket-triage/drift/{_run}", page.Find("[data-testid=timeline-run]").GetAttribute("href"));

        var dashboard = page.Find("[data-testid=evidence-dashboard]").GetAttribute("href")!;
        Assert.StartsWith("/paths/ticket-triage/dashboard?", dashboard);
        var view = Query(dashboard);
        Assert.Equal("window", view["range"]);
        Assert.InRange(_triggeredAt, Instant(view["from"]).AddMinutes(59), Instant(view["to"])); // an hour before it, up to now

        var audit = page.Find("[data-testid=evidence-audit]").GetAttribute("href")!;
        Assert.StartsWith("/audit?", audit);
        var filter = Query(audit);
        Assert.Equal(("ticket-triage", "system"), (filter["path"], filter["actor"]));
        Assert.True(Instant(filter["from"]) <= _triggeredAt);
        Assert.False(filter.ContainsKey("to")); // still open: up to now, whenever the link is followed

        var events = page.FindAll("[data-testid=evidence-events]").Select(a => a.GetAttribute("href")!).ToList();
        Assert.Equal(2, events.Count);
        Assert.StartsWith("/paths/ticket-triage/events?", events[0]);
        Assert.Equal("error", Query(events[0])["outcome"]);
        Assert.True(Instant(Query(events[0])["from"]) <= _triggeredAt);
        Assert.False(Query(events[1]).ContainsKey("outcome"));
    }

    [Fact]
    public async Task Evidence_Resolved_WindowEndsAtItsResolution()
    {
        var admin = Principals.Admin("admin@opsconsole.local");
        Assert.Null((await _factory.Services.GetRequiredService<IncidentService>().ResolveAsync(_incident, "fixed", admin, CancellationToken.None)).Error);
        var resolvedAt = await Db.QueryAsync(_factory, db => db.Incidents.Where(i => i.Id == _incident).Select(i => i.ResolvedAt!.Value).SingleAsync());
        SignedInAs(AppRoles.PathOwner);
        var page = Open();

        var to = Instant(Query(page.Find("[data-testid=evidence-audit]").GetAttribute("href")!)["to"]);
        Assert.InRange(to, resolvedAt, resolvedAt.AddMinutes(1));
        Assert.Equal(to, Instant(Query(page.Find("[data-testid=evidence-dashboard]").GetAttribute("href")!)["to"]));
    }

    [Fact]
    public void Evidence_ViewerWithoutAuditRights_NoAuditLink_TheRestStays()
    {
        SignedInAs(AppRoles.Viewer);
        var page = Open();

        Assert.Empty(page.FindAll("[data-testid=evidence-audit]"));
        Assert.Single(page.FindAll("[data-testid=evidence-run]"));
        Assert.Single(page.FindAll("[data-testid=evidence-dashboard]"));
        Assert.Equal(2, page.FindAll("[data-testid=evidence-events]").Count);
    }
}
