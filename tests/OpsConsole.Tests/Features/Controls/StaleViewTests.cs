using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Audit;

namespace OpsConsole.Tests.Features.Controls;

/// <summary>
/// A flip, a decrease or an approval carries the state its person saw; when someone changed it
/// meanwhile nothing happens and the person is told who changed it and when.
/// </summary>
[Trait("Category", "Integration")]
public sealed class StaleViewTests : IntegrationTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ControlsService Controls => Factory.Services.GetRequiredService<ControlsService>();

    private Task<OperatingPath> PathAsync(string slug) =>
        Db.QueryAsync(Factory, db => db.Paths.AsNoTracking().SingleAsync(p => p.Slug == slug, Ct));

    private Task<List<string>> ActionsAsync(string slug) =>
        Db.QueryAsync(Factory, db => db.AuditEntries.Where(a => a.PathSlug == slug).OrderBy(a => a.Id).Select(a => a.Action).ToListAsync(Ct));

    [Fact]
    public async Task SetKillSwitch_TwoRestoresFromTheSameKilledView_OneAppliedSecondToldWhoAndWhen()
    {
        var oncall = await Principals.ForAsync(Factory, TestUsers.OnCall);
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        Assert.True((await Controls.SetKillSwitchAsync("ticket-triage", true, null, "labels wrong", oncall, Ct)).Succeeded);
        var killed = await PathAsync("ticket-triage");

        // Both opened "Restore" on the killed path; the owner confirms first.
        var first = await Controls.SetKillSwitchAsync("ticket-triage", false, killed.KillSwitchAt, "fixed upstream", owner, Ct);
        var second = await Controls.SetKillSwitchAsync("ticket-triage", false, killed.KillSwitchAt, "looks fixed", admin, Ct);

        Assert.True(first.Succeeded);
        Assert.False(second.Succeeded);
        var restored = await PathAsync("ticket-triage");
        Assert.Contains($"Already restored by {TestUsers.Owner} at {restored.KillSwitchAt:yyyy-MM-dd HH:mm:ss} UTC", second.Error);
        Assert.Equal((false, "fixed upstream", killed.ConfigVersion + 1), (restored.KillSwitchOn, restored.KillSwitchReason, restored.ConfigVersion));
        Assert.Equal(["path.kill", "path.restore"], (await ActionsAsync("ticket-triage")).Where(a => a is "path.kill" or "path.restore"));
    }

    [Fact]
    public async Task SetKillSwitch_FlippedAndBackSinceSeen_RefusedNamingTheLastFlip()
    {
        var oncall = await Principals.ForAsync(Factory, TestUsers.OnCall);
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var live = await PathAsync("ticket-triage");
        Assert.True((await Controls.SetKillSwitchAsync("ticket-triage", true, live.KillSwitchAt, "labels wrong", oncall, Ct)).Succeeded);
        var killed = await PathAsync("ticket-triage");
        Assert.True((await Controls.SetKillSwitchAsync("ticket-triage", false, killed.KillSwitchAt, "false alarm", oncall, Ct)).Succeeded);

        // The owner opened "Kill" on the live path before both flips: the restore since is news to them.
        var stale = await Controls.SetKillSwitchAsync("ticket-triage", true, live.KillSwitchAt, "labels wrong", owner, Ct);

        Assert.False(stale.Succeeded);
        var now = await PathAsync("ticket-triage");
        Assert.Contains($"restored by {TestUsers.OnCall} at {now.KillSwitchAt:yyyy-MM-dd HH:mm:ss} UTC", stale.Error);
        Assert.False(now.KillSwitchOn);
        Assert.Equal(killed.ConfigVersion + 1, now.ConfigVersion);
    }

    [Fact]
    public async Task DecreaseRollout_PercentChangedSinceSeen_RefusedWithWhoAndWhen()
    {
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var oncall = await Principals.ForAsync(Factory, TestUsers.OnCall);
        // Both saw 25 %; the owner lowers to 20 first.
        Assert.True((await Controls.DecreaseRolloutAsync("support-reply-draft", 25, 20, "complaints", owner, Ct)).Succeeded);
        var after = await PathAsync("support-reply-draft");

        var stale = await Controls.DecreaseRolloutAsync("support-reply-draft", 25, 10, "complaints", oncall, Ct);

        Assert.False(stale.Succeeded);
        Assert.Contains($"set to 20 % by {TestUsers.Owner} at {after.RolloutChangedAt:yyyy-MM-dd HH:mm:ss} UTC", stale.Error);
        var now = await PathAsync("support-reply-draft");
        Assert.Equal((20, after.ConfigVersion), (now.RolloutPercent, now.ConfigVersion));
        Assert.Single(await ActionsAsync("support-reply-draft"), a => a == "rollout.decrease");
    }

    [Fact]
    public async Task Approve_RolloutLoweredSinceSeen_RefusedWithWhoAndWhen()
    {
        var ownerA = await Principals.ForAsync(Factory, TestUsers.Owner);
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var oncall = await Principals.ForAsync(Factory, TestUsers.OnCall);
        var id = (await Controls.RequestIncreaseAsync("support-reply-draft", 50, "held a week", ownerA, Ct)).Value;
        // The admin opens "Approve" at 25 %; on-call lowers to 10 % meanwhile.
        Assert.True((await Controls.DecreaseRolloutAsync("support-reply-draft", 25, 10, "complaints", oncall, Ct)).Succeeded);
        var lowered = await PathAsync("support-reply-draft");

        var stale = await Controls.ApproveAsync(id, 25, "ok", "launch needs it", admin, Ct);

        Assert.False(stale.Succeeded);
        Assert.Contains($"set to 10 % by {TestUsers.OnCall} at {lowered.RolloutChangedAt:yyyy-MM-dd HH:mm:ss} UTC", stale.Error);
        Assert.Equal(10, (await PathAsync("support-reply-draft")).RolloutPercent);
        Assert.Equal(RolloutRequestStates.Pending, await Db.QueryAsync(Factory, db => db.RolloutRequests.Where(r => r.Id == id).Select(r => r.State).SingleAsync(Ct)));
    }

    [Fact]
    public async Task Approve_RequestDecidedSinceSeen_RefusedWithWhoAndWhen()
    {
        var ownerA = await Principals.ForAsync(Factory, TestUsers.Owner);
        var ownerB = await Principals.ForAsync(Factory, TestUsers.Owner2);
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var id = (await Controls.RequestIncreaseAsync("support-reply-draft", 50, "held a week", ownerA, Ct)).Value;
        // Owner B and the admin both open the pending request; owner B rejects first.
        Assert.True((await Controls.RejectAsync(id, "wait for the peak to pass", ownerB, Ct)).Succeeded);
        var rejected = await Db.QueryAsync(Factory, db => db.RolloutRequests.SingleAsync(r => r.Id == id, Ct));

        var stale = await Controls.ApproveAsync(id, 25, "ok", "launch needs it", admin, Ct);

        Assert.False(stale.Succeeded);
        Assert.Contains($"Already rejected by {TestUsers.Owner2} at {rejected.DecidedAt:yyyy-MM-dd HH:mm:ss} UTC", stale.Error);
        Assert.Equal(25, (await PathAsync("support-reply-draft")).RolloutPercent);
    }

    [Fact]
    public async Task Containment_ActsOnTheCurrentState_AfterAPersonsFlips()
    {
        // Automatic containment has no view: it kills whatever the switch's history.
        var oncall = await Principals.ForAsync(Factory, TestUsers.OnCall);
        var live = await PathAsync("ticket-triage");
        Assert.True((await Controls.SetKillSwitchAsync("ticket-triage", true, live.KillSwitchAt, "labels wrong", oncall, Ct)).Succeeded);
        var killed = await PathAsync("ticket-triage");
        Assert.True((await Controls.SetKillSwitchAsync("ticket-triage", false, killed.KillSwitchAt, "false alarm", oncall, Ct)).Succeeded);
        var incidents = Factory.Services.GetRequiredService<OpsConsole.Web.Features.Incidents.IncidentService>();

        var raised = await incidents.RaiseAsync(live.Id, "drift", "Drift alert", "SEV2", "drift", "confidence PSI 0.4", contain: true, Ct);

        Assert.True(raised.Contained);
        var now = await PathAsync("ticket-triage");
        Assert.Equal((true, "system"), (now.KillSwitchOn, now.KillSwitchBy));
    }
}
