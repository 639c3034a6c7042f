using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Client;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Tests.Features.Controls;

/// <summary>Kill switch, rollout and the decision/config APIs against the real app on SQLite.</summary>
[Trait("Category", "Integration")]
public sealed class ControlsTests : IntegrationTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ControlsService Controls => Factory.Services.GetRequiredService<ControlsService>();

    private HttpClient Api(string key = Ingest.DemoKey)
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private Task<long> VersionAsync(string slug) =>
        Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == slug).Select(p => p.ConfigVersion).SingleAsync(Ct));

    private async Task<string> KeyAsync(HashSet<string> scopes, params string[] paths)
    {
        var created = await Factory.Services.GetRequiredService<ApiKeyService>().CreateAsync(
            new ApiKeyInput { Name = "k-" + Guid.NewGuid().ToString("N")[..6], Scopes = scopes, PathSlugs = [.. paths], AllPaths = paths.Length == 0 },
            Principals.Admin("admin"), Ct);
        Assert.True(created.Succeeded);
        return created.Value!.Secret;
    }

    [Theory]
    [InlineData(TestUsers.Admin)]
    [InlineData(TestUsers.Owner)]
    [InlineData(TestUsers.OnCall)]
    [InlineData(TestUsers.Reviewer)]
    [InlineData(TestUsers.Viewer)]
    public async Task ControllableSlugs_SameAnswerAsThePerPathPermission(string email)
    {
        // A path the owner does not own and nobody is on call for, so the answers differ between users.
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        Assert.True((await Factory.Services.GetRequiredService<PathService>().CreateAsync(
            new PathInput { Slug = "someone-elses", Name = "Someone else's", OwnerIds = [await Principals.IdOfAsync(Factory, TestUsers.Owner2)] }, admin, Ct)).Succeeded);
        var user = await Principals.ForAsync(Factory, email);
        var slugs = await Db.QueryAsync(Factory, db => db.Paths.Select(p => p.Slug).ToListAsync(Ct));

        var controllable = await Controls.ControllableSlugsAsync(user, Ct);

        foreach (var slug in slugs)
        {
            var one = (await Controls.PermissionsAsync(user, slug, Ct)).MayControl;
            Assert.True(one == (controllable is null || controllable.Contains(slug)), $"{email} on {slug}: per path {one}");
        }
        Assert.Equal(email == TestUsers.Admin, controllable is null);
    }

    [Fact]
    public async Task Decision_MatchesTheSharedRule_ForManyUnits()
    {
        using var api = Api();
        foreach (var unit in Enumerable.Range(0, 40).Select(i => "user-" + i))
        {
            var d = await api.GetFromJsonAsync<Decision>($"/api/v1/paths/support-reply-draft/decision?unit={unit}", Ct);
            // support-reply-draft is seeded at 25 %, fallback route-away.
            Assert.Equal(Rollout.Decide(new PathConfig("support-reply-draft", false, 25, d!.ConfigVersion, "route-away"), unit), d);
        }
        var noUnit = await api.GetFromJsonAsync<Decision>("/api/v1/paths/invoice-field-extraction/decision", Ct);
        Assert.True(noUnit!.Enabled); // 100 %
        Assert.Equal(DecisionReasons.FullRollout, noUnit.Reason);
    }

    [Fact]
    public async Task Decision_KeyChecks_401_403_AndOtherPathsInvisible()
    {
        using var anonymous = Factory.CreateClient();
        var none = await anonymous.GetAsync("/api/v1/paths/support-reply-draft/decision?unit=u", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
        using var wrong = Api("ocs_not_a_real_key_0000000000000000");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/api/v1/config", Ct)).StatusCode);

        using var writeOnly = Api(await KeyAsync([ApiScopes.EventsWrite]));
        Assert.Equal(HttpStatusCode.Forbidden, (await writeOnly.GetAsync("/api/v1/paths/support-reply-draft/decision?unit=u", Ct)).StatusCode);

        using var triageOnly = Api(await KeyAsync([ApiScopes.DecisionsRead], "ticket-triage"));
        Assert.Equal(HttpStatusCode.OK, (await triageOnly.GetAsync("/api/v1/paths/ticket-triage/decision?unit=u", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await triageOnly.GetAsync("/api/v1/paths/support-reply-draft/decision?unit=u", Ct)).StatusCode);
        var config = await triageOnly.GetFromJsonAsync<ConfigDocument>("/api/v1/config", Ct);
        Assert.Equal(["ticket-triage"], config!.Paths.Select(p => p.Slug));
    }

    [Fact]
    public async Task Config_EtagGives304_UntilADecisionRelevantChange()
    {
        using var api = Api();
        var first = await api.GetAsync("/api/v1/config", Ct);
        var etag = first.Headers.ETag!;
        var doc = await first.Content.ReadFromJsonAsync<ConfigDocument>(Ct);
        Assert.Equal($"\"{doc!.Version}\"", etag.Tag);
        Assert.Equal(3, doc.Paths.Count);

        using var again = new HttpRequestMessage(HttpMethod.Get, "/api/v1/config");
        again.Headers.IfNoneMatch.Add(etag);
        Assert.Equal(HttpStatusCode.NotModified, (await api.SendAsync(again, Ct)).StatusCode);

        var oncall = await Principals.ForAsync(Factory, "oncall@opsconsole.local");
        Assert.True((await Controls.SetKillSwitchAsync("ticket-triage", true, null, "drift in triage-v2", oncall, Ct)).Succeeded);

        using var after = new HttpRequestMessage(HttpMethod.Get, "/api/v1/config");
        after.Headers.IfNoneMatch.Add(etag);
        var changed = await api.SendAsync(after, Ct);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var newDoc = await changed.Content.ReadFromJsonAsync<ConfigDocument>(Ct);
        Assert.True(newDoc!.Paths.Single(p => p.Slug == "ticket-triage").KillSwitch);
        Assert.NotEqual(doc.Version, newDoc.Version);
    }

    [Fact]
    public async Task KillSwitch_OnCallFlips_NextDecisionOff_AuditedAndRestorable()
    {
        using var api = Api();
        var oncall = await Principals.ForAsync(Factory, "oncall@opsconsole.local");
        var viewer = await Principals.ForAsync(Factory, "viewer@opsconsole.local");
        var before = await VersionAsync("invoice-field-extraction");

        Assert.False((await Controls.SetKillSwitchAsync("invoice-field-extraction", true, null, "wrong totals", viewer, Ct)).Succeeded);
        Assert.Contains("reason", (await Controls.SetKillSwitchAsync("invoice-field-extraction", true, null, "  ", oncall, Ct)).Error);
        Assert.True((await Controls.SetKillSwitchAsync("invoice-field-extraction", true, null, "wrong totals", oncall, Ct)).Succeeded);
        Assert.Contains("Already turned off by oncall@opsconsole.local", (await Controls.SetKillSwitchAsync("invoice-field-extraction", true, null, "again", oncall, Ct)).Error);

        var d = await api.GetFromJsonAsync<Decision>("/api/v1/paths/invoice-field-extraction/decision?unit=any", Ct);
        Assert.Equal((false, DecisionReasons.KillSwitch, before + 1), (d!.Enabled, d.Reason, d.ConfigVersion));
        var path = await Db.QueryAsync(Factory, db => db.Paths.SingleAsync(p => p.Slug == "invoice-field-extraction", Ct));
        Assert.Equal(("wrong totals", "oncall@opsconsole.local"), (path.KillSwitchReason, path.KillSwitchBy));
        // Events are still captured while killed.
        await Ingest.PostOkAsync(Factory.CreateClient(), Ingest.Batch(Ingest.Event("while-killed", path: "invoice-field-extraction")));
        Assert.True(await Db.QueryAsync(Factory, db => db.InferenceEvents.AnyAsync(e => e.EventId == "while-killed", Ct)));

        Assert.True((await Controls.SetKillSwitchAsync("invoice-field-extraction", false, path.KillSwitchAt, "fixed upstream", oncall, Ct)).Succeeded);
        Assert.True((await api.GetFromJsonAsync<Decision>("/api/v1/paths/invoice-field-extraction/decision?unit=any", Ct))!.Enabled);
        var actions = await Db.QueryAsync(Factory, db => db.AuditEntries.Where(a => a.PathSlug == "invoice-field-extraction").Select(a => a.Action).ToListAsync(Ct));
        Assert.Contains("path.kill", actions);
        Assert.Contains("path.restore", actions);
    }

    [Fact]
    public async Task KillSwitch_TwoAtOnce_OneChangeOneVersion()
    {
        var oncall = await Principals.ForAsync(Factory, "oncall@opsconsole.local");
        var owner = await Principals.ForAsync(Factory, "owner@opsconsole.local");
        var before = await VersionAsync("ticket-triage");
        var results = await Task.WhenAll(
            Controls.SetKillSwitchAsync("ticket-triage", true, null, "a", oncall, Ct),
            Controls.SetKillSwitchAsync("ticket-triage", true, null, "b", owner, Ct));
        Assert.Single(results, r => r.Succeeded);
        Assert.Equal(before + 1, await VersionAsync("ticket-triage"));
    }

    [Fact]
    public async Task ConfigVersion_BumpsExactlyOnDecisionRelevantChanges()
    {
        var admin = Principals.Admin("admin");
        var owner = await Principals.ForAsync(Factory, "owner@opsconsole.local");
        var paths = Factory.Services.GetRequiredService<PathService>();
        var v0 = await VersionAsync("support-reply-draft");

        async Task EditAsync(Action<PathInput> change)
        {
            var p = (await paths.GetAsync("support-reply-draft", Ct))!.Path;
            var input = PathInput.From(p);
            change(input);
            Assert.True((await paths.UpdateAsync("support-reply-draft", input, p.UpdatedAt, admin, Ct)).Succeeded);
        }

        await EditAsync(i => i.Description = "new words");                 // not decision-relevant
        Assert.Equal(v0, await VersionAsync("support-reply-draft"));
        await EditAsync(i => i.FallbackMode = FallbackMode.Rules);          // the fallback is in every answer
        Assert.Equal(v0 + 1, await VersionAsync("support-reply-draft"));
        Assert.True((await Controls.DecreaseRolloutAsync("support-reply-draft", 25, 10, "too many complaints", owner, Ct)).Succeeded);
        Assert.Equal(v0 + 2, await VersionAsync("support-reply-draft"));
        var requested = await Controls.RequestIncreaseAsync("support-reply-draft", 20, "complaints handled", owner, Ct);
        Assert.True(requested.Succeeded);
        Assert.Equal(v0 + 2, await VersionAsync("support-reply-draft"));  // a request changes nothing yet
        Assert.False((await Controls.DecreaseRolloutAsync("support-reply-draft", 10, 30, "not a decrease", owner, Ct)).Succeeded);
        Assert.Equal(v0 + 2, await VersionAsync("support-reply-draft"));
    }

    [Fact]
    public async Task Rollout_FourEyes_FailingGateBlocks_AdminOverrideAudited()
    {
        var ownerA = await Principals.ForAsync(Factory, "owner@opsconsole.local");
        var ownerB = await Principals.ForAsync(Factory, "owner2@opsconsole.local");
        var oncall = await Principals.ForAsync(Factory, "oncall@opsconsole.local");
        var admin = await Principals.ForAsync(Factory, "admin@opsconsole.local");
        using var api = Api();

        // On-call may lower but not request an increase.
        Assert.False((await Controls.RequestIncreaseAsync("support-reply-draft", 50, "more", oncall, Ct)).Succeeded);
        var result = await Controls.RequestIncreaseAsync("support-reply-draft", 50, "quality has held for a week", ownerA, Ct);
        var id = result.Value;
        Assert.True(result.Succeeded);
        var request = await Db.QueryAsync(Factory, db => db.RolloutRequests.SingleAsync(r => r.Id == id, Ct));
        Assert.Equal((25, 50, RolloutRequestStates.Pending), (request.FromPercent, request.ToPercent, request.State));
        // No reviews decided yet: the seeded gate "at least 100 decided reviews" fails, with its evidence.
        var decided = Assert.Single(request.GatesAtRequest, g => g.Gate == "decided reviews");
        Assert.False(decided.Passed);
        Assert.Equal(100, decided.Threshold);
        Assert.Contains("needs ≥ 100", decided.Evidence);

        Assert.Contains("second owner", (await Controls.ApproveAsync(id, 25, "fine", null, ownerA, Ct)).Error);
        var blocked = await Controls.ApproveAsync(id, 25, "fine", null, ownerB, Ct);
        Assert.False(blocked.Succeeded);
        Assert.Contains(blocked.Value!, g => g.Gate == "decided reviews");
        Assert.Contains("Only an admin may override", (await Controls.ApproveAsync(id, 25, "fine", "I say so", ownerB, Ct)).Error);
        Assert.Equal(25, (await api.GetFromJsonAsync<ConfigDocument>("/api/v1/config", Ct))!.Paths.Single(p => p.Slug == "support-reply-draft").RolloutPercent);

        Assert.True((await Controls.ApproveAsync(id, 25, "ok for the launch", "launch needs it; reviews are being backfilled", admin, Ct)).Succeeded);
        Assert.Equal(50, (await api.GetFromJsonAsync<ConfigDocument>("/api/v1/config", Ct))!.Paths.Single(p => p.Slug == "support-reply-draft").RolloutPercent);
        var done = await Db.QueryAsync(Factory, db => db.RolloutRequests.SingleAsync(r => r.Id == id, Ct));
        Assert.Equal((RolloutRequestStates.Applied, "admin@opsconsole.local"), (done.State, done.DecidedByName));
        Assert.NotNull(done.OverrideReason);
        var overrideEntry = await Db.QueryAsync(Factory, db => db.AuditEntries.SingleAsync(a => a.Action == "rollout.override", Ct));
        Assert.Contains("backfilled", overrideEntry.AfterJson);
        Assert.Contains("Already applied by admin@opsconsole.local", (await Controls.ApproveAsync(id, 50, "again", null, ownerB, Ct)).Error);
    }

    [Fact]
    public async Task Rollout_GatesPassing_SecondOwnerApproves_OpenSev2Blocks()
    {
        var ownerA = await Principals.ForAsync(Factory, "owner@opsconsole.local");
        var ownerB = await Principals.ForAsync(Factory, "owner2@opsconsole.local");
        var paths = Factory.Services.GetRequiredService<PathService>();
        var p = (await paths.GetAsync("ticket-triage", Ct))!.Path;
        var input = PathInput.From(p);
        input.Gates = new GatesInput { NoOpenSev1OrSev2 = true, LastDriftNotAlert = true };
        Assert.True((await paths.UpdateAsync("ticket-triage", input, p.UpdatedAt, Principals.Admin("admin"), Ct)).Succeeded);
        var pathId = p.Id;
        await Db.QueryAsync(Factory, async db =>
        {
            db.Incidents.Add(new Incident { PathId = pathId, Title = "Confidence drift", Severity = "SEV2", TriggeredAt = DateTime.UtcNow });
            return await db.SaveChangesAsync(Ct);
        });

        var id = (await Controls.RequestIncreaseAsync("ticket-triage", 75, "drift fixed", ownerA, Ct)).Value;
        var blocked = await Controls.ApproveAsync(id, 50, null, null, ownerB, Ct);
        Assert.Contains(blocked.Value!, g => g.Gate == "no open SEV1/SEV2 incident" && g.Evidence.Contains("Confidence drift"));

        await Db.QueryAsync(Factory, db => db.Incidents.ExecuteUpdateAsync(s => s.SetProperty(i => i.Status, IncidentStatuses.Resolved), Ct));
        Assert.True((await Controls.ApproveAsync(id, 50, "looks good", null, ownerB, Ct)).Succeeded);
        Assert.Equal(75, await Db.QueryAsync(Factory, db => db.Paths.Where(x => x.Id == pathId).Select(x => x.RolloutPercent).SingleAsync(Ct)));
    }

    [Fact]
    public async Task Rollout_RejectNeedsComment_CancelByRequester_OnePendingAtATime()
    {
        var ownerA = await Principals.ForAsync(Factory, "owner@opsconsole.local");
        var ownerB = await Principals.ForAsync(Factory, "owner2@opsconsole.local");
        var first = (await Controls.RequestIncreaseAsync("support-reply-draft", 40, "step up", ownerA, Ct)).Value;
        Assert.Contains("already has a pending", (await Controls.RequestIncreaseAsync("support-reply-draft", 60, "more", ownerB, Ct)).Error);
        Assert.False((await Controls.RejectAsync(first, "", ownerB, Ct)).Succeeded);
        Assert.True((await Controls.RejectAsync(first, "wait for the holiday peak to pass", ownerB, Ct)).Succeeded);

        var second = (await Controls.RequestIncreaseAsync("support-reply-draft", 40, "peak passed", ownerA, Ct)).Value;
        Assert.False((await Controls.CancelAsync(second, ownerB, Ct)).Succeeded);
        Assert.True((await Controls.CancelAsync(second, ownerA, Ct)).Succeeded);
        var states = await Db.QueryAsync(Factory, db => db.RolloutRequests.OrderBy(r => r.Id).Select(r => r.State).ToListAsync(Ct));
        Assert.Equal([RolloutRequestStates.Rejected, RolloutRequestStates.Cancelled], states);
    }
}
