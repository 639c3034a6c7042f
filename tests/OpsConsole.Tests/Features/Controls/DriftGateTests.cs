using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Drift;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Tests.Features.Controls;

/// <summary>The rollout gate "last drift check not alert", held against the latest stored drift run at request and at approval.</summary>
[Trait("Category", "Integration")]
public sealed class DriftGateTests : IntegrationTest
{
    private const string Slug = "ticket-triage";
    private const string Gate = "last drift check not alert";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ControlsService Controls => Factory.Services.GetRequiredService<ControlsService>();

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        // Only the drift gate, so whatever else the demo's metrics say cannot decide these tests.
        var paths = Factory.Services.GetRequiredService<PathService>();
        var p = (await paths.GetAsync(Slug, Ct))!.Path;
        var input = PathInput.From(p);
        input.Gates = new GatesInput { NoOpenSev1OrSev2 = false, LastDriftNotAlert = true };
        Assert.True((await paths.UpdateAsync(Slug, input, p.UpdatedAt, Principals.Admin("admin"), Ct)).Succeeded);
    }

    /// <summary>Stores a run whose current window ends <paramref name="endedMinutesAgo"/> minutes ago; its id.</summary>
    private Task<long> StoreRunAsync(string verdict, int endedMinutesAgo = 5) => Db.QueryAsync(Factory, async db =>
    {
        var pathId = await db.Paths.Where(p => p.Slug == Slug).Select(p => p.Id).SingleAsync(Ct);
        var to = DateTime.UtcNow.AddMinutes(-endedMinutesAgo);
        var run = new DriftCheckRun
        {
            PathId = pathId,
            CurrentFrom = to.AddHours(-1),
            CurrentTo = to,
            ReferenceFrom = to.AddDays(-8),
            ReferenceTo = to.AddDays(-1),
            RanAt = to.AddMinutes(1),
            Verdict = verdict,
            Handled = true,
        };
        db.DriftCheckRuns.Add(run);
        await db.SaveChangesAsync(Ct);
        return run.Id;
    });

    private async Task<GateResult> GateNowAsync()
    {
        var view = await Controls.GetAsync(Slug, await Principals.ForAsync(Factory, TestUsers.Owner), Ct);
        return Assert.Single(view!.Gates, g => g.Gate == Gate);
    }

    [Fact]
    public async Task RequestIncrease_LatestDriftRunAlert_GateFailsWithTheRun_ApprovalRefused()
    {
        await StoreRunAsync(DriftVerdicts.Ok, endedMinutesAgo: 60);
        var alert = await StoreRunAsync(DriftVerdicts.Alert);
        var ownerA = await Principals.ForAsync(Factory, TestUsers.Owner);
        var ownerB = await Principals.ForAsync(Factory, TestUsers.Owner2);

        var result = await Controls.RequestIncreaseAsync(Slug, 75, "drift is gone, we think", ownerA, Ct);
        var id = result.Value;

        // A failing gate does not stop the request (as with every gate); it is kept failing with it and blocks the approval.
        Assert.True(result.Succeeded);
        var request = await Db.QueryAsync(Factory, db => db.RolloutRequests.SingleAsync(r => r.Id == id, Ct));
        var atRequest = Assert.Single(request.GatesAtRequest, g => g.Gate == Gate);
        Assert.False(atRequest.Passed);
        Assert.Contains("alert", atRequest.Evidence);
        Assert.DoesNotContain("no drift check", atRequest.Evidence);
        var now = await GateNowAsync();
        Assert.False(now.Passed);
        Assert.Equal($"/paths/{Slug}/drift/{alert}", now.Link);

        var blocked = await Controls.ApproveAsync(id, 50, "fine", null, ownerB, Ct);
        Assert.False(blocked.Succeeded);
        Assert.Contains(blocked.Value!, g => g.Gate == Gate);
        Assert.Equal(50, await Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == Slug).Select(p => p.RolloutPercent).SingleAsync(Ct)));
    }

    [Fact]
    public async Task Approve_DriftAlertStoredAfterTheRequest_Refused()
    {
        await StoreRunAsync(DriftVerdicts.Ok, endedMinutesAgo: 30);
        var ownerA = await Principals.ForAsync(Factory, TestUsers.Owner);
        var ownerB = await Principals.ForAsync(Factory, TestUsers.Owner2);
        var id = (await Controls.RequestIncreaseAsync(Slug, 75, "quality held", ownerA, Ct)).Value;
        Assert.True((await Db.QueryAsync(Factory, db => db.RolloutRequests.SingleAsync(r => r.Id == id, Ct))).GatesAtRequest.Single(g => g.Gate == Gate).Passed);

        await StoreRunAsync(DriftVerdicts.Alert);
        var blocked = await Controls.ApproveAsync(id, 50, "fine", null, ownerB, Ct);

        Assert.False(blocked.Succeeded);
        Assert.Contains(Gate, blocked.Error);
        var failing = Assert.Single(blocked.Value!);
        Assert.Equal(Gate, failing.Gate);
        Assert.Equal(RolloutRequestStates.Pending, await Db.QueryAsync(Factory, db => db.RolloutRequests.Where(r => r.Id == id).Select(r => r.State).SingleAsync(Ct)));
    }

    [Theory]
    [InlineData(DriftVerdicts.Ok)]
    [InlineData(DriftVerdicts.Warn)]
    [InlineData(DriftVerdicts.InsufficientData)]
    public async Task Gate_LatestRunNotAlert_PassesWithItsVerdictAndTime(string verdict)
    {
        // An older alert does not count: only the latest run does.
        await StoreRunAsync(DriftVerdicts.Alert, endedMinutesAgo: 60);
        var latest = await StoreRunAsync(verdict);
        var ranAt = await Db.QueryAsync(Factory, db => db.DriftCheckRuns.Where(r => r.Id == latest).Select(r => r.RanAt).SingleAsync(Ct));

        var gate = await GateNowAsync();

        Assert.True(gate.Passed);
        Assert.Contains(verdict.Replace('_', ' '), gate.Evidence);
        Assert.Contains(ranAt.ToString("yyyy-MM-dd HH:mm"), gate.Evidence);
        Assert.Equal($"/paths/{Slug}/drift/{latest}", gate.Link);

        var id = (await Controls.RequestIncreaseAsync(Slug, 75, "steady", await Principals.ForAsync(Factory, TestUsers.Owner), Ct)).Value;
        Assert.True((await Controls.ApproveAsync(id, 50, null, null, await Principals.ForAsync(Factory, TestUsers.Owner2), Ct)).Succeeded);
    }

    [Fact]
    public async Task Gate_NoDriftRunYet_PassesAndSaysSo()
    {
        var gate = await GateNowAsync();

        Assert.True(gate.Passed);
        Assert.Equal("no drift check has run yet", gate.Evidence);
        Assert.Null(gate.Link);
    }
}
