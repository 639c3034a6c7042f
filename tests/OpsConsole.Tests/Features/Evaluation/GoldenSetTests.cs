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
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Evaluation;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Releases;
using OpsConsole.Web.Features.Review;

namespace OpsConsole.Tests.Features.Evaluation;

/// <summary>
/// Golden sets grown from labels and edited, the path's evaluation policy, and the gate that keeps a
/// candidate from its first canary step: on the real app and database (both providers).
/// </summary>
[Trait("Category", "Integration")]
public sealed class GoldenSetTests : IntegrationTest
{
    private const string Slug = "invoice-field-extraction";
    private const int Cases = 60;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private GoldenSetService GoldenSets => Factory.Services.GetRequiredService<GoldenSetService>();

    private async Task<HttpClient> KeyAsync(params string[] scopes)
    {
        var created = await Factory.Services.GetRequiredService<ApiKeyService>().CreateAsync(
            new ApiKeyInput { Name = "ci-" + Guid.NewGuid().ToString("N")[..6], Scopes = [.. scopes], PathSlugs = [Slug] }, await Principals.ForAsync(Factory, TestUsers.Admin), Ct);
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

    private static string Dataset() => string.Join('\n', Enumerable.Range(0, Cases).Select(i =>
        $$"""{"caseId":"c-{{i}}","input":"Invoice {{i}}","expected":"{{i * 10}}","critical":{{(i < 2 ? "true" : "false")}},"tags":["{{(i % 2 == 0 ? "even" : "odd")}}"]}"""));

    private static JsonObject Run(string runId, string release, Func<int, bool> pass, IEnumerable<int>? only = null, int version = 1)
    {
        var cases = new JsonArray();
        foreach (var i in only ?? Enumerable.Range(0, Cases))
        {
            cases.Add(new JsonObject { ["caseId"] = $"c-{i}", ["pass"] = pass(i), ["output"] = pass(i) ? $"{i * 10}" : $"{i * 10 + 1}" });
        }
        return new JsonObject { ["runId"] = runId, ["release"] = release, ["dataset"] = "golden", ["datasetVersion"] = version, ["cases"] = cases };
    }

    private static async Task<JsonElement> PostRunAsync(HttpClient ci, JsonObject run)
    {
        using var response = await ci.PostAsJsonAsync($"/api/v1/paths/{Slug}/evaluations", run, Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return body;
    }

    private async Task<HttpClient> GoldenAsync()
    {
        var ci = await KeyAsync(ApiScopes.EvaluationsWrite, ApiScopes.ReleasesWrite);
        using var upload = await ci.PostAsync($"/api/v1/paths/{Slug}/datasets/golden/versions", new StringContent(Dataset(), Encoding.UTF8, "application/x-ndjson"), Ct);
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        var set = await GoldenSets.SetPolicyAsync(Slug, new PolicyInput("golden", null, false, null), await Principals.ForAsync(Factory, TestUsers.Owner), Ct);
        Assert.True(set.Succeeded, set.Error);
        return ci;
    }

    private static async Task<(HttpStatusCode Status, string Body)> StartAsync(HttpClient ci, string release)
    {
        using var response = await ci.PostAsJsonAsync($"/api/v1/paths/{Slug}/candidate", new { release }, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Gate_NoRunBlocks_RegressedBlocks_IncompleteBlocks_TiedPasses()
    {
        var (stable, candidate) = await ReleasesAsync();
        var ci = await GoldenAsync();

        var none = await StartAsync(ci, candidate);
        Assert.Equal(HttpStatusCode.Conflict, none.Status);
        Assert.Contains("No evaluation run of this release", none.Body);

        // Shadow exposes no user: allowed without a run; leaving it for the first step meets the same gate.
        using (var shadow = await ci.PostAsJsonAsync($"/api/v1/paths/{Slug}/candidate", new { release = candidate, shadow = new { share = 0.1 } }, Ct))
        {
            Assert.Equal(HttpStatusCode.Created, shadow.StatusCode);
        }
        using (var leave = await ci.PostAsync($"/api/v1/paths/{Slug}/candidate/start", null, Ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, leave.StatusCode);
            Assert.Contains("evaluation gate", await leave.Content.ReadAsStringAsync(Ct));
        }
        Assert.True((await Factory.Services.GetRequiredService<ReleaseService>().RollBackCandidateAsync(Slug, "gate test", AuditActor.System, Ct)).Succeeded);

        await PostRunAsync(ci, Run("base", stable, i => i < 57));
        // One critical case failing: regressed, and the candidate stays away from users.
        var critical = await PostRunAsync(ci, Run("critical", candidate, i => i != 0 && i < 57));
        Assert.Equal("regressed", critical.GetProperty("verdict").GetString());
        var blocked = await StartAsync(ci, candidate);
        Assert.Equal(HttpStatusCode.Conflict, blocked.Status);
        Assert.Contains("regressed", blocked.Body);

        // Cases missing from the run: incomplete blocks as well.
        var partial = await PostRunAsync(ci, Run("partial", candidate, i => i < 57, only: Enumerable.Range(0, 50)));
        Assert.Equal("incomplete", partial.GetProperty("verdict").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await StartAsync(ci, candidate)).Status);
        Assert.Null(await Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == Slug).Select(p => p.CandidateReleaseId).SingleAsync(Ct)));

        // Equal quality (one regression, one improvement): tied, the gate passes, the canary starts.
        var tied = await PostRunAsync(ci, Run("tied", candidate, i => i != 30 && (i < 57 || i == 58)));
        Assert.Equal(("tied", false), (tied.GetProperty("verdict").GetString(), tied.GetProperty("failCi").GetBoolean()));
        var started = await StartAsync(ci, candidate);
        Assert.Equal(HttpStatusCode.Created, started.Status);
        Assert.Equal(candidate, await Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == Slug).Select(p => p.CandidateReleaseId).SingleAsync(Ct)));

        // The rollout gates show the evaluation gate for the candidate in canary, passing.
        await using var scope = Factory.Services.CreateAsyncScope();
        var view = await scope.ServiceProvider.GetRequiredService<ControlsService>().GetAsync(Slug, await Principals.ForAsync(Factory, TestUsers.Owner), Ct);
        var gate = Assert.Single(view!.Gates, g => g.Gate == EvaluationGate.Name);
        Assert.True(gate.Passed, gate.Evidence);
        Assert.Contains("tied", gate.Evidence);
    }

    [Fact]
    public async Task Gate_AdminOverrideWithReasonIsAudited_OwnerAndKeyCannotOverride_WaiverLetsThrough()
    {
        var (_, candidate) = await ReleasesAsync();
        var ci = await GoldenAsync();
        var releases = Factory.Services.GetRequiredService<ReleaseService>();

        var owner = await releases.StartCandidateAsync(Slug, new CandidateInput(candidate, GateOverride: "hotfix"), await Principals.ForAsync(Factory, TestUsers.Owner), Ct);
        Assert.Contains("Only an admin", owner.Error);
        using (var keyOverride = await ci.PostAsJsonAsync($"/api/v1/paths/{Slug}/candidate", new { release = candidate, gateOverride = "ci says so" }, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, keyOverride.StatusCode);
        }
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var blank = await releases.StartCandidateAsync(Slug, new CandidateInput(candidate, GateOverride: "  "), admin, Ct);
        Assert.True(blank.FieldErrors.ContainsKey("gateOverride"));
        var overridden = await releases.StartCandidateAsync(Slug, new CandidateInput(candidate, GateOverride: "Security fix; eval infra down (INC-42)"), admin, Ct);
        Assert.True(overridden.Succeeded, overridden.Error);
        var entry = await Db.QueryAsync(Factory, db => db.AuditEntries.Where(a => a.Action == "release.candidate" && a.TargetId == candidate).SingleAsync(Ct));
        Assert.Contains("INC-42", entry.AfterJson);
        Assert.Contains(EvaluationGate.Name, entry.AfterJson);

        // Rolled back, then the path waives the gate (with a reason): an owner may start without a run.
        Assert.True((await releases.RollBackCandidateAsync(Slug, "done", admin, Ct)).Succeeded);
        var noReason = await GoldenSets.SetPolicyAsync(Slug, new PolicyInput("golden", null, true, null), await Principals.ForAsync(Factory, TestUsers.Owner), Ct);
        Assert.True(noReason.FieldErrors.ContainsKey("waiverReason"));
        Assert.True((await GoldenSets.SetPolicyAsync(Slug, new PolicyInput("golden", null, true, "Offline evals not built yet"), await Principals.ForAsync(Factory, TestUsers.Owner), Ct)).Succeeded);
        var waived = await releases.StartCandidateAsync(Slug, new CandidateInput(candidate), await Principals.ForAsync(Factory, TestUsers.Owner), Ct);
        Assert.True(waived.Succeeded, waived.Error);
        Assert.Equal(2, await Db.QueryAsync(Factory, db => db.AuditEntries.CountAsync(a => a.Action == "evaluation.policy", Ct)));
    }

    [Fact]
    public async Task Policy_ToleranceDecidesASignificantDrop_PinnedBaselineIsUsed_BadInputNamed()
    {
        var (stable, candidate) = await ReleasesAsync();
        var ci = await GoldenAsync();
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        await PostRunAsync(ci, Run("base", stable, _ => true));

        // 9 regressions of 60 (15 points) are significant; with a 20-point tolerance they are not a regression.
        Assert.True((await GoldenSets.SetPolicyAsync(Slug, new PolicyInput("golden", 0.2, false, null), owner, Ct)).Succeeded);
        var lenient = await PostRunAsync(ci, Run("lenient", candidate, i => i is < 40 or > 48));
        Assert.Equal("tied", lenient.GetProperty("verdict").GetString());
        Assert.True((await GoldenSets.SetPolicyAsync(Slug, new PolicyInput("golden", 0.02, false, null), owner, Ct)).Succeeded);
        var strict = await PostRunAsync(ci, Run("strict", candidate, i => i is < 40 or > 48));
        Assert.Equal("regressed", strict.GetProperty("verdict").GetString());

        // Pinning the strict run as baseline: the same outputs again are compared with it (no discordant case).
        Assert.True((await GoldenSets.PinBaselineAsync(Slug, strict.GetProperty("id").GetInt64(), owner, Ct)).Succeeded);
        var again = await PostRunAsync(ci, Run("again", candidate, i => i is < 40 or > 48));
        Assert.Equal(strict.GetProperty("id").GetInt64(), again.GetProperty("baselineRunId").GetInt64());
        Assert.Equal("tied", again.GetProperty("verdict").GetString());

        var incomplete = await PostRunAsync(ci, Run("part", stable, _ => true, only: [0, 1]));
        Assert.True((await GoldenSets.PinBaselineAsync(Slug, incomplete.GetProperty("id").GetInt64(), owner, Ct)).FieldErrors.ContainsKey("run"));
        var bad = await GoldenSets.SetPolicyAsync(Slug, new PolicyInput("nope", double.NaN, false, null), owner, Ct);
        Assert.True(bad.FieldErrors.ContainsKey("goldenDataset") && bad.FieldErrors.ContainsKey("tolerance"));
        var viewer = await GoldenSets.SetPolicyAsync(Slug, new PolicyInput(null, null, false, null), await Principals.ForAsync(Factory, TestUsers.Viewer), Ct);
        Assert.False(viewer.Succeeded);
        using var unscoped = await (await KeyAsync(ApiScopes.ReleasesWrite)).PostAsJsonAsync($"/api/v1/paths/{Slug}/evaluations", Run("x", candidate, _ => true), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, unscoped.StatusCode);
    }

    [Fact]
    public async Task Compare_CriticalPinnedThenRegressionsFirst_WithBothOutputs()
    {
        var (stable, candidate) = await ReleasesAsync();
        var ci = await GoldenAsync();
        await PostRunAsync(ci, Run("base", stable, i => i != 50));
        var run = await PostRunAsync(ci, Run("cand", candidate, i => i is not (1 or 20 or 21) || i == 50));
        var page = await Factory.Services.GetRequiredService<EvaluationQueries>().CompareAsync(Slug, run.GetProperty("id").GetInt64(), Ct);
        Assert.NotNull(page);
        var order = page!.Rows.Select(r => (r.CaseId, r.Change)).Take(5).ToList();
        Assert.Equal([("c-1", CaseChange.Regression), ("c-0", CaseChange.BothPass), ("c-20", CaseChange.Regression), ("c-21", CaseChange.Regression), ("c-50", CaseChange.Improvement)], order);
        var c20 = page.Rows.Single(r => r.CaseId == "c-20");
        Assert.Equal(("200", "201", "200"), (c20.BaselineOutput, c20.Output, c20.Expected));
        Assert.Equal("regressed", page.Run.Verdict);
        Assert.Equal("base", page.Baseline!.RunId);
        Assert.Null(await Factory.Services.GetRequiredService<EvaluationQueries>().CompareAsync("ticket-triage", run.GetProperty("id").GetInt64(), Ct));
    }

    [Fact]
    public async Task Client_SubmitEvaluationAsync_ReturnsTheVerdictAndFailCi_RefusalNamesTheField()
    {
        var (stable, candidate) = await ReleasesAsync();
        await GoldenAsync();
        var created = await Factory.Services.GetRequiredService<ApiKeyService>().CreateAsync(
            new ApiKeyInput { Name = "ci-client", Scopes = [ApiScopes.EvaluationsWrite, ApiScopes.DecisionsRead], PathSlugs = [Slug] }, await Principals.ForAsync(Factory, TestUsers.Admin), Ct);
        await using var client = await OpsConsole.Client.OpsConsoleClient.StartAsync(new OpsConsole.Client.OpsConsoleClientOptions
        {
            BaseUrl = Factory.Server.BaseAddress,
            ApiKey = created.Value!.Secret,
            UsePush = false,
            HttpMessageHandler = Factory.Server.CreateHandler(),
        }, Ct);
        OpsConsole.Client.EvaluationRunRequest Request(string id, string release, Func<int, bool> pass) =>
            new(id, release, "golden", 1, [.. Enumerable.Range(0, Cases).Select(i => new OpsConsole.Client.EvaluationCaseResult($"c-{i}", pass(i), Output: $"o{i}"))]);

        var baseline = await client.SubmitEvaluationAsync(Slug, Request("b", stable, _ => true), Ct);
        Assert.Equal(("baseline", false, true), (baseline.Verdict, baseline.FailCi, baseline.Created));
        var worse = await client.SubmitEvaluationAsync(Slug, Request("w", candidate, i => i != 0), Ct);
        Assert.Equal(("regressed", true), (worse.Verdict, worse.FailCi));
        Assert.Equal(["c-0"], worse.Comparison!.FailingCriticalCaseIds!);
        var again = await client.SubmitEvaluationAsync(Slug, Request("w", candidate, _ => true), Ct);
        Assert.Equal((worse.Id, false), (again.Id, again.Created));

        var refused = await Assert.ThrowsAsync<OpsConsole.Client.EvaluationRefusedException>(() => client.SubmitEvaluationAsync(Slug, Request("x", new string('f', 64), _ => true), Ct));
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.True(refused.Errors.ContainsKey("release"));
        var forbidden = await Assert.ThrowsAsync<OpsConsole.Client.EvaluationRefusedException>(() => client.SubmitEvaluationAsync("ticket-triage", Request("y", candidate, _ => true), Ct));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.Status);
    }

    private async Task LabelAsync(long id, string eventId, string input, string output, string decision, DateTime at, string? corrected = null, string[]? tags = null, string? release = null)
    {
        var pathId = await Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == Slug).Select(p => p.Id).SingleAsync(Ct));
        await Db.QueryAsync(Factory, async db =>
        {
            if (!await db.InferenceEvents.AnyAsync(e => e.PathId == pathId && e.EventId == eventId, Ct))
            {
                db.InferenceEvents.Add(new InferenceEvent { PathId = pathId, EventId = eventId, OccurredAt = at, ReceivedAt = at, Input = input, Output = output, ReleaseId = release });
            }
            db.Labels.Add(new ReviewLabel
            {
                ReviewItemId = id,
                PathId = pathId,
                EventId = eventId,
                Decision = decision,
                OriginalOutput = output,
                CorrectedOutput = corrected,
                ReasonTags = [.. tags ?? []],
                ReviewerName = "r",
                DecidedAt = at,
                ReviewReason = "sampled",
            });
            return await db.SaveChangesAsync(Ct);
        });
    }

    [Fact]
    public async Task FromLabels_CorrectionsWin_DuplicatesCollapse_NegativesCarryReasons_FiltersApply_EditMakesNextVersion()
    {
        var t0 = new DateTime(2026, 11, 1, 9, 0, 0, DateTimeKind.Utc);
        await LabelAsync(1, "e1", "Invoice A", "total 10", ReviewStatuses.Approved, t0, release: "rel-1");
        await LabelAsync(2, "e2", "Invoice B", "total 2O", ReviewStatuses.Corrected, t0.AddHours(1), corrected: "total 20", tags: ["ocr"], release: "rel-1");
        await LabelAsync(3, "e3", "Invoice C", "total ???", ReviewStatuses.Rejected, t0.AddHours(2), tags: ["hallucination", "format"], release: "rel-2");
        // The same input as e1, decided later and corrected: the later decision is the case.
        await LabelAsync(4, "e4", "Invoice A", "total 10", ReviewStatuses.Corrected, t0.AddHours(3), corrected: "total 10.00", release: "rel-2");
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);

        var made = await GoldenSets.CreateFromLabelsAsync(Slug, "from-labels", new LabelFilter(), owner, Ct);
        Assert.True(made.Succeeded, made.Error);
        Assert.Equal((1, 3, "labels"), (made.Value!.Version, made.Value.Cases, made.Value.Source));
        var cases = (await Factory.Services.GetRequiredService<EvaluationService>().ExportAsync(Slug, "from-labels", 1, Ct))!.ToDictionary(c => c.Input);
        Assert.Equal(("e4", "total 10.00"), (cases["Invoice A"].CaseId, cases["Invoice A"].Expected));
        Assert.Equal("total 20", cases["Invoice B"].Expected);
        Assert.Null(cases["Invoice C"].Expected);
        Assert.Equal(["negative", "hallucination", "format"], cases["Invoice C"].Tags);

        var byTag = await GoldenSets.PreviewFromLabelsAsync(Slug, new LabelFilter(ReasonTag: "ocr"), Ct);
        Assert.Equal(["Invoice B"], byTag!.Cases.Select(c => c.Input));
        var byRelease = await GoldenSets.PreviewFromLabelsAsync(Slug, new LabelFilter(Release: "rel-1"), Ct);
        Assert.Equal(["Invoice A", "Invoice B"], byRelease!.Cases.Select(c => c.Input).Order());
        Assert.Equal("total 10", byRelease.Cases.Single(c => c.Input == "Invoice A").Expected);
        var byTime = await GoldenSets.PreviewFromLabelsAsync(Slug, new LabelFilter(From: t0.AddMinutes(30), To: t0.AddHours(2)), Ct);
        Assert.Equal(["Invoice B"], byTime!.Cases.Select(c => c.Input));
        var empty = await GoldenSets.CreateFromLabelsAsync(Slug, "none", new LabelFilter(ReasonTag: "nothing"), owner, Ct);
        Assert.True(empty.FieldErrors.ContainsKey("filter"));
        var viewer = await GoldenSets.CreateFromLabelsAsync(Slug, "x", new LabelFilter(), await Principals.ForAsync(Factory, TestUsers.Viewer), Ct);
        Assert.False(viewer.Succeeded);

        // Edit: remove one, add one, flag one critical → version 2; version 1 unchanged; an edit of the old version is refused.
        var edit = new DatasetEdit(["e2"], [new DatasetCase("new-1", "Invoice D", "total 40", false, ["manual"])], new Dictionary<string, bool> { ["e3"] = true });
        var edited = await GoldenSets.EditAsync(Slug, "from-labels", 1, edit, owner, Ct);
        Assert.True(edited.Succeeded, edited.Error);
        Assert.Equal((2, 3, "edit"), (edited.Value!.Version, edited.Value.Cases, edited.Value.Source));
        var v2 = await Factory.Services.GetRequiredService<EvaluationService>().ExportAsync(Slug, "from-labels", 2, Ct);
        Assert.Equal(["e3", "e4", "new-1"], v2!.Select(c => c.CaseId));
        Assert.True(v2!.Single(c => c.CaseId == "e3").Critical);
        Assert.Equal(3, (await Factory.Services.GetRequiredService<EvaluationService>().ExportAsync(Slug, "from-labels", 1, Ct))!.Count);
        var stale = await GoldenSets.EditAsync(Slug, "from-labels", 1, edit, owner, Ct);
        Assert.True(stale.ChangedMeanwhile);
        var duplicate = await GoldenSets.EditAsync(Slug, "from-labels", 2, new DatasetEdit([], [new DatasetCase("e4", "again", null, false, [])], new Dictionary<string, bool>()), owner, Ct);
        Assert.Contains("already", duplicate.FieldErrors["add[0]"]);
        var hostile = await GoldenSets.EditAsync(Slug, "from-labels", 2, new DatasetEdit([], [new DatasetCase("bad", "\ud800", null, false, [])], new Dictionary<string, bool>()), owner, Ct);
        Assert.True(hostile.FieldErrors.ContainsKey("add[0]"));
        var emptied = await GoldenSets.EditAsync(Slug, "from-labels", 2, new DatasetEdit(["e4", "e3", "new-1"], [], new Dictionary<string, bool>()), owner, Ct);
        Assert.True(emptied.FieldErrors.ContainsKey("cases"));
        Assert.Equal(2, await Db.QueryAsync(Factory, db => db.AuditEntries.CountAsync(a => a.Action == "dataset.version" && a.TargetId.StartsWith("from-labels@"), Ct)));
    }
}
