using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Client;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Decisions;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Notifications;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Releases;
using OpsConsole.Web.Features.Review;

namespace OpsConsole.Tests.Features.Releases;

/// <summary>The guarded canary on the real app and database: looks, automatic rollback, approvals, promotion, pauses, bad plans.</summary>
[Trait("Category", "Integration")]
public sealed class CanaryTests : IntegrationTest
{
    private const string Slug = "invoice-field-extraction"; // at 100 %: every unit is on
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ReleaseService Releases => Factory.Services.GetRequiredService<ReleaseService>();
    private CanaryService Canary => Factory.Services.GetRequiredService<CanaryService>();

    private async Task<(string Stable, string Candidate)> TwoReleasesAsync()
    {
        var v1 = await Releases.CreateAsync(Slug, new ReleaseInput { Model = "extractor-v3.2", PromptVersion = "fields-v5" }, AuditActor.System, Ct);
        var v2 = await Releases.CreateAsync(Slug, new ReleaseInput { Model = "extractor-v3.2", PromptVersion = "fields-v6" }, AuditActor.System, Ct);
        Assert.True(v1.Succeeded && v2.Succeeded);
        return (v1.Value!.Release.Id, v2.Value!.Release.Id);
    }

    private static CanaryStepInput Step(int share, int minReviews = 20, int minMinutes = 0, int maxMinutes = 600) => new(share, minMinutes, minReviews, maxMinutes);

    private async Task<CanaryTrial> StartAsync(string candidate, string starter, bool autoAdvance = false, params CanaryStepInput[] steps)
    {
        var started = await Releases.StartCandidateAsync(Slug, new CandidateInput(candidate, steps.Length == 0 ? [Step(500), Step(1000)] : steps, autoAdvance),
            await Principals.ForAsync(Factory, starter), Ct);
        Assert.True(started.Succeeded, started.Error);
        return started.Value!;
    }

    /// <summary>
    /// Sends <paramref name="units"/> events through the events API (one per unit, routed to review by
    /// their low confidence; the ingest gives each its unit's arm), then decides their review items:
    /// approved with probability <paramref name="stableQuality"/> on stable and <paramref name="candidateQuality"/> on the candidate.
    /// </summary>
    private async Task TrafficAsync(string candidate, int units, double stableQuality, double candidateQuality, int seed, string prefix = "u")
    {
        var client = Factory.CreateClient();
        var events = Enumerable.Range(0, units).Select(i =>
        {
            var e = Ingest.Event($"{prefix}-{seed}-{i}", Slug, confidence: 0.05);
            e["unit"] = $"{prefix}-{i}";
            e["occurredAt"] = DateTime.UtcNow.ToString("O"); // after the trial started: the look's window begins there
            return (JsonNode)e;
        }).ToList();
        foreach (var chunk in events.Chunk(250))
        {
            await Ingest.PostOkAsync(client, Ingest.Batch(chunk));
        }
        var random = new Random(seed);
        await Db.QueryAsync(Factory, async db =>
        {
            var items = await db.ReviewItems.Where(r => r.Status == ReviewStatuses.Pending)
                .Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => new { r.Id, e.ReleaseId }).ToListAsync(Ct);
            foreach (var item in items)
            {
                var approve = random.NextDouble() < (item.ReleaseId == candidate ? candidateQuality : stableQuality);
                await db.ReviewItems.Where(r => r.Id == item.Id).ExecuteUpdateAsync(s => s
                    .SetProperty(r => r.Status, approve ? ReviewStatuses.Approved : ReviewStatuses.Rejected)
                    .SetProperty(r => r.DecidedAt, DateTime.UtcNow), Ct);
            }
            return items.Count;
        });
    }

    private Task<OperatingPath> PathAsync() => Db.QueryAsync(Factory, db => db.Paths.AsNoTracking().SingleAsync(p => p.Slug == Slug, Ct));

    private Task<CanaryTrial> TrialAsync(long id) => Db.QueryAsync(Factory, db => db.CanaryTrials.AsNoTracking().SingleAsync(t => t.Id == id, Ct));

    [Fact]
    public async Task Look_CandidateClearlyWorse_RolledBackBySystemOnce_OneIncident_OnePush()
    {
        var (stable, candidate) = await TwoReleasesAsync();
        var trial = await StartAsync(candidate, TestUsers.Owner);
        await TrafficAsync(candidate, 400, stableQuality: 0.9, candidateQuality: 0.5, seed: 1);
        var pushes = 0;
        var notifier = Factory.Services.GetRequiredService<ConfigChangeNotifier>();
        void Count(ConfigChange c)
        {
            if (c.Slug == Slug)
            {
                Interlocked.Increment(ref pushes);
            }
        }
        notifier.Changed += Count;
        try
        {
            // Two looks at once (two instances, or a retry overlapping): one rollback, one incident, one push.
            // A look that starts after the other's rollback finds the trial over and does nothing (null).
            var looks = await Task.WhenAll(Canary.LookAsync(trial.Id, Ct), Canary.LookAsync(trial.Id, Ct));
            Assert.Contains(looks, l => l?.Verdict == CanaryVerdicts.Regressed);
            Assert.All(looks, l => Assert.True(l is null || l.Verdict == CanaryVerdicts.Regressed, l?.Verdict));
        }
        finally
        {
            notifier.Changed -= Count;
        }
        Assert.Equal(1, pushes);
        var path = await PathAsync();
        Assert.Equal((stable, (string?)null, 0), (path.StableReleaseId, path.CandidateReleaseId, path.CandidateShare));
        var ended = await TrialAsync(trial.Id);
        Assert.Equal(CanaryStates.RolledBack, ended.State);
        Assert.Contains("regressed", ended.EndReason);
        var incidents = await Db.QueryAsync(Factory, db => db.Incidents.AsNoTracking().Where(i => i.Source == IncidentSources.Canary).ToListAsync(Ct));
        var incident = Assert.Single(incidents);
        Assert.Equal(incident.Id, ended.IncidentId);
        Assert.Equal(CanaryService.IncidentCause(candidate), incident.Cause);
        var rollbacks = await Db.QueryAsync(Factory, db => db.AuditEntries.Where(a => a.Action == "release.rollback").ToListAsync(Ct));
        Assert.Equal("system", Assert.Single(rollbacks).ActorName);

        // The evidence: the quality test crossed its boundary and names the figures.
        var stored = await Canary.LooksAsync(trial.Id, Ct);
        var evidence = CanaryService.Read(stored[0])!;
        var quality = evidence.Tests.Single(t => t.Metric == "quality");
        Assert.True(quality.Regressed && quality.Statistic >= quality.Boundary, $"{quality.Statistic} vs {quality.Boundary}");
        Assert.True(evidence.Candidate.Decided > 100 && evidence.Stable.Decided > 100);
        Assert.InRange(evidence.Candidate.Quality!.Value, 0.35, 0.65);

        // Nothing more happens at the next look: the trial is over.
        Assert.Null(await Canary.LookAsync(trial.Id, Ct));
    }

    [Fact]
    public async Task Look_EqualArms_PassedThenFourEyesApproval_ConcurrentApprovalsAdvanceOnce_ThenPromotion()
    {
        var (stable, candidate) = await TwoReleasesAsync();
        var trial = await StartAsync(candidate, TestUsers.Owner);
        await TrafficAsync(candidate, 300, 0.9, 0.9, seed: 2);

        var look = await Canary.LookAsync(trial.Id, Ct);
        Assert.Equal(CanaryVerdicts.Passed, look!.Verdict);
        Assert.Equal(CanaryStates.AwaitingApproval, (await TrialAsync(trial.Id)).State);
        var notices = await Db.QueryAsync(Factory, db => db.Notifications.Where(n => n.Kind == NotificationKinds.Canary).ToListAsync(Ct));
        Assert.Equal(2, notices.Count); // both owners
        Assert.Equal(500, (await PathAsync()).CandidateShare); // waiting changes nothing for units

        // The one who started it cannot approve its steps; a viewer cannot either.
        var self = await Releases.ApproveStepAsync(Slug, 0, await Principals.ForAsync(Factory, TestUsers.Owner), Ct);
        Assert.Contains("second owner", self.Error);
        Assert.False((await Releases.ApproveStepAsync(Slug, 0, await Principals.ForAsync(Factory, TestUsers.Viewer), Ct)).Succeeded);

        // A second owner and an admin approve step 1 at the same moment: one approval, one refusal saying why.
        var owner2 = await Principals.ForAsync(Factory, TestUsers.Owner2);
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var results = await Task.WhenAll(Releases.ApproveStepAsync(Slug, 0, owner2, Ct), Releases.ApproveStepAsync(Slug, 0, admin, Ct));
        Assert.Single(results, r => r.Succeeded);
        Assert.True(Assert.Single(results, r => !r.Succeeded).ChangedMeanwhile);
        var advanced = await TrialAsync(trial.Id);
        Assert.Equal((1, CanaryStates.Running), (advanced.StepIndex, advanced.State));
        Assert.Equal(1000, (await PathAsync()).CandidateShare);
        Assert.Equal(1, await Db.QueryAsync(Factory, db => db.AuditEntries.CountAsync(a => a.Action == "canary.advance", Ct)));

        // The last step passes on new traffic; its approval promotes the candidate; the old stable stays listed.
        await TrafficAsync(candidate, 200, 0.9, 0.9, seed: 3, prefix: "w");
        Assert.Equal(CanaryVerdicts.Passed, (await Canary.LookAsync(trial.Id, Ct))!.Verdict);
        Assert.True((await Releases.ApproveStepAsync(Slug, 1, admin, Ct)).Succeeded);
        var path = await PathAsync();
        Assert.Equal((candidate, (string?)null, 0), (path.StableReleaseId, path.CandidateReleaseId, path.CandidateShare));
        Assert.Equal(CanaryStates.Promoted, (await TrialAsync(trial.Id)).State);
        var listed = await Releases.ListAsync(Slug, Ct);
        Assert.Contains(listed!, r => r.Release.Id == stable && !r.IsStable);
        Assert.Equal(1, await Db.QueryAsync(Factory, db => db.AuditEntries.CountAsync(a => a.Action == "release.promote", Ct)));
    }

    [Fact]
    public async Task Look_AutoAdvancePlan_MovesOnBySystem_AndHoldsWithinMinimums()
    {
        var (_, candidate) = await TwoReleasesAsync();
        var trial = await StartAsync(candidate, TestUsers.Owner, autoAdvance: true, Step(300, minReviews: 5000), Step(600), Step(1000));
        await TrafficAsync(candidate, 200, 0.9, 0.9, seed: 4);
        // Too few reviews for the step's minimum: holding, nothing moves.
        Assert.Equal(CanaryVerdicts.Holding, (await Canary.LookAsync(trial.Id, Ct))!.Verdict);
        Assert.Equal(300, (await PathAsync()).CandidateShare);

        var second = await Db.QueryAsync(Factory, async db =>
        {
            var t = await db.CanaryTrials.SingleAsync(x => x.Id == trial.Id, Ct);
            t.Steps[0].MinReviewsPerArm = 10; // as if the plan had asked for fewer
            await db.SaveChangesAsync(Ct);
            return t;
        });
        Assert.Equal(CanaryVerdicts.Passed, (await Canary.LookAsync(second.Id, Ct))!.Verdict);
        Assert.Equal((1, CanaryStates.Running), ((await TrialAsync(trial.Id)).StepIndex, (await TrialAsync(trial.Id)).State));
        Assert.Equal(600, (await PathAsync()).CandidateShare);
        var advance = await Db.QueryAsync(Factory, db => db.AuditEntries.SingleAsync(a => a.Action == "canary.advance", Ct));
        Assert.Equal("system", advance.ActorName);
    }

    [Fact]
    public async Task Look_SplitNotAsTheShareSays_InvalidAndPaused_OwnersTold_ResumeRestartsTheStep()
    {
        var (_, candidate) = await TwoReleasesAsync();
        var trial = await StartAsync(candidate, TestUsers.Owner, false, Step(100), Step(1000));
        // Every event names the candidate itself, whatever its unit's bucket: 200 candidate units where 10 % were due.
        var client = Factory.CreateClient();
        var events = Enumerable.Range(0, 200).Select(i =>
        {
            var e = Ingest.Event($"srm-{i}", Slug, confidence: 0.99);
            e["unit"] = "srm-" + i;
            e["release"] = candidate;
            e["occurredAt"] = DateTime.UtcNow.ToString("O");
            return (JsonNode)e;
        }).ToArray();
        await Ingest.PostOkAsync(client, Ingest.Batch(events));

        var look = await Canary.LookAsync(trial.Id, Ct);
        Assert.Equal(CanaryVerdicts.Invalid, look!.Verdict);
        var evidence = CanaryService.Read(look)!;
        Assert.True(evidence.SampleRatio.Checked && evidence.SampleRatio.P < 0.001);
        var paused = await TrialAsync(trial.Id);
        Assert.Equal(CanaryStates.Paused, paused.State);
        Assert.Contains("Sample ratio mismatch", paused.EndReason);
        Assert.Equal(2, await Db.QueryAsync(Factory, db => db.Notifications.CountAsync(n => n.Kind == NotificationKinds.Canary, Ct)));
        Assert.Null(await Canary.LookAsync(trial.Id, Ct)); // paused: no looks

        Assert.False((await Releases.ResumeAsync(Slug, await Principals.ForAsync(Factory, TestUsers.Viewer), Ct)).Succeeded);
        Assert.True((await Releases.ResumeAsync(Slug, await Principals.ForAsync(Factory, TestUsers.Owner2), Ct)).Succeeded);
        var resumed = await TrialAsync(trial.Id);
        Assert.Equal(CanaryStates.Running, resumed.State);
        Assert.True(resumed.StepStartedAt > paused.StepStartedAt);
    }

    private async Task<HttpClient> KeyAsync(string slug, params string[] scopes)
    {
        var created = await Factory.Services.GetRequiredService<ApiKeyService>().CreateAsync(
            new ApiKeyInput { Name = "ci-" + Guid.NewGuid().ToString("N")[..6], Scopes = [.. scopes], PathSlugs = [slug] }, await Principals.ForAsync(Factory, TestUsers.Admin), Ct);
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Value!.Secret);
        return client;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ErrorsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
    }

    [Fact]
    public async Task Api_BadPlans_400NamingTheField_NothingStarted()
    {
        var (_, candidate) = await TwoReleasesAsync();
        var ci = await KeyAsync(Slug, ApiScopes.ReleasesWrite);
        string Body(string steps, string extra = "") => $$"""{"release": "{{candidate}}", "steps": {{steps}}{{extra}}}""";

        var decreasing = await ErrorsAsync(await ci.PostAsync($"/api/v1/paths/{Slug}/candidate", Json(Body("""[{"share": 50}, {"share": 50}, {"share": 1000}]""")), Ct));
        Assert.Contains("increase", decreasing.GetProperty("steps[1].share")[0].GetString());
        var outside = await ErrorsAsync(await ci.PostAsync($"/api/v1/paths/{Slug}/candidate", Json(Body("""[{"share": 0}, {"share": 1001}]""")), Ct));
        Assert.True(outside.TryGetProperty("steps[0].share", out _) && outside.TryGetProperty("steps[1].share", out _));
        var negative = await ErrorsAsync(await ci.PostAsync($"/api/v1/paths/{Slug}/candidate", Json(Body("""[{"share": -5}, {"share": 1000}]""")), Ct));
        Assert.True(negative.TryGetProperty("steps[0].share", out _));
        var notToAll = await ErrorsAsync(await ci.PostAsync($"/api/v1/paths/{Slug}/candidate", Json(Body("""[{"share": 10}, {"share": 500}]""")), Ct));
        Assert.Contains("1000", notToAll.GetProperty("steps[1].share")[0].GetString());
        var times = await ErrorsAsync(await ci.PostAsync($"/api/v1/paths/{Slug}/candidate", Json(Body("""[{"share": 10, "minMinutes": 60, "maxMinutes": 30}, {"share": 1000, "minReviewsPerArm": -1}]""")), Ct));
        Assert.True(times.TryGetProperty("steps[0].maxMinutes", out _) && times.TryGetProperty("steps[1].minReviewsPerArm", out _));
        var alpha = await ErrorsAsync(await ci.PostAsync($"/api/v1/paths/{Slug}/candidate", Json(Body("[]", """, "alpha": 0.5, "qualityDrop": -0.1""")), Ct));
        Assert.True(alpha.TryGetProperty("alpha", out _) && alpha.TryGetProperty("qualityDrop", out _) && alpha.TryGetProperty("steps", out _));
        using var unknownField = await ci.PostAsync($"/api/v1/paths/{Slug}/candidate", Json($$"""{"release": "{{candidate}}", "share": 10}"""), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);
        using var huge = await ci.PostAsync($"/api/v1/paths/{Slug}/candidate", Json($$"""{"release": "{{new string('a', 70_000)}}"}"""), Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        using var surrogate = await ci.PostAsync($"/api/v1/paths/{Slug}/candidate", Json("""{"release": "\ud800"}"""), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, surrogate.StatusCode);
        Assert.Equal(0, await Db.QueryAsync(Factory, db => db.CanaryTrials.CountAsync(Ct)));
        Assert.Null((await PathAsync()).CandidateReleaseId);

        // A valid plan starts; a second candidate while it is in canary is refused naming the release.
        using var started = await ci.PostAsync($"/api/v1/paths/{Slug}/candidate", Json(Body("""[{"share": 10}, {"share": 50}, {"share": 1000}]""")), Ct);
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var trial = await started.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal((1, 3, 10), (trial.GetProperty("step").GetInt32(), trial.GetProperty("steps").GetInt32(), trial.GetProperty("share").GetInt32()));
        var third = await Releases.CreateAsync(Slug, new ReleaseInput { Model = "m", PromptVersion = "p3" }, AuditActor.System, Ct);
        var busy = await ErrorsAsync(await ci.PostAsync($"/api/v1/paths/{Slug}/candidate", Json($$"""{"release": "{{third.Value!.Release.Id}}"}"""), Ct));
        Assert.Contains("in canary", busy.GetProperty("release")[0].GetString());

        // A key for another path learns nothing (403); a key cannot approve (a person's decision).
        var other = await KeyAsync("ticket-triage", ApiScopes.ReleasesWrite);
        using var foreign = await other.PostAsync($"/api/v1/paths/{Slug}/candidate/rollback", Json("""{"reason": "x"}"""), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        using var keyApproval = await ci.PostAsync($"/api/v1/paths/{Slug}/candidate/approve", Json("""{"step": 1}"""), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, keyApproval.StatusCode);
    }

    [Fact]
    public async Task Api_RollBackAndRevert_ByKey_DecisionAnswersTheOldReleaseOnTheNextCall()
    {
        var (stable, candidate) = await TwoReleasesAsync();
        var ci = await KeyAsync(Slug, ApiScopes.ReleasesWrite, ApiScopes.DecisionsRead);
        using var started = await ci.PostAsync($"/api/v1/paths/{Slug}/candidate", Json($$"""{"release": "{{candidate}}", "autoAdvance": true}"""), Ct);
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        using var noReason = await ci.PostAsync($"/api/v1/paths/{Slug}/candidate/rollback", Json("""{"reason": "  "}"""), Ct);
        Assert.True((await ErrorsAsync(noReason)).TryGetProperty("reason", out _));
        using var rolledBack = await ci.PostAsync($"/api/v1/paths/{Slug}/candidate/rollback", Json("""{"reason": "CI smoke test failed"}"""), Ct);
        Assert.Equal(HttpStatusCode.NoContent, rolledBack.StatusCode);
        using var again = await ci.PostAsync($"/api/v1/paths/{Slug}/candidate/rollback", Json("""{"reason": "again"}"""), Ct);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var state = await ci.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{Slug}/candidate", Ct);
        Assert.Equal(CanaryStates.RolledBack, state.GetProperty("state").GetString());

        // Promote by hand is not a thing; make the candidate stable by revert, then revert back to the first.
        using var toCandidate = await ci.PostAsync($"/api/v1/paths/{Slug}/stable", Json($$"""{"release": "{{candidate}}", "reason": "v2 verified offline"}"""), Ct);
        Assert.Equal(HttpStatusCode.NoContent, toCandidate.StatusCode);
        var unit = "unit-7";
        Assert.Equal(candidate, (await ci.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{Slug}/decision?unit={unit}", Ct)).GetProperty("release").GetString());
        using var back = await ci.PostAsync($"/api/v1/paths/{Slug}/stable", Json($$"""{"release": "{{stable}}", "reason": "v2 misreads totals"}"""), Ct);
        Assert.Equal(HttpStatusCode.NoContent, back.StatusCode);
        Assert.Equal(stable, (await ci.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{Slug}/decision?unit={unit}", Ct)).GetProperty("release").GetString());
        using var unknown = await ci.PostAsync($"/api/v1/paths/{Slug}/stable", Json($$"""{"release": "{{new string('f', 64)}}", "reason": "x"}"""), Ct);
        Assert.True((await ErrorsAsync(unknown)).TryGetProperty("release", out _));
        var audit = await Db.QueryAsync(Factory, db => db.AuditEntries.Where(a => a.Action == "release.revert").Select(a => a.ActorName).ToListAsync(Ct));
        Assert.Equal(2, audit.Count);
        Assert.All(audit, a => Assert.StartsWith("key:", a));
    }
}
