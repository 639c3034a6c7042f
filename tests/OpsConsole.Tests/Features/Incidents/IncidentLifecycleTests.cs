using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Review;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Notifications;

namespace OpsConsole.Tests.Features.Incidents;

/// <summary>Incidents by hand and by the system: who may act, the lifecycle, the timeline, escalation and MTTA/MTTR.</summary>
[Trait("Category", "Integration")]
public sealed class IncidentLifecycleTests : IAsyncLifetime
{
    private FakeClockFactory _factory = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private IncidentService Incidents => _factory.Services.GetRequiredService<IncidentService>();

    public ValueTask InitializeAsync()
    {
        _factory.CreateClient().Dispose();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task Lifecycle_OpenAckResolveReopen_TimelineAndTimes()
    {
        var oncall = await Principals.ForAsync(_factory, "oncall@opsconsole.local");
        var viewer = await Principals.ForAsync(_factory, "viewer@opsconsole.local");
        Assert.NotNull((await Incidents.OpenAsync("ticket-triage", "Wrong queue for billing", "SEV3", viewer, Ct)).Error);
        Assert.NotNull((await Incidents.OpenAsync("ticket-triage", "", "SEV3", oncall, Ct)).Error);
        Assert.NotNull((await Incidents.OpenAsync("ticket-triage", "x", "SEV9", oncall, Ct)).Error);
        var opened = await Incidents.OpenAsync("ticket-triage", "Wrong queue for billing", "SEV3", oncall, Ct);
        Assert.Null(opened.Error);
        var id = opened.Value;

        _factory.Clock.Advance(TimeSpan.FromMinutes(4));
        Assert.NotNull((await Incidents.AcknowledgeAsync(id, viewer, Ct)).Error);
        Assert.Null((await Incidents.AcknowledgeAsync(id, oncall, Ct)).Error);
        Assert.Contains("acknowledged", (await Incidents.AcknowledgeAsync(id, oncall, Ct)).Error); // twice: refused, said why
        _factory.Clock.Advance(TimeSpan.FromMinutes(20));
        Assert.NotNull((await Incidents.ResolveAsync(id, " ", oncall, Ct)).Error);
        Assert.Null((await Incidents.ResolveAsync(id, "routing rule fixed", oncall, Ct)).Error);

        var detail = await _factory.Services.GetRequiredService<IncidentQueries>().GetAsync(id, Ct);
        Assert.Equal(IncidentStatuses.Resolved, detail!.Incident.Status);
        Assert.Equal(["opened", "acknowledged", "resolved"], detail.Timeline.Select(e => e.Kind));
        Assert.Equal("routing rule fixed", detail.Timeline[^1].Text);
        var pathId = await Db.QueryAsync(_factory, db => db.Paths.Where(p => p.Slug == "ticket-triage").Select(p => p.Id).SingleAsync(Ct));
        var now = _factory.Clock.GetUtcNow().UtcDateTime;
        var times = await _factory.Services.GetRequiredService<IncidentQueries>().TimesAsync(pathId, now.AddDays(-1), now.AddMinutes(1), Ct);
        Assert.Equal((1, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(24)), (times.Count, times.Mtta, times.Mttr));

        Assert.Null((await Incidents.ReopenAsync(id, "came back", oncall, Ct)).Error);
        Assert.Equal(IncidentStatuses.Triggered, (await _factory.Services.GetRequiredService<IncidentQueries>().GetAsync(id, Ct))!.Incident.Status);
        var actions = await Db.QueryAsync(_factory, db => db.AuditEntries.Where(a => a.TargetType == "incident").Select(a => a.Action).ToListAsync(Ct));
        Assert.Equal(["incident.open", "incident.acknowledged", "incident.resolved", "incident.reopened"], actions);
    }

    [Fact]
    public async Task Escalation_UnacknowledgedPastTimeout_OwnersNotifiedOnce_EvenAcrossARestart()
    {
        var oncall = await Principals.ForAsync(_factory, "oncall@opsconsole.local");
        var late = (await Incidents.OpenAsync("support-reply-draft", "Drafts cite the wrong article", "SEV2", oncall, Ct)).Value;
        var acked = (await Incidents.OpenAsync("support-reply-draft", "Slow drafts", "SEV3", oncall, Ct)).Value;
        Assert.Null((await Incidents.AcknowledgeAsync(acked, oncall, Ct)).Error);

        _factory.Clock.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(0, await Incidents.EscalateDueAsync(TimeSpan.FromMinutes(30), Ct));

        // The console restarts: Hangfire's in-memory state is gone; the sweep reads what is due from the database.
        var clock = _factory.Clock.GetUtcNow();
        var db = _factory.DatabasePath;
        await _factory.DisposeAsync(keepDatabase: true);
        _factory = new FakeClockFactory(db);
        _factory.Clock.SetUtcNow(clock.AddMinutes(2));
        _factory.CreateClient().Dispose();

        Assert.Equal(1, await Incidents.EscalateDueAsync(TimeSpan.FromMinutes(30), Ct));
        Assert.Equal(0, await Incidents.EscalateDueAsync(TimeSpan.FromMinutes(30), Ct)); // a second sweep changes nothing
        var owners = new[] { await Principals.IdOfAsync(_factory, "owner@opsconsole.local"), await Principals.IdOfAsync(_factory, "owner2@opsconsole.local") };
        var notified = await Db.QueryAsync(_factory, d => d.Notifications.Where(n => n.Kind == "escalation").Select(n => n.UserId).ToListAsync(Ct));
        Assert.Subset(notified.ToHashSet(), owners.ToHashSet());
        Assert.Equal(notified.Count, notified.Distinct().Count());
        var detail = await _factory.Services.GetRequiredService<IncidentQueries>().GetAsync(late, Ct);
        Assert.NotNull(detail!.Incident.EscalatedAt);
        Assert.Contains(detail.Timeline, e => e.Kind == "escalated");
    }
}
