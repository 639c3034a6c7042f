using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Client;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Releases;

namespace OpsConsole.Tests.Features.Ofrep;

/// <summary>
/// The OFREP endpoints on the real app: the same answers as the decision API, the spec's error
/// bodies, keys, body limits, and the bulk ETag following every change that can change an answer.
/// </summary>
[Trait("Category", "Integration")]
public sealed class OfrepApiTests : IntegrationTest
{
    private const string Full = "invoice-field-extraction"; // 100 %
    private const string Quarter = "support-reply-draft"; // 25 %
    private const string Half = "ticket-triage"; // 50 %
    private static readonly string[] DemoPaths = [Full, Quarter, Half];
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Client(string? key = Ingest.DemoKey)
    {
        var client = Factory.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return client;
    }

    private async Task<string> KeyAsync(IEnumerable<string> scopes, params string[] paths)
    {
        var created = await Factory.Services.GetRequiredService<ApiKeyService>().CreateAsync(
            new ApiKeyInput { Name = "svc-" + Guid.NewGuid().ToString("N")[..6], Scopes = [.. scopes], PathSlugs = [.. paths] },
            await Principals.ForAsync(Factory, TestUsers.Admin), Ct);
        Assert.True(created.Succeeded, string.Join("; ", created.Problems.Values));
        return created.Value!.Secret;
    }

    private static StringContent Body(string json, string contentType = "application/json") => new(json, Encoding.UTF8, contentType);

    private static string ContextOf(string unit, string extra = "") =>
        JsonSerializer.Serialize(new { context = new { targetingKey = unit } })[..^2] + extra + "}}";

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

    private static async Task<JsonElement> EvaluateAsync(HttpClient client, string flag, string unit)
    {
        using var response = await client.PostAsync($"/ofrep/v1/evaluate/flags/{flag}", Body(ContextOf(unit)), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await JsonAsync(response);
    }

    private static async Task<JsonElement> DecideAsync(HttpClient client, string flag, string unit) =>
        await client.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{flag}/decision?unit={Uri.EscapeDataString(unit)}", Ct);

    /// <summary>What a caller acts on: on or off, which variant, which release, at which config version.</summary>
    private static (bool, string?, string?, long) OfrepAnswer(JsonElement e)
    {
        var metadata = e.GetProperty("metadata");
        return (e.GetProperty("value").GetBoolean(), e.GetProperty("variant").GetString(),
            metadata.TryGetProperty("release", out var r) ? r.GetString() : null, metadata.GetProperty("configVersion").GetInt64());
    }

    private static (bool, string?, string?, long) DecisionAnswer(JsonElement d) =>
        (d.GetProperty("enabled").GetBoolean(), d.GetProperty("variant").GetString(),
            d.TryGetProperty("release", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null, d.GetProperty("configVersion").GetInt64());

    /// <summary>A stable and a candidate (at its first step, 1 %) on the path at 100 %, so all three variants occur.</summary>
    private async Task<(string Stable, string Candidate)> StartCandidateAsync()
    {
        var releases = Factory.Services.GetRequiredService<ReleaseService>();
        var actor = new AuditActor(null, "key:ci");
        var stable = await releases.CreateAsync(Full, new ReleaseInput { Model = "gpt-4o-mini-2024-07-18", PromptVersion = "extract-v3" }, actor, Ct);
        var candidate = await releases.CreateAsync(Full, new ReleaseInput { Model = "gpt-4o-mini-2024-07-18", PromptVersion = "extract-v4" }, actor, Ct);
        Assert.True(stable.Succeeded && candidate.Succeeded);
        var started = await releases.StartCandidateAsync(Full, new CandidateInput(candidate.Value!.Release.Id), await Principals.ForAsync(Factory, TestUsers.Admin), Ct);
        Assert.True(started.Succeeded, started.Error);
        return (stable.Value!.Release.Id, candidate.Value.Release.Id);
    }

    /// <summary>Ordinary units, and a few inside the candidate's 1 % (else 300 units might hold none).</summary>
    private static List<string> Units(int count) =>
        [.. Enumerable.Range(0, count).Select(i => "user-" + i),
            .. Enumerable.Range(0, 5000).Select(i => "cand-" + i).Where(u => Rollout.VariantBucket(Full, u) <= ReleaseService.FirstStepShare).Take(5)];

    [Fact]
    public async Task Single_ManyUnitsOnEveryPath_SameAnswerAsTheDecisionApi()
    {
        var (stable, candidate) = await StartCandidateAsync();
        var client = Client();
        var seen = new HashSet<(string Flag, string? Variant, string Reason)>();
        foreach (var flag in DemoPaths)
        {
            foreach (var unit in Units(300))
            {
                var ofrep = await EvaluateAsync(client, flag, unit);
                var decision = await DecideAsync(client, flag, unit);
                Assert.Equal(DecisionAnswer(decision), OfrepAnswer(ofrep));
                Assert.Equal(flag, ofrep.GetProperty("key").GetString());
                Assert.Equal(decision.GetProperty("reason").GetString(), ofrep.GetProperty("metadata").GetProperty("decisionReason").GetString());
                seen.Add((flag, ofrep.GetProperty("variant").GetString(), ofrep.GetProperty("reason").GetString()!));
            }
        }
        // Every arm occurred, with the reasons of the mapping: the hash split decided each of these.
        Assert.Contains((Full, "candidate", "SPLIT"), seen);
        Assert.Contains((Full, "stable", "SPLIT"), seen);
        Assert.Contains((Quarter, "off", "SPLIT"), seen);
        Assert.Contains((Quarter, "stable", "SPLIT"), seen);
        Assert.Contains((Half, "off", "SPLIT"), seen);
        Assert.DoesNotContain(seen, s => s.Flag == Full && s.Variant == "off");
        // The release ids are the releases', not merely equal between the two APIs.
        var onCandidate = OfrepAnswer(await EvaluateAsync(client, Full, Units(0)[0]));
        Assert.Equal((true, "candidate", candidate), (onCandidate.Item1, onCandidate.Item2, onCandidate.Item3));
        var stableUnit = Units(50).First(u => Rollout.VariantBucket(Full, u) > ReleaseService.FirstStepShare);
        var onStable = OfrepAnswer(await EvaluateAsync(client, Full, stableUnit));
        Assert.Equal((true, "stable", stable), (onStable.Item1, onStable.Item2, onStable.Item3));
    }

    [Fact]
    public async Task Bulk_ManyUnits_EveryPathOfTheKey_SameAnswersAsTheDecisionApi()
    {
        await StartCandidateAsync();
        var client = Client();
        foreach (var unit in Units(150))
        {
            using var response = await client.PostAsync("/ofrep/v1/evaluate/flags", Body(ContextOf(unit)), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var flags = (await JsonAsync(response)).GetProperty("flags").EnumerateArray().ToList();
            Assert.Equal(DemoPaths.Order(StringComparer.Ordinal), flags.Select(f => f.GetProperty("key").GetString()));
            foreach (var flag in flags)
            {
                var decision = await DecideAsync(client, flag.GetProperty("key").GetString()!, unit);
                Assert.Equal(DecisionAnswer(decision), OfrepAnswer(flag));
            }
        }
    }

    [Fact]
    public async Task KillSwitch_ValueFalseReasonDisabled_BulkETagChanges()
    {
        var client = Client();
        using var before = await client.PostAsync("/ofrep/v1/evaluate/flags", Body(ContextOf("user-7")), Ct);
        var etag = before.Headers.ETag!;
        Assert.True(OfrepAnswer(await EvaluateAsync(client, Full, "user-7")).Item1);
        Assert.Equal("STATIC", (await EvaluateAsync(client, Full, "user-7")).GetProperty("reason").GetString()); // 100 %, one release

        var oncall = await Principals.ForAsync(Factory, TestUsers.OnCall);
        Assert.True((await Factory.Services.GetRequiredService<ControlsService>().SetKillSwitchAsync(Full, true, null, "bad totals", oncall, Ct)).Succeeded);

        var killed = await EvaluateAsync(client, Full, "user-7");
        Assert.False(killed.GetProperty("value").GetBoolean());
        Assert.Equal(("DISABLED", "off", "kill_switch"), (killed.GetProperty("reason").GetString(), killed.GetProperty("variant").GetString(),
            killed.GetProperty("metadata").GetProperty("decisionReason").GetString()));
        Assert.False(killed.GetProperty("metadata").TryGetProperty("release", out _));

        using var request = new HttpRequestMessage(HttpMethod.Post, "/ofrep/v1/evaluate/flags") { Content = Body(ContextOf("user-7")) };
        request.Headers.IfNoneMatch.Add(etag);
        using var after = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.NotEqual(etag, after.Headers.ETag);
        var flag = (await JsonAsync(after)).GetProperty("flags").EnumerateArray().Single(f => f.GetProperty("key").GetString() == Full);
        Assert.Equal((false, "DISABLED"), (flag.GetProperty("value").GetBoolean(), flag.GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task Bulk_IfNoneMatch_304UntilTheRolloutChanges_ETagPerTargetingKey()
    {
        var client = Client();
        async Task<HttpResponseMessage> BulkAsync(string body, EntityTagHeaderValue? ifNoneMatch = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/ofrep/v1/evaluate/flags") { Content = Body(body) };
            if (ifNoneMatch is not null)
            {
                request.Headers.IfNoneMatch.Add(ifNoneMatch);
            }
            return await client.SendAsync(request, Ct);
        }

        using var first = await BulkAsync(ContextOf("user-3"));
        var etag = first.Headers.ETag!;
        Assert.Equal("no-cache", first.Headers.CacheControl?.ToString());
        using var same = await BulkAsync(ContextOf("user-3", ""","plan":"premium","country":"CA" """), etag);
        Assert.Equal(HttpStatusCode.NotModified, same.StatusCode); // attributes we do not target on change nothing
        Assert.Equal(etag, same.Headers.ETag);
        Assert.Empty(await same.Content.ReadAsByteArrayAsync(Ct));

        using var otherUnit = await BulkAsync(ContextOf("user-4"), etag);
        Assert.Equal(HttpStatusCode.OK, otherUnit.StatusCode);
        Assert.NotEqual(etag, otherUnit.Headers.ETag);

        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        Assert.True((await Factory.Services.GetRequiredService<ControlsService>().DecreaseRolloutAsync(Half, 50, 40, "error rate", admin, Ct)).Succeeded);
        using var changed = await BulkAsync(ContextOf("user-3"), etag);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(etag, changed.Headers.ETag);
        var metadata = (await JsonAsync(changed)).GetProperty("metadata").GetProperty("version").GetString();
        var config = await client.GetFromJsonAsync<JsonElement>("/api/v1/config", Ct);
        Assert.Equal(config.GetProperty("version").GetString(), metadata);
        using var again = await BulkAsync(ContextOf("user-3"), changed.Headers.ETag);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
    }

    [Fact]
    public async Task UnknownFlagOrAnotherKeysPath_404FlagNotFound_BulkListsOnlyTheKeysPaths()
    {
        var narrow = Client(await KeyAsync([ApiScopes.DecisionsRead], Half));
        using var unknown = await narrow.PostAsync("/ofrep/v1/evaluate/flags/no-such-path", Body(ContextOf("u")), Ct);
        using var foreign = await narrow.PostAsync($"/ofrep/v1/evaluate/flags/{Quarter}", Body(ContextOf("u")), Ct);
        foreach (var (response, flag) in new[] { (unknown, "no-such-path"), (foreign, Quarter) })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            var body = await JsonAsync(response);
            Assert.Equal((flag, "FLAG_NOT_FOUND"), (body.GetProperty("key").GetString(), body.GetProperty("errorCode").GetString()));
            Assert.Equal($"No flag '{flag}' that this key may read.", body.GetProperty("errorDetails").GetString());
        }
        using var own = await narrow.PostAsync($"/ofrep/v1/evaluate/flags/{Half}", Body(ContextOf("u")), Ct);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);

        using var bulk = await narrow.PostAsync("/ofrep/v1/evaluate/flags", Body(ContextOf("u")), Ct);
        Assert.Equal([Half], (await JsonAsync(bulk)).GetProperty("flags").EnumerateArray().Select(f => f.GetProperty("key").GetString()));
    }

    [Theory]
    [InlineData("""{"context": {}}""")]
    [InlineData("""{"context": {"targetingKey": null, "email": "a@b.c"}}""")]
    [InlineData("""{"context": {"targetingKey": ""}}""")]
    public async Task NoTargetingKey_400TargetingKeyMissing_SingleNamesTheFlag_BulkFailsAsAWhole(string body)
    {
        var client = Client();
        using var single = await client.PostAsync($"/ofrep/v1/evaluate/flags/{Full}", Body(body), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, single.StatusCode);
        var failure = await JsonAsync(single);
        Assert.Equal((Full, "TARGETING_KEY_MISSING"), (failure.GetProperty("key").GetString(), failure.GetProperty("errorCode").GetString()));
        Assert.Contains("targetingKey", failure.GetProperty("errorDetails").GetString());

        using var bulk = await client.PostAsync("/ofrep/v1/evaluate/flags", Body(body), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bulk.StatusCode);
        var bulkFailure = await JsonAsync(bulk);
        Assert.Equal("TARGETING_KEY_MISSING", bulkFailure.GetProperty("errorCode").GetString());
        Assert.False(bulkFailure.TryGetProperty("key", out _));
        Assert.False(bulkFailure.TryGetProperty("flags", out _));
    }

    [Theory]
    [InlineData("{not json", "PARSE_ERROR")]
    [InlineData("", "PARSE_ERROR")]
    [InlineData("""{"context": {"targetingKey": "u"}} trailing""", "PARSE_ERROR")]
    [InlineData("[]", "INVALID_CONTEXT")]
    [InlineData("null", "INVALID_CONTEXT")]
    [InlineData("{}", "INVALID_CONTEXT")]
    [InlineData("""{"context": "user-1"}""", "INVALID_CONTEXT")]
    [InlineData("""{"context": {"targetingKey": 42}}""", "INVALID_CONTEXT")]
    [InlineData("""{"context": {"targetingKey": {"id": "u"}}}""", "INVALID_CONTEXT")]
    [InlineData("""{"context": {"targetingKey": "a", "targetingKey": "b"}}""", "INVALID_CONTEXT")]
    [InlineData("""{"context": {"targetingKey": "u\ud800"}}""", "INVALID_CONTEXT")]
    public async Task BadBody_400WithTheSpecsErrorCode(string body, string errorCode)
    {
        var client = Client();
        using var single = await client.PostAsync($"/ofrep/v1/evaluate/flags/{Full}", Body(body), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, single.StatusCode);
        Assert.StartsWith("application/json", single.Content.Headers.ContentType!.ToString());
        var failure = await JsonAsync(single);
        Assert.Equal((Full, errorCode), (failure.GetProperty("key").GetString(), failure.GetProperty("errorCode").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(failure.GetProperty("errorDetails").GetString()));

        using var bulk = await client.PostAsync("/ofrep/v1/evaluate/flags", Body(body), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bulk.StatusCode);
        Assert.Equal(errorCode, (await JsonAsync(bulk)).GetProperty("errorCode").GetString());
    }

    [Fact]
    public async Task TargetingKeyOver512Characters_400InvalidContext_512IsAnswered()
    {
        var client = Client();
        using var tooLong = await client.PostAsync($"/ofrep/v1/evaluate/flags/{Full}", Body(ContextOf(new string('u', 513))), Ct);
        Assert.Equal("INVALID_CONTEXT", (await JsonAsync(tooLong)).GetProperty("errorCode").GetString());
        var longest = new string('u', 512);
        Assert.Equal(DecisionAnswer(await DecideAsync(client, Quarter, longest)), OfrepAnswer(await EvaluateAsync(client, Quarter, longest)));
    }

    /// <summary>A body sent without a length (chunked): the limit must hold while reading, not only from Content-Length.</summary>
    private sealed class UnsizedContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Fact]
    public async Task HugeBody_413WithOrWithoutALength_NotJson415()
    {
        var client = Client();
        var huge = ContextOf("u", $$""","notes":"{{new string('n', 200 * 1024)}}" """);
        foreach (var url in new[] { $"/ofrep/v1/evaluate/flags/{Full}", "/ofrep/v1/evaluate/flags" })
        {
            using var sized = await client.PostAsync(url, Body(huge), Ct);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, sized.StatusCode);
            var unsized = new UnsizedContent(Encoding.UTF8.GetBytes(huge));
            unsized.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var chunked = await client.PostAsync(url, unsized, Ct);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunked.StatusCode);
            using var text = await client.PostAsync(url, Body(ContextOf("u"), "text/plain"), Ct);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        }
        // Just under the limit is an ordinary request.
        var under = ContextOf("u", $$""","notes":"{{new string('n', 60 * 1024)}}" """);
        using var ok = await client.PostAsync($"/ofrep/v1/evaluate/flags/{Full}", Body(under), Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Keys_NoneOrUnknown401_WithoutDecisionsRead403_XApiKeyAccepted()
    {
        foreach (var url in new[] { $"/ofrep/v1/evaluate/flags/{Full}", "/ofrep/v1/evaluate/flags" })
        {
            using var none = await Client(key: null).PostAsync(url, Body(ContextOf("u")), Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
            using var unknown = await Client("ocs_not_a_key_00000000000000000000").PostAsync(url, Body(ContextOf("u")), Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);

            var eventsOnly = Client(await KeyAsync([ApiScopes.EventsWrite], Full));
            using var forbidden = await eventsOnly.PostAsync(url, Body(ContextOf("u")), Ct);
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
            Assert.Contains("decisions:read", await forbidden.Content.ReadAsStringAsync(Ct));

            var apiKeyHeader = Client(key: null);
            apiKeyHeader.DefaultRequestHeaders.Add("X-API-Key", Ingest.DemoKey);
            using var ok = await apiKeyHeader.PostAsync(url, Body(ContextOf("u")), Ct);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        // The decision API itself still takes only the bearer token.
        var viaHeader = Client(key: null);
        viaHeader.DefaultRequestHeaders.Add("X-API-Key", Ingest.DemoKey);
        using var decision = await viaHeader.GetAsync($"/api/v1/paths/{Full}/decision?unit=u", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, decision.StatusCode);
    }
}
