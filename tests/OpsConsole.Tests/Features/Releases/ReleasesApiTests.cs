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
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Ingestion;
using OpsConsole.Web.Features.Releases;

namespace OpsConsole.Tests.Features.Releases;

/// <summary>Releases through HTTP on the real app: creation from CI, the stable release, decisions per arm, events naming releases.</summary>
[Trait("Category", "Integration")]
public sealed class ReleasesApiTests : IntegrationTest
{
    private const string Slug = "invoice-field-extraction"; // at 100 %: every unit is on
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private async Task<HttpClient> KeyClientAsync(IEnumerable<string> scopes, params string[] paths)
    {
        var service = Factory.Services.GetRequiredService<ApiKeyService>();
        var created = await service.CreateAsync(new ApiKeyInput { Name = "ci-" + Guid.NewGuid().ToString("N")[..6], Scopes = [.. scopes], PathSlugs = [.. paths] },
            await Principals.ForAsync(Factory, TestUsers.Admin), Ct);
        Assert.True(created.Succeeded, string.Join("; ", created.Problems.Values));
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Value!.Secret);
        return client;
    }

    private Task<HttpClient> CiAsync(string slug = Slug) =>
        KeyClientAsync([ApiScopes.ReleasesWrite, ApiScopes.DecisionsRead, ApiScopes.EventsWrite], slug);

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Release(string prompt = "extract-v3", string parameters = """{"temperature": 0, "maxTokens": 400}""") =>
        $$"""{"model": "gpt-4o-mini-2024-07-18", "promptVersion": "{{prompt}}", "promptTemplateHash": "sha256:9f1c", "parameters": {{parameters}}, "context": {"schema": "invoice-v2"}, "notes": "CI build 1182"}""";

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct))!;

    private Task<int> ReleaseCountAsync() => Db.QueryAsync(Factory, db => db.Releases.CountAsync(Ct));

    [Fact]
    public async Task Post_NewThenSameContent_201Then200SameId_FirstBecomesStable_DecisionAndConfigAnswerIt()
    {
        var ci = await CiAsync();
        using var first = await ci.PostAsync($"/api/v1/paths/{Slug}/releases", Body(Release()), Ct);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var created = await JsonAsync(first);
        var id = created.GetProperty("id").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", id);
        Assert.True(created.GetProperty("stable").GetBoolean());
        Assert.EndsWith($"/api/v1/paths/{Slug}/releases/{id}", first.Headers.Location!.ToString());
        Assert.StartsWith("key:ci-", created.GetProperty("createdBy").GetString());

        // The same content in another order and spacing is the same release.
        using var again = await ci.PostAsync($"/api/v1/paths/{Slug}/releases", Body(Release(parameters: """{ "maxTokens":4e2,"temperature":0.0 }""")), Ct);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(id, (await JsonAsync(again)).GetProperty("id").GetString());

        using var second = await ci.PostAsync($"/api/v1/paths/{Slug}/releases", Body(Release("extract-v4")), Ct);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        var secondBody = await JsonAsync(second);
        var secondId = secondBody.GetProperty("id").GetString()!;
        Assert.False(secondBody.GetProperty("stable").GetBoolean());

        var list = (await ci.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{Slug}/releases", Ct)).EnumerateArray().ToList();
        Assert.Equal([secondId, id], list.Select(r => r.GetProperty("id").GetString()));
        Assert.Equal([false, true], list.Select(r => r.GetProperty("stable").GetBoolean()));
        Assert.Equal(2, await ReleaseCountAsync());
        var audited = await Db.QueryAsync(Factory, db => db.AuditEntries.Where(a => a.Action == "release.create").Select(a => a.TargetId).ToListAsync(Ct));
        Assert.Equal(new[] { id, secondId }.Order(), audited.Order());

        var decision = await ci.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{Slug}/decision?unit=customer-42", Ct);
        Assert.Equal((true, "stable", id), (decision.GetProperty("enabled").GetBoolean(), decision.GetProperty("variant").GetString(), decision.GetProperty("release").GetString()));
        var configuration = decision.GetProperty("configuration");
        Assert.Equal(("gpt-4o-mini-2024-07-18", "extract-v3", 400), (configuration.GetProperty("model").GetString(),
            configuration.GetProperty("promptVersion").GetString(), configuration.GetProperty("parameters").GetProperty("maxTokens").GetInt32()));

        var config = await ci.GetFromJsonAsync<ConfigDocument>("/api/v1/config", Web, Ct);
        var path = Assert.Single(config!.Paths, p => p.Slug == Slug);
        Assert.Equal((id, (string?)null, 0), (path.Stable!.Id, path.Candidate?.Id, path.CandidateShare));
    }

    [Fact]
    public async Task Post_WithoutTheScopeOrForAnotherKeysPath_403_NothingStored()
    {
        var otherPath = await CiAsync("ticket-triage");
        using var forbidden = await otherPath.PostAsync($"/api/v1/paths/{Slug}/releases", Body(Release()), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Contains("releases:write", await forbidden.Content.ReadAsStringAsync(Ct));

        var noScope = await KeyClientAsync([ApiScopes.EventsWrite, ApiScopes.DecisionsRead], Slug);
        using var missing = await noScope.PostAsync($"/api/v1/paths/{Slug}/releases", Body(Release()), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, missing.StatusCode);

        using var anonymous = await Factory.CreateClient().PostAsync($"/api/v1/paths/{Slug}/releases", Body(Release()), Ct);
        Assert.Contains(anonymous.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.Redirect, HttpStatusCode.Found });
        Assert.Equal(0, await ReleaseCountAsync());
    }

    [Theory]
    [InlineData("{not json", 400, "not a release object")]
    [InlineData("null", 400, "null")]
    [InlineData("""{"model": "m", "promptVersion": "v", "temprature": 0.2}""", 400, "temprature")]
    [InlineData("""{"model": "m", "model": "n", "promptVersion": "v"}""", 400, "model")]
    [InlineData("""{"model": "m\ud800", "promptVersion": "v"}""", 400, "UTF-16")]
    [InlineData("""{"model": "", "promptVersion": "v", "parameters": [1]}""", 400, "parameters")]
    [InlineData("""{"model": "m", "promptVersion": "v", "context": {"k": 1e999}}""", 400, "context")]
    public async Task Post_BadBody_ClearProblem_NothingStored(string body, int status, string mentions)
    {
        var ci = await CiAsync();
        using var response = await ci.PostAsync($"/api/v1/paths/{Slug}/releases", Body(body), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.True(text.Contains(mentions, StringComparison.Ordinal), text);
        Assert.Equal(0, await ReleaseCountAsync());
    }

    [Fact]
    public async Task Post_InvalidFields_ValidationProblemNamesEachField()
    {
        var ci = await CiAsync();
        using var response = await ci.PostAsync($"/api/v1/paths/{Slug}/releases",
            Body($$"""{"model": "", "promptVersion": "{{new string('v', 201)}}", "parameters": "hot"}"""), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await JsonAsync(response)).GetProperty("errors");
        Assert.Equal(["model", "parameters", "promptVersion"], errors.EnumerateObject().Select(p => p.Name).Order());
    }

    [Fact]
    public async Task Post_TooLargeOrNotJson_413And415()
    {
        var ci = await CiAsync();
        var huge = $$"""{"model": "m", "promptVersion": "v", "notes": "{{new string('n', 300 * 1024)}}"}""";
        using var tooLarge = await ci.PostAsync($"/api/v1/paths/{Slug}/releases", Body(huge), Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        using var text = await ci.PostAsync($"/api/v1/paths/{Slug}/releases", new StringContent(Release(), Encoding.UTF8, "text/plain"), Ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        Assert.Equal(0, await ReleaseCountAsync());
    }

    [Fact]
    public async Task Post_SameContentTenTimesAtOnce_OneReleaseOneAuditEntryOne201()
    {
        var ci = await CiAsync();
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => ci.PostAsync($"/api/v1/paths/{Slug}/releases", Body(Release()), Ct)));
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(9, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        var ids = await Task.WhenAll(responses.Select(async r => (await JsonAsync(r)).GetProperty("id").GetString()));
        Assert.Single(ids.Distinct());
        Assert.Equal(1, await ReleaseCountAsync());
        Assert.Equal(1, await Db.QueryAsync(Factory, db => db.AuditEntries.CountAsync(a => a.Action == "release.create", Ct)));
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }

    [Fact]
    public async Task Events_NamedReleaseChecked_OthersCountForTheirUnitsArm()
    {
        var ci = await CiAsync();
        using var a = await ci.PostAsync($"/api/v1/paths/{Slug}/releases", Body(Release()), Ct);
        var stable = (await JsonAsync(a)).GetProperty("id").GetString()!;
        using var b = await ci.PostAsync($"/api/v1/paths/{Slug}/releases", Body(Release("extract-v4")), Ct);
        var candidate = (await JsonAsync(b)).GetProperty("id").GetString()!;

        // The candidate at 30 %: set as the canary will set it, then every instance's snapshot is dropped.
        await Db.QueryAsync(Factory, async db =>
        {
            var path = await db.Paths.SingleAsync(p => p.Slug == Slug, Ct);
            path.CandidateReleaseId = candidate;
            path.CandidateShare = 300;
            path.ConfigVersion++;
            return await db.SaveChangesAsync(Ct);
        });
        Factory.Services.GetRequiredService<IPathConfigPublisher>().Publish(Slug, 0);

        var units = Enumerable.Range(0, 40).Select(i => "u-" + i).ToList();
        var inCandidate = units.First(u => Rollout.VariantBucket(Slug, u) <= 300);
        var inStable = units.First(u => Rollout.VariantBucket(Slug, u) > 300);
        foreach (var (unit, expected) in new[] { (inCandidate, "candidate"), (inStable, "stable") })
        {
            var d = await ci.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{Slug}/decision?unit={unit}", Ct);
            Assert.Equal((expected, expected == "candidate" ? candidate : stable), (d.GetProperty("variant").GetString(), d.GetProperty("release").GetString()));
        }

        JsonObject Event(string id, string? unit, string? release)
        {
            var e = Ingest.Event(id, Slug);
            if (unit is not null)
            {
                e["unit"] = unit;
            }
            if (release is not null)
            {
                e["release"] = release;
            }
            return e;
        }
        using var response = await ci.PostAsJsonAsync("/api/v1/events", Ingest.Batch(
            Event("r-unknown", inStable, "f".PadRight(64, 'f')),
            Event("r-named", inStable, candidate),
            Event("r-cand", inCandidate, null),
            Event("r-stable", inStable, null),
            Event("r-nounit", null, null)), Ct);
        var result = await Ingest.ReadOkAsync(response);
        Assert.Equal(["rejected", "accepted", "accepted", "accepted", "accepted"], result.Results.Select(r => r.Status));
        Assert.Equal("invalid_field:release", result.Results[0].Reason);

        var stored = await Db.QueryAsync(Factory, db => db.InferenceEvents.Where(e => e.EventId.StartsWith("r-"))
            .ToDictionaryAsync(e => e.EventId, e => e.ReleaseId, Ct));
        Assert.Equal(candidate, stored["r-named"]);
        Assert.Equal(candidate, stored["r-cand"]);
        Assert.Equal(stable, stored["r-stable"]);
        Assert.Equal(stable, stored["r-nounit"]);
        Assert.False(stored.ContainsKey("r-unknown"));
        Assert.Equal("invalid_field:release", await Db.QueryAsync(Factory, db => db.QuarantinedEvents.Where(q => q.EventId == "r-unknown").Select(q => q.Reason).SingleAsync(Ct)));
    }
}

/// <summary>Starting a candidate, rolling it back and reverting stable: who may, what is refused, what decisions answer next.</summary>
[Trait("Category", "Integration")]
public sealed class ReleaseControlsTests : IntegrationTest
{
    private const string Slug = "invoice-field-extraction";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ReleaseService Service => Factory.Services.GetRequiredService<ReleaseService>();

    private async Task<string> CreateAsync(string prompt)
    {
        var created = await Service.CreateAsync(Slug, new ReleaseInput { Model = "gpt-4o-mini", PromptVersion = prompt }, AuditActor.System, Ct);
        Assert.True(created.Succeeded, created.Error);
        return created.Value!.Release.Id;
    }

    private async Task<HttpClient> DecisionsAsync()
    {
        var keys = Factory.Services.GetRequiredService<ApiKeyService>();
        var key = await keys.CreateAsync(new ApiKeyInput { Name = "svc", Scopes = [ApiScopes.DecisionsRead], PathSlugs = [Slug] }, await Principals.ForAsync(Factory, TestUsers.Admin), Ct);
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Value!.Secret);
        return client;
    }

    private static async Task<(string Variant, string? Release)> DecideAsync(HttpClient client, string unit)
    {
        var d = await client.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{Slug}/decision?unit={unit}", Ct);
        return (d.GetProperty("variant").GetString()!, d.GetProperty("release").GetString());
    }

    private Task<OperatingPath> PathAsync() => Db.QueryAsync(Factory, db => db.Paths.AsNoTracking().SingleAsync(p => p.Slug == Slug, Ct));

    [Fact]
    public async Task StartRollBackRevert_DecisionsFollowAtOnce_EachAuditedAndVersioned()
    {
        var v1 = await CreateAsync("v1");
        var v2 = await CreateAsync("v2");
        var v3 = await CreateAsync("v3");
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var oncall = await Principals.ForAsync(Factory, TestUsers.OnCall);
        var client = await DecisionsAsync();
        var candidateUnit = Enumerable.Range(0, 5000).Select(i => "u-" + i).First(u => Rollout.VariantBucket(Slug, u) <= ReleaseService.FirstStepShare);
        var version = (await PathAsync()).ConfigVersion;

        // On-call may contain but not start a trial.
        Assert.False((await Service.StartCandidateAsync(Slug, new CandidateInput(v2), oncall, Ct)).Succeeded);
        Assert.True((await Service.StartCandidateAsync(Slug, new CandidateInput(v2), owner, Ct)).Succeeded);
        Assert.Equal(("candidate", v2), await DecideAsync(client, candidateUnit));
        var path = await PathAsync();
        Assert.Equal((v2, ReleaseService.FirstStepShare, version + 1), (path.CandidateReleaseId, path.CandidateShare, path.ConfigVersion));

        // One candidate at a time; the stable release cannot be one.
        var another = await Service.StartCandidateAsync(Slug, new CandidateInput(v3), owner, Ct);
        Assert.Contains("is the candidate in canary now", another.FieldErrors["release"]);

        // A rollback needs a reason; then every unit is on stable at once.
        Assert.Contains("reason", (await Service.RollBackCandidateAsync(Slug, " ", oncall, Ct)).FieldErrors["reason"]);
        Assert.True((await Service.RollBackCandidateAsync(Slug, "reviewers reject the new prompt", oncall, Ct)).Succeeded);
        Assert.Equal(("stable", v1), await DecideAsync(client, candidateUnit));
        Assert.False((await Service.RollBackCandidateAsync(Slug, "again", oncall, Ct)).Succeeded);
        Assert.Contains("stable release", (await Service.StartCandidateAsync(Slug, new CandidateInput(v1), owner, Ct)).Error);

        // Revert stable to an earlier (here: a never-stable) release; the very next decision answers it.
        Assert.True((await Service.RevertStableAsync(Slug, v3, "v1 breaks on new invoices", oncall, Ct)).Succeeded);
        Assert.Equal(("stable", v3), await DecideAsync(client, candidateUnit));
        Assert.True((await Service.RevertStableAsync(Slug, v1, "back to v1", oncall, Ct)).Succeeded);
        Assert.Equal(("stable", v1), await DecideAsync(client, "someone-else"));
        Assert.Contains("already the stable", (await Service.RevertStableAsync(Slug, v1, "noop", oncall, Ct)).Error);
        Assert.Contains("has no release", (await Service.RevertStableAsync(Slug, "0".PadRight(64, '0'), "bad", oncall, Ct)).Error);

        var viewer = await Principals.ForAsync(Factory, TestUsers.Viewer);
        Assert.False((await Service.RevertStableAsync(Slug, v2, "viewer", viewer, Ct)).Succeeded);

        path = await PathAsync();
        Assert.Equal((v1, (string?)null, 0, version + 4), (path.StableReleaseId, path.CandidateReleaseId, path.CandidateShare, path.ConfigVersion));
        var actions = await Db.QueryAsync(Factory, db => db.AuditEntries.Where(a => a.PathSlug == Slug && a.Action.StartsWith("release.")).OrderBy(a => a.Id).Select(a => a.Action).ToListAsync(Ct));
        Assert.Equal(["release.create", "release.create", "release.create", "release.candidate", "release.rollback", "release.revert", "release.revert"], actions);
    }
}
