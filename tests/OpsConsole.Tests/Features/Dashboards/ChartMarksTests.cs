using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Review;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Tests.Features.Dashboards;

/// <summary>The dashboard's time-axis marks, from real kill switch flips, rollout changes and incidents.</summary>
[Trait("Category", "Integration")]
public sealed class ChartMarksTests : IAsyncLifetime
{
    private readonly FakeClockFactory _factory = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _factory.CreateClient().Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private Task<int> PathIdAsync(string slug) => Db.QueryAsync(_factory, db => db.Paths.Where(p => p.Slug == slug).Select(p => p.Id).SingleAsync(Ct));

    private DateTime Now => _factory.Clock.GetUtcNow().UtcDateTime;

    /// <summary>A kill by a person at +0, a rollout decrease at +10 min, and an automatic rollout containment with an incident at +20 min.</summary>
    private async Task<(DateTime Kill, DateTime Decrease, DateTime Incident, long IncidentId)> ChangesAsync(int pathId)
    {
        var controls = _factory.Services.GetRequiredService<ControlsService>();
        var oncall = await Principals.ForAsync(_factory, "oncall@opsconsole.local");
        var kill = Now;
        Assert.True((await controls.SetKillSwitchAsync("ticket-triage", true, null, "bad answers", oncall, Ct)).Succeeded);
        _factory.Clock.Advance(TimeSpan.FromMinutes(10));
        var decrease = Now;
        Assert.True((await controls.DecreaseRolloutAsync("ticket-triage", 50, 20, "slow down", oncall, Ct)).Succeeded);
        _factory.Clock.Advance(TimeSpan.FromMinutes(10));
        var incident = Now;
        var raised = await _factory.Services.GetRequiredService<IncidentService>().RaiseAsync(pathId, "drift", "Drift", "SEV2", "drift", "drifting", contain: false, Ct);
        _factory.Clock.Advance(TimeSpan.FromMinutes(5));
        return (kill, decrease, incident, raised.IncidentId);
    }

    [Fact]
    public async Task Load_KillRolloutAndIncidentInTheWindow_ThreeMarksWithTimesAndLabels()
    {
        var pathId = await PathIdAsync("ticket-triage");
        var (kill, decrease, incidentAt, incidentId) = await ChangesAsync(pathId);
        var end = DashboardWindow.End(Now, TimeSpan.FromHours(1));

        var data = await _factory.Services.GetRequiredService<DashboardService>().LoadAsync(new DashboardQuery(pathId, end.AddHours(-1), end, 30), Ct);

        Assert.Equal(
            [(ChartMarkKinds.Kill, "Killed"), (ChartMarkKinds.Rollout, "Rollout 50 → 20 %"), (ChartMarkKinds.Incident, $"Incident #{incidentId} SEV2")],
            data.Marks.Select(m => (m.Kind, m.Label)));
        // Audit entries are stamped when their write commits: within moments of the change.
        Assert.InRange(data.Marks[0].At, kill, kill.AddSeconds(1));
        Assert.InRange(data.Marks[1].At, decrease, decrease.AddSeconds(1));
        Assert.Equal((incidentAt, end), (data.Marks[2].At, data.Marks[2].Until)); // still open: shaded to the window's end
        Assert.Equal($"/incidents/{incidentId}", data.Marks[2].Href);

        // Every time chart carries them as x-axis annotations; the confidence histogram has no time axis.
        var charts = DashboardCharts.Build(data, new DashboardQuery(pathId, end.AddHours(-1), end, 30), compare: false);
        foreach (var chart in charts.Where(c => c.Key != "confidence"))
        {
            var annotations = JsonSerializer.SerializeToElement(chart.Options, new JsonSerializerOptions(JsonSerializerDefaults.Web)).GetProperty("annotations").GetProperty("xaxis");
            Assert.Equal(["Killed", "Rollout 50 → 20 %", $"Incident #{incidentId} SEV2"], annotations.EnumerateArray().Select(a => a.GetProperty("label").GetProperty("text").GetString()));
            Assert.Equal(new DateTimeOffset(incidentAt).ToUnixTimeMilliseconds(), annotations[2].GetProperty("x").GetInt64());
        }
    }

    [Fact]
    public async Task Load_ChangesOutsideTheWindow_NoMarks()
    {
        var pathId = await PathIdAsync("ticket-triage");
        var (kill, _, _, _) = await ChangesAsync(pathId);
        var dashboard = _factory.Services.GetRequiredService<DashboardService>();

        var before = await dashboard.LoadAsync(new DashboardQuery(pathId, kill.AddHours(-2), kill.AddMinutes(-1), 10), Ct);
        _factory.Clock.Advance(TimeSpan.FromHours(3));
        var after = await dashboard.LoadAsync(new DashboardQuery(pathId, Now.AddHours(-1), Now, 10), Ct);
        var otherPath = await dashboard.LoadAsync(new DashboardQuery(await PathIdAsync("support-reply-draft"), kill.AddHours(-1), Now, 10), Ct);

        Assert.Empty(before.Marks);
        Assert.Empty(after.Marks);
        Assert.Empty(otherPath.Marks);
    }

    [Fact]
    public async Task Load_AutomaticContainment_MarkedAsAutomatic_ResolvedIncidentEndsAtItsResolution()
    {
        var pathId = await PathIdAsync("ticket-triage");
        await Db.QueryAsync(_factory, async db =>
        {
            var path = await db.Paths.SingleAsync(p => p.Id == pathId, Ct);
            path.Drift.ContainToPercent = 10;
            return await db.SaveChangesAsync(Ct);
        });
        var start = Now;
        var raised = await _factory.Services.GetRequiredService<IncidentService>().RaiseAsync(pathId, "drift", "Drift", "SEV2", "drift", "drifting", contain: true, Ct);
        _factory.Clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Null((await _factory.Services.GetRequiredService<IncidentService>().ResolveAsync(raised.IncidentId, "rolled back", await Principals.ForAsync(_factory, "oncall@opsconsole.local"), Ct)).Error);
        var resolved = Now;
        _factory.Clock.Advance(TimeSpan.FromMinutes(5));

        var data = await _factory.Services.GetRequiredService<DashboardService>().LoadAsync(new DashboardQuery(pathId, start.AddMinutes(-10), Now, 10), Ct);

        Assert.Equal(["Rollout 50 → 10 % (automatic)", $"Incident #{raised.IncidentId} SEV2"], data.Marks.Select(m => m.Label));
        Assert.Equal(resolved, data.Marks[1].Until);
    }

    [Fact]
    public void Annotations_ChangesInTheSameMoment_OneLabel_IncidentBandLabelledAtTheBottom()
    {
        var at = new DateTime(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc);
        ChartMark[] marks =
        [
            new(at, null, ChartMarkKinds.Kill, "Killed (automatic)", null),
            new(at.AddSeconds(20), null, ChartMarkKinds.Rollout, "Rollout 50 → 0 %", null),
            new(at.AddMinutes(30), null, ChartMarkKinds.Restore, "Restored", null),
            new(at, at.AddMinutes(40), ChartMarkKinds.Incident, "Incident #7 SEV2", "/incidents/7"),
        ];

        var xaxis = JsonSerializer.SerializeToElement(ChartMarks.Annotations(marks, TimeSpan.FromHours(1)), new JsonSerializerOptions(JsonSerializerDefaults.Web)).GetProperty("xaxis");

        Assert.Equal(["Killed (automatic) · Rollout 50 → 0 %", "Restored", "Incident #7 SEV2"], xaxis.EnumerateArray().Select(a => a.GetProperty("label").GetProperty("text").GetString()));
        Assert.Equal(["top", "top", "bottom"], xaxis.EnumerateArray().Select(a => a.GetProperty("label").GetProperty("position").GetString()));
        Assert.Equal(new DateTimeOffset(at.AddMinutes(40)).ToUnixTimeMilliseconds(), xaxis[2].GetProperty("x2").GetInt64());
    }

    [Theory]
    [InlineData(0, 30, 1, 31)]     // half an hour just now: minute intervals over minute buckets
    [InlineData(0, 95, 2, 49)]     // 95 minutes: the finest interval within 60 points
    [InlineData(-24, 95, 60, 3)]   // a day ago: minute buckets are compacted into hours, so whole hours
    [InlineData(0, 600, 60, 11)]   // ten hours: its start is past the minute buckets' retention
    public void Fit_LinkedWindow_WholeIntervalsOfTheBucketsThatHoldIt(int hoursAgo, int minutes, int step, int points)
    {
        var now = new DateTime(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);
        var from = now.AddHours(hoursAgo).AddMinutes(-minutes).AddSeconds(30);
        var (start, end, count) = DashboardWindow.Fit(from, from.AddMinutes(minutes), now, new RollupOptions());

        Assert.Equal(points, count);
        Assert.Equal(TimeSpan.FromMinutes(step * points), end - start);
        Assert.True(start <= from && end >= from.AddMinutes(minutes));
        Assert.Equal(0, (start.Hour * 60 + start.Minute) % step);
    }
}
