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
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Releases;
using OpsConsole.Web.Features.Review;

namespace OpsConsole.Tests.Features.Releases;

/// <summary>Shadow mode and pairwise review on the real app and database (both providers): start, decisions, events, pairs, win rate, the gate.</summary>
[Trait("Category", "Integration")]
public sealed class ShadowTests : IntegrationTest
{
    private const string Slug = "invoice-field-extraction"; // at 100 %: every unit is on
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ReleaseService Releases => Factory.Services.GetRequiredService<ReleaseService>();
    private PairwiseService Pairwise => Factory.Services.GetRequiredService<PairwiseService>();

    private async Task<HttpClient> CiAsync()
    {
        var service = Factory.Services.GetRequiredService<ApiKeyService>();
        var created = await service.CreateAsync(new ApiKeyInput
        {
            Name = "ci-" + Guid.NewGuid().ToString("N")[..6],
            Scopes = [ApiScopes.ReleasesWrite, ApiScopes.DecisionsRead, ApiScopes.EventsWrite],
            PathSlugs = [Slug],
        }, await Principals.ForAsync(Factory, TestUsers.Admin), Ct);
        Assert.True(created.Succeeded, string.Join("; ", created.Problems.Values));
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Value!.Secret);
        return client;
    }

    private async Task<(string Stable, string Candidate)> TwoReleasesAsync()
    {
        var v1 = await Releases.CreateAsync(Slug, new ReleaseInput { Model = "extractor-v3.2", PromptVersion = "fields-v5" }, AuditActor.System, Ct);
        var v2 = await Releases.CreateAsync(Slug, new ReleaseInput { Model = "extractor-v3.3", PromptVersion = "fields-v6" }, AuditActor.System, Ct);
        Assert.True(v1.Succeeded && v2.Succeeded);
        return (v1.Value!.Release.Id, v2.Value!.Release.Id);
    }

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private static JsonObject Event(string id, string unit, string? shadowOf = null, string output = "total: 118.00")
    {
        var e = Ingest.Event(id, Slug, confidence: 0.05, output: output, input: "invoice " + unit);
        e["unit"] = unit;
        if (shadowOf is not null)
        {
            e["shadowOf"] = shadowOf;
        }
        return e;
    }

    private Task<OperatingPath> PathAsync() => Db.QueryAsync(Factory, db => db.Paths.AsNoTracking().SingleAsync(p => p.Slug == Slug, Ct));

    [Fact]
    public async Task Shadow_DecisionsEventsPairsWinRate_GateThenFirstStep()
    {
        var (stable, candidate) = await TwoReleasesAsync();
        var ci = await CiAsync();

        using (var bad = await ci.PostAsync($"/api/v1/paths/{Slug}/candidate", Body($$$"""{"release":"{{{candidate}}}","shadow":{"share":1.5}}"""), Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.True((await bad.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("shadow.share", out _));
        }
        using (var started = await ci.PostAsync($"/api/v1/paths/{Slug}/candidate", Body($$$"""{"release":"{{{candidate}}}","shadow":{"share":0.5},"minWinRate":0.3}"""), Ct))
        {
            Assert.Equal(HttpStatusCode.Created, started.StatusCode);
            var trial = await started.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal(CanaryStates.Shadow, trial.GetProperty("state").GetString());
            Assert.Equal(0, trial.GetProperty("share").GetInt32());
            Assert.Equal(0.5, trial.GetProperty("shadowShare").GetDouble());
        }
        var path = await PathAsync();
        Assert.Equal((candidate, 0, 500), (path.CandidateReleaseId, path.CandidateShare, path.ShadowShare));

        // The decision API and a local evaluation of the config snapshot (what the client library runs) give the same answer.
        var config = await ci.GetFromJsonAsync<ConfigDocument>("/api/v1/config", JsonSerializerOptions.Web, Ct);
        var local = config!.Paths.Single(p => p.Slug == Slug);
        Assert.Equal(500, local.ShadowShare);
        var units = Enumerable.Range(0, 200).Select(i => "inv-" + i).ToList();
        var shadowed = new List<string>();
        foreach (var unit in units)
        {
            var api = await ci.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{Slug}/decision?unit={unit}", Ct);
            var mine = Rollout.Decide(local, unit);
            var apiShadow = api.TryGetProperty("shadow", out var s) && s.GetBoolean();
            Assert.Equal((mine.Enabled, mine.Variant, mine.Release, mine.Shadow, mine.ShadowRelease),
                (api.GetProperty("enabled").GetBoolean(), api.GetProperty("variant").GetString(), api.GetProperty("release").GetString(), apiShadow,
                 api.TryGetProperty("shadowRelease", out var r) ? r.GetString() : null));
            // OFREP says the same in its flag metadata (absent for a unit outside the sample).
            using (var ofrep = await ci.PostAsync($"/ofrep/v1/evaluate/flags/{Slug}", Body($$$"""{"context":{"targetingKey":"{{{unit}}}"}}"""), Ct))
            {
                var metadata = (await ofrep.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("metadata");
                Assert.Equal((apiShadow, apiShadow ? candidate : null),
                    (metadata.TryGetProperty("shadow", out var os) && os.GetBoolean(), metadata.TryGetProperty("shadowRelease", out var or) ? or.GetString() : null));
            }
            Assert.Equal("stable", mine.Variant); // no unit gets the candidate in shadow
            Assert.Equal(Rollout.ShadowBucket(Slug, unit) <= 500, mine.Shadow);
            if (mine.Shadow)
            {
                Assert.Equal(candidate, mine.ShadowRelease);
                shadowed.Add(unit);
            }
        }
        Assert.InRange(shadowed.Count, 70, 130);

        // No pair decided yet: the gate refuses and says why.
        using (var early = await ci.PostAsync($"/api/v1/paths/{Slug}/candidate/start", Body("{}"), Ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
            Assert.Contains("win rate", (await early.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString());
        }

        var before = await RollupEventsAsync(path.Id);
        var (u1, u2, u3, u4) = (shadowed[0], shadowed[1], shadowed[2], shadowed[3]);
        // Primary first, then its shadow.
        await Ingest.PostOkAsync(ci, Ingest.Batch(Event("p1", u1)));
        await Ingest.PostOkAsync(ci, Ingest.Batch(Event("s1", u1, shadowOf: "p1", output: "total: 118.00 EUR")));
        // Shadow first, then its primary.
        await Ingest.PostOkAsync(ci, Ingest.Batch(Event("s2", u2, shadowOf: "p2")));
        await Ingest.PostOkAsync(ci, Ingest.Batch(Event("p2", u2)));
        // Both in one batch.
        await Ingest.PostOkAsync(ci, Ingest.Batch(Event("s3", u3, shadowOf: "p3"), Event("p3", u3)));
        // At once, each posted three times (retries and duplicates).
        await Task.WhenAll(Enumerable.Range(0, 3).SelectMany(_ => new[]
        {
            Ingest.PostOkAsync(ci, Ingest.Batch(Event("p4", u4))),
            Ingest.PostOkAsync(ci, Ingest.Batch(Event("s4", u4, shadowOf: "p4"))),
        }));
        // And everything again, as a client retrying after a lost answer would.
        var again = await Ingest.PostOkAsync(ci, Ingest.Batch(Event("p1", u1), Event("s1", u1, shadowOf: "p1"), Event("s2", u2, shadowOf: "p2")));
        Assert.Equal(3, again.Duplicates);

        var (pairs, shadowEvents, shadowReviewItems) = await Db.QueryAsync(Factory, async db =>
        {
            var items = await db.PairwiseItems.AsNoTracking().Where(p => p.PathId == path.Id)
                .Join(db.InferenceEvents, p => p.PrimaryEventRowId, e => e.Id, (p, e) => new { p.CandidateReleaseId, p.StableReleaseId, e.EventId }).ToListAsync(Ct);
            var events = await db.InferenceEvents.AsNoTracking().Where(e => e.PathId == path.Id && e.ShadowOf != null).Select(e => new { e.EventId, e.ShadowOf, e.ReleaseId, e.ReviewReason }).ToListAsync(Ct);
            var reviewed = await db.ReviewItems.Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => e).CountAsync(e => e.PathId == path.Id && e.ShadowOf != null, Ct);
            return (items.Select(i => (i.EventId, i.CandidateReleaseId, i.StableReleaseId)).OrderBy(i => i.EventId).ToList(), events, reviewed);
        });
        Assert.Equal([("p1", candidate, stable), ("p2", candidate, stable), ("p3", candidate, stable), ("p4", candidate, stable)], pairs);
        Assert.Equal(4, shadowEvents.Count);
        Assert.All(shadowEvents, e => Assert.Equal((candidate, (string?)null), (e.ReleaseId, e.ReviewReason)));
        Assert.Equal(0, shadowReviewItems);
        // Only the four primaries count in the path's metrics.
        Assert.Equal(before + 4, await RollupEventsAsync(path.Id));

        // Reviewers decide: first one candidate win, not enough for a lower bound of 0.3 (Wilson 1/1: 0.21).
        var reviewer = await Principals.ForAsync(Factory, TestUsers.Reviewer);
        var viewer = await Principals.ForAsync(Factory, TestUsers.Viewer);
        var first = await Pairwise.NextAsync(reviewer, Slug, Ct);
        Assert.NotNull(first);
        Assert.False((await Pairwise.DecideAsync(first.Id, PairwiseChoices.A, viewer, Ct)).Succeeded);
        var decided = await Pairwise.DecideAsync(first.Id, first.CandidateIsA ? PairwiseChoices.A : PairwiseChoices.B, reviewer, Ct);
        Assert.True(decided.Succeeded, decided.Error);
        Assert.Equal(PairwiseOutcomes.Win, decided.Value!.Outcome);
        var twice = await Pairwise.DecideAsync(first.Id, PairwiseChoices.Same, await Principals.ForAsync(Factory, TestUsers.Owner), Ct);
        Assert.True(twice.ChangedMeanwhile);
        Assert.Contains("Already decided by reviewer@opsconsole.local", twice.Error);
        using (var still = await ci.PostAsync($"/api/v1/paths/{Slug}/candidate/start", Body("{}"), Ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, still.StatusCode);
        }

        // Two more wins and a tie: 3 / 3 decisive, Wilson lower bound 0.44 ≥ 0.3.
        for (var i = 0; i < 3; i++)
        {
            var next = (await Pairwise.NextAsync(reviewer, Slug, Ct))!;
            var choice = i == 2 ? PairwiseChoices.Same : next.CandidateIsA ? PairwiseChoices.A : PairwiseChoices.B;
            Assert.True((await Pairwise.DecideAsync(next.Id, choice, reviewer, Ct)).Succeeded);
        }
        Assert.Null(await Pairwise.NextAsync(reviewer, Slug, Ct));
        var page = await Releases.PageAsync(Slug, candidate, Ct);
        Assert.Equal((3L, 1L, 0L), (page!.WinRate!.Wins, page.WinRate.Ties, page.WinRate.Losses));
        Assert.Equal(0.4385, page.WinRate.Low, 3);

        using (var go = await ci.PostAsync($"/api/v1/paths/{Slug}/candidate/start", Body("{}"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, go.StatusCode);
            var trial = await go.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal((CanaryStates.Running, 1, ReleaseService.FirstStepShare), (trial.GetProperty("state").GetString(), trial.GetProperty("step").GetInt32(), trial.GetProperty("share").GetInt32()));
        }
        path = await PathAsync();
        Assert.Equal((candidate, ReleaseService.FirstStepShare, 0), (path.CandidateReleaseId, path.CandidateShare, path.ShadowShare));
        var after = await ci.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{Slug}/decision?unit={u1}", Ct);
        Assert.False(after.TryGetProperty("shadow", out _));
        var actions = await Db.QueryAsync(Factory, db => db.AuditEntries.Where(a => a.TargetId == candidate).OrderBy(a => a.Id).Select(a => a.Action).ToListAsync(Ct));
        Assert.Equal(["release.create", "release.candidate", "canary.start"], actions);
    }

    [Fact]
    public async Task RollBack_FromShadow_NoCandidateNoShadow()
    {
        var (_, candidate) = await TwoReleasesAsync();
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var started = await Releases.StartCandidateAsync(Slug, new CandidateInput(candidate, Shadow: new ShadowInput(0.2)), owner, Ct);
        Assert.True(started.Succeeded, started.Error);
        Assert.Equal(CanaryStates.Shadow, started.Value!.State);

        var rolled = await Releases.RollBackCandidateAsync(Slug, "outputs look off in pairwise review", owner, Ct);
        Assert.True(rolled.Succeeded, rolled.Error);
        var path = await PathAsync();
        Assert.Equal(((string?)null, 0, 0), (path.CandidateReleaseId, path.CandidateShare, path.ShadowShare));
        var trial = await Db.QueryAsync(Factory, db => db.CanaryTrials.AsNoTracking().SingleAsync(t => t.Id == started.Value.Id, Ct));
        Assert.Equal(CanaryStates.RolledBack, trial.State);
        Assert.Equal("outdated", CommandResultKind(await Releases.StartFromShadowAsync(Slug, owner, Ct)));
    }

    private static string CommandResultKind(OpsConsole.Web.Infrastructure.CommandResult<CanaryTrial> r) => r.Succeeded ? "ok" : r.ChangedMeanwhile ? "outdated" : "failed";

    private Task<long> RollupEventsAsync(int pathId) =>
        Db.QueryAsync(Factory, db => db.PathRollups.Where(r => r.PathId == pathId && r.Segment == "").SumAsync(r => r.Events, Ct));
}
