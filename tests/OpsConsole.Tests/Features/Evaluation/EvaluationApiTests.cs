using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Evaluation;
using OpsConsole.Web.Features.Releases;

namespace OpsConsole.Tests.Features.Evaluation;

/// <summary>Golden sets and evaluation runs through HTTP on the real app: versions, export, runs compared with the stable release's.</summary>
[Trait("Category", "Integration")]
public sealed class EvaluationApiTests : IntegrationTest
{
    private const string Slug = "invoice-field-extraction";
    private const int Cases = 60;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<HttpClient> KeyAsync(string slug, params string[] scopes)
    {
        var created = await Factory.Services.GetRequiredService<ApiKeyService>().CreateAsync(
            new ApiKeyInput { Name = "ci-" + Guid.NewGuid().ToString("N")[..6], Scopes = [.. scopes], PathSlugs = [slug] }, await Principals.ForAsync(Factory, TestUsers.Admin), Ct);
        Assert.True(created.Succeeded, created.Error);
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Value!.Secret);
        return client;
    }

    private async Task<(string Stable, string Candidate)> ReleasesAsync()
    {
        var releases = Factory.Services.GetRequiredService<ReleaseService>();
        var v1 = await releases.CreateAsync(Slug, new ReleaseInput { Model = "extractor-v3.2", PromptVersion = "fields-v5" }, AuditActor.System, Ct);
        var v2 = await releases.CreateAsync(Slug, new ReleaseInput { Model = "extractor-v3.2", PromptVersion = "fields-v6" }, AuditActor.System, Ct);
        return (v1.Value!.Release.Id, v2.Value!.Release.Id);
    }

    /// <summary>Cases c-0 … c-59; c-0 and c-1 are critical.</summary>
    private static string Dataset() => string.Join('\n', Enumerable.Range(0, Cases).Select(i =>
        $$"""{"caseId":"c-{{i}}","input":"Invoice {{i}} from Acme, total {{i * 10}} EUR","expected":"{\"total\":{{i * 10}}}","critical":{{(i < 2 ? "true" : "false")}},"tags":["{{(i % 2 == 0 ? "even" : "odd")}}"]}"""));

    private static StringContent Jsonl(string text) => new(text, Encoding.UTF8, "application/x-ndjson");

    private static JsonObject Run(string runId, string release, Func<int, bool> pass, IEnumerable<int>? only = null)
    {
        var cases = new JsonArray();
        foreach (var i in only ?? Enumerable.Range(0, Cases))
        {
            cases.Add(new JsonObject { ["caseId"] = $"c-{i}", ["pass"] = pass(i), ["score"] = pass(i) ? 0.9 : 0.2, ["output"] = $"out {i}", ["latencyMs"] = 800, ["costUsd"] = 0.001 });
        }
        return new JsonObject { ["runId"] = runId, ["release"] = release, ["dataset"] = "golden", ["datasetVersion"] = 1, ["cases"] = cases };
    }

    private static async Task<JsonElement> PostRunAsync(HttpClient ci, JsonObject run, HttpStatusCode expected = HttpStatusCode.Created)
    {
        using var response = await ci.PostAsJsonAsync($"/api/v1/paths/{Slug}/evaluations", run, Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {body}");
        return body;
    }

    [Fact]
    public async Task Dataset_UploadAgainAndExport_OneVersion_BadLineRefusesTheWholeFileNamingIt()
    {
        var ci = await KeyAsync(Slug, ApiScopes.EvaluationsWrite);
        using var first = await ci.PostAsync($"/api/v1/paths/{Slug}/datasets/golden/versions", Jsonl(Dataset()), Ct);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var created = await first.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal((1, Cases), (created.GetProperty("version").GetInt32(), created.GetProperty("cases").GetInt32()));
        using var again = await ci.PostAsync($"/api/v1/paths/{Slug}/datasets/golden/versions", Jsonl(Dataset()), Ct);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);

        var broken = Dataset().Split('\n');
        broken[2] = "{\"caseId\":\"c-2\",\"input\":42}";
        using var refused = await ci.PostAsync($"/api/v1/paths/{Slug}/datasets/golden/versions", Jsonl(string.Join('\n', broken)), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var errors = (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.Contains("input is a string", errors.GetProperty("line 3")[0].GetString());
        Assert.Equal(1, await Db.QueryAsync(Factory, db => db.EvalDatasetVersions.CountAsync(Ct)));

        // A changed file is version 2; version 1 is still exported exactly as uploaded.
        using var second = await ci.PostAsync($"/api/v1/paths/{Slug}/datasets/golden/versions", Jsonl(Dataset() + "\n{\"caseId\":\"c-new\",\"input\":\"q\"}"), Ct);
        Assert.Equal(2, (await second.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("version").GetInt32());
        using var export = await ci.GetAsync($"/api/v1/paths/{Slug}/datasets/golden/versions/1", Ct);
        Assert.Equal("application/x-ndjson", export.Content.Headers.ContentType!.MediaType);
        var (read, readErrors) = DatasetJsonl.Parse(await export.Content.ReadAsStringAsync(Ct));
        Assert.Empty(readErrors);
        Assert.Equal(DatasetJsonl.Parse(Dataset()).Cases.Select(c => (c.CaseId, c.Input, c.Expected, c.Critical, string.Join(",", c.Tags))),
            read.Select(c => (c.CaseId, c.Input, c.Expected, c.Critical, string.Join(",", c.Tags))));
        var audit = await Db.QueryAsync(Factory, db => db.AuditEntries.CountAsync(a => a.Action == "dataset.version", Ct));
        Assert.Equal(2, audit);

        using var notUtf8 = await ci.PostAsync($"/api/v1/paths/{Slug}/datasets/golden/versions",
            new ByteArrayContent([0x7b, 0xff, 0xfe, 0x7d]) { Headers = { ContentType = new MediaTypeHeaderValue("application/x-ndjson") } }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, notUtf8.StatusCode);
        using var badName = await ci.PostAsync($"/api/v1/paths/{Slug}/datasets/has%20space/versions", Jsonl(Dataset()), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        using var wrongType = await ci.PostAsync($"/api/v1/paths/{Slug}/datasets/golden/versions", new StringContent(Dataset(), Encoding.UTF8, "application/xml"), Ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
        using var missing = await ci.GetAsync($"/api/v1/paths/{Slug}/datasets/golden/versions/9", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Runs_StableIsTheBaseline_CandidateComparedCaseByCase_VerdictsAndFailCi()
    {
        var (stable, candidate) = await ReleasesAsync();
        var ci = await KeyAsync(Slug, ApiScopes.EvaluationsWrite);
        using (await ci.PostAsync($"/api/v1/paths/{Slug}/datasets/golden/versions", Jsonl(Dataset()), Ct)) { }

        // Before any baseline a candidate's run shows nothing safe: incomplete, CI fails, and says why.
        var early = await PostRunAsync(ci, Run("early", candidate, _ => true));
        Assert.Equal(("incomplete", true), (early.GetProperty("verdict").GetString(), early.GetProperty("failCi").GetBoolean()));
        Assert.Contains("stable release", early.GetProperty("note").GetString());

        // The stable release's run: 57 of 60 pass (c-57…c-59 fail).
        var baseline = await PostRunAsync(ci, Run("base-1", stable, i => i < 57));
        Assert.Equal(("baseline", false), (baseline.GetProperty("verdict").GetString(), baseline.GetProperty("failCi").GetBoolean()));

        // 12 regressions, no improvement: significant and a 20-point drop → regressed.
        var worse = await PostRunAsync(ci, Run("cand-worse", candidate, i => i < 57 && (i < 10 || i >= 22)));
        Assert.Equal(("regressed", true), (worse.GetProperty("verdict").GetString(), worse.GetProperty("failCi").GetBoolean()));
        var figures = worse.GetProperty("comparison");
        Assert.Equal((12, 0), (figures.GetProperty("regressions").GetInt32(), figures.GetProperty("improvements").GetInt32()));
        Assert.True(figures.GetProperty("pOneSidedWorse").GetDouble() < 0.001);
        Assert.Equal(baseline.GetProperty("id").GetInt64(), worse.GetProperty("baselineRunId").GetInt64());

        // One critical case failing is enough, however the rest goes.
        var critical = await PostRunAsync(ci, Run("cand-critical", candidate, i => i != 1 && i < 57));
        Assert.Equal("regressed", critical.GetProperty("verdict").GetString());
        Assert.Equal(["c-1"], critical.GetProperty("comparison").GetProperty("failingCriticalCaseIds").EnumerateArray().Select(e => e.GetString()));

        // Two regressions and one improvement: no significant difference → tied, with the interval around the difference.
        var tied = await PostRunAsync(ci, Run("cand-tied", candidate, i => i is not (20 or 21) && (i < 57 || i == 58)));
        Assert.Equal(("tied", false), (tied.GetProperty("verdict").GetString(), tied.GetProperty("failCi").GetBoolean()));
        var t = tied.GetProperty("comparison");
        Assert.True(t.GetProperty("ciLow").GetDouble() < t.GetProperty("difference").GetDouble() && t.GetProperty("difference").GetDouble() < t.GetProperty("ciHigh").GetDouble());

        // Idempotent by run id: the same run again answers the stored one.
        var repeat = await PostRunAsync(ci, Run("cand-worse", candidate, _ => true), HttpStatusCode.OK);
        Assert.Equal((worse.GetProperty("id").GetInt64(), "regressed"), (repeat.GetProperty("id").GetInt64(), repeat.GetProperty("verdict").GetString()));
        Assert.Equal(5, await Db.QueryAsync(Factory, db => db.EvaluationRuns.CountAsync(Ct)));
    }

    [Fact]
    public async Task Run_BadCasesRejectedOneByOne_MissingMakesItIncomplete_ConcurrentRetriesStoreOnce()
    {
        var (stable, candidate) = await ReleasesAsync();
        var ci = await KeyAsync(Slug, ApiScopes.EvaluationsWrite);
        using (await ci.PostAsync($"/api/v1/paths/{Slug}/datasets/golden/versions", Jsonl(Dataset()), Ct)) { }
        await PostRunAsync(ci, Run("base", stable, _ => true));

        var run = Run("messy", candidate, _ => true, only: Enumerable.Range(0, 50));
        var cases = run["cases"]!.AsArray();
        cases.Add(new JsonObject { ["caseId"] = "nope", ["pass"] = true });
        cases.Add(new JsonObject { ["caseId"] = "c-3", ["pass"] = false });
        cases[5]!["score"] = 1.5;
        cases[6]!["pass"] = "yes";
        cases[7]!["latencyMs"] = -1;
        cases.Add(null);
        var answer = await PostRunAsync(ci, run);
        var rejected = answer.GetProperty("rejected").EnumerateArray().Select(r => (r.GetProperty("index").GetInt32(), r.GetProperty("code").GetString())).ToList();
        Assert.Equal([(5, "invalid_field:score"), (6, "invalid_field:pass"), (7, "invalid_field:latencyMs"), (50, "unknown_case"), (51, "duplicate_case"), (52, "invalid_case")], rejected);
        Assert.Equal((47, false, "incomplete", true), (answer.GetProperty("cases").GetInt32(), answer.GetProperty("complete").GetBoolean(),
            answer.GetProperty("verdict").GetString(), answer.GetProperty("failCi").GetBoolean()));
        var missing = answer.GetProperty("comparison").GetProperty("missingCaseIds").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(13, missing.Count); // c-5, c-6, c-7 and c-50 … c-59
        Assert.Equal(47, await Db.QueryAsync(Factory, db => db.EvalCaseResults.CountAsync(r => r.RunId == answer.GetProperty("id").GetInt64(), Ct)));

        // Five retries of one run at once: one run stored, every answer names it.
        var retries = await Task.WhenAll(Enumerable.Range(0, 5).Select(async _ =>
        {
            using var response = await ci.PostAsJsonAsync($"/api/v1/paths/{Slug}/evaluations", Run("retried", candidate, _ => true), Ct);
            return (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64());
        }));
        Assert.Single(retries, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Single(retries.Select(r => r.Item2).Distinct());
        Assert.Equal(1, await Db.QueryAsync(Factory, db => db.EvaluationRuns.CountAsync(r => r.ClientRunId == "retried", Ct)));
    }

    [Fact]
    public async Task Run_HostileInput_ClearRefusals()
    {
        var (_, candidate) = await ReleasesAsync();
        var ci = await KeyAsync(Slug, ApiScopes.EvaluationsWrite);
        using (await ci.PostAsync($"/api/v1/paths/{Slug}/datasets/golden/versions", Jsonl(Dataset()), Ct)) { }

        var tooMany = Run("big", candidate, _ => true, only: Enumerable.Range(0, EvaluationInput.MaxCases + 1).Select(i => i % Cases));
        using (var response = await ci.PostAsJsonAsync($"/api/v1/paths/{Slug}/evaluations", tooMany, Ct))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Contains("10,000", await response.Content.ReadAsStringAsync(Ct));
        }
        var noRelease = Run("r1", new string('f', 64), _ => true);
        var errors = (await PostRunAsync(ci, noRelease, HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("release", out _));
        var noVersion = Run("r2", candidate, _ => true);
        noVersion["datasetVersion"] = 7;
        Assert.True((await PostRunAsync(ci, noVersion, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("datasetVersion", out _));
        var blank = new JsonObject { ["cases"] = new JsonArray() };
        var named = (await PostRunAsync(ci, blank, HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.True(named.TryGetProperty("runId", out _) && named.TryGetProperty("release", out _) && named.TryGetProperty("dataset", out _) && named.TryGetProperty("datasetVersion", out _));
        using (var notJson = await ci.PostAsync($"/api/v1/paths/{Slug}/evaluations", new StringContent("{\"runId\":", Encoding.UTF8, "application/json"), Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        }
        using (var surrogate = await ci.PostAsync($"/api/v1/paths/{Slug}/evaluations", new StringContent("{\"runId\":\"\\ud800\"}", Encoding.UTF8, "application/json"), Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, surrogate.StatusCode);
        }
        Assert.Equal(0, await Db.QueryAsync(Factory, db => db.EvaluationRuns.CountAsync(Ct)));

        // Another path's key, or a key without the scope: 403 before anything is read.
        var other = await KeyAsync("ticket-triage", ApiScopes.EvaluationsWrite);
        using (var foreign = await other.PostAsJsonAsync($"/api/v1/paths/{Slug}/evaluations", Run("f", candidate, _ => true), Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        }
        var reader = await KeyAsync(Slug, ApiScopes.DecisionsRead);
        using (var unscoped = await reader.GetAsync($"/api/v1/paths/{Slug}/datasets/golden/versions/1", Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, unscoped.StatusCode);
        }
    }
}
