using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Ingestion;

namespace OpsConsole.Tests.Features.Ingestion;

/// <summary>The ingestion contract through HTTP on the real app and a real SQLite file.</summary>
[Trait("Category", "Integration")]
public class EventsApiTests : IClassFixture<OpsConsoleFactory>
{
    private readonly OpsConsoleFactory _factory;
    private readonly HttpClient _client;

    public EventsApiTests(OpsConsoleFactory factory)
    {
        _factory = factory;
        _client = factory.CreateClient();
    }

    private static string Id() => "evt-" + Guid.NewGuid().ToString("N");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<int> CountAsync(string eventId) =>
        Db.QueryAsync(_factory, db => db.InferenceEvents.CountAsync(e => e.EventId == eventId, Ct));

    private async Task<string> CreateKeyAsync(string email, ApiKeyInput input)
    {
        var service = _factory.Services.GetRequiredService<ApiKeyService>();
        var created = await service.CreateAsync(input, await Principals.ForAsync(_factory, email), Ct);
        Assert.True(created.Succeeded, string.Join("; ", created.Problems.Values));
        return created.Value!.Secret;
    }

    [Fact]
    public async Task Post_ValidBatch_AcceptedAndStored()
    {
        var ids = new[] { Id(), Id(), Id() };
        var result = await Ingest.PostOkAsync(_client, Ingest.Batch(ids.Select(i => (JsonNode)Ingest.Event(i)).ToArray()));

        Assert.Equal(3, result.Accepted);
        Assert.Equal(ids, result.Results.Select(r => r.EventId));
        Assert.All(result.Results, r => Assert.Equal("accepted", r.Status));
        foreach (var id in ids)
        {
            Assert.Equal(1, await CountAsync(id));
        }
    }

    [Fact]
    public async Task Post_MixedBatch_OneResultPerItemInOrder()
    {
        var good = Id();
        var badConfidence = Ingest.Event(Id());
        badConfidence["confidence"] = 1.5;
        var unknownPath = Ingest.Event(Id(), path: "no-such-path");
        var result = await Ingest.PostOkAsync(_client, Ingest.Batch(
            Ingest.Event(good), badConfidence, JsonValue.Create(42)!, unknownPath, Ingest.Event(good)));

        Assert.Equal(["accepted", "rejected", "rejected", "rejected", "duplicate"], result.Results.Select(r => r.Status));
        Assert.Equal([0, 1, 2, 3, 4], result.Results.Select(r => r.Index));
        Assert.Equal("invalid_field:confidence", result.Results[1].Reason);
        Assert.Equal("not_an_object", result.Results[2].Reason);
        Assert.Equal("unknown_path", result.Results[3].Reason);
        Assert.Equal((1, 1, 3), (result.Accepted, result.Duplicates, result.Rejected));
        Assert.Equal(1, await CountAsync(good));
    }

    [Fact]
    public async Task Post_SameEventTwiceInOneBatch_StoredOnce()
    {
        var id = Id();
        var result = await Ingest.PostOkAsync(_client, Ingest.Batch(Ingest.Event(id), Ingest.Event(id)));
        Assert.Equal(["accepted", "duplicate"], result.Results.Select(r => r.Status));
        Assert.Equal(1, await CountAsync(id));
    }

    [Fact]
    public async Task Post_SameEventIdOnTwoPaths_BothStored()
    {
        var id = Id();
        var result = await Ingest.PostOkAsync(_client, Ingest.Batch(Ingest.Event(id), Ingest.Event(id, path: "ticket-triage")));
        Assert.Equal(["accepted", "accepted"], result.Results.Select(r => r.Status));
    }

    [Fact]
    public async Task Post_TenParallelRequestsWithSameHundredEvents_EachStoredOnce()
    {
        var ids = Enumerable.Range(0, 100).Select(_ => Id()).ToArray();
        var body = Ingest.Batch(ids.Select(i => (JsonNode)Ingest.Event(i, confidence: 0.1)).ToArray());
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Ingest.PostOkAsync(_client, body)));

        // Across all ten answers each event was accepted exactly once; the other nine said duplicate.
        Assert.Equal(100, results.Sum(r => r.Accepted));
        Assert.Equal(900, results.Sum(r => r.Duplicates));
        var stored = await Db.QueryAsync(_factory, db => db.InferenceEvents.Where(e => ids.Contains(e.EventId)).CountAsync(Ct));
        var reviews = await Db.QueryAsync(_factory, db =>
            db.ReviewItems.Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => e.EventId).CountAsync(e => ids.Contains(e), Ct));
        Assert.Equal(100, stored);
        Assert.Equal(100, reviews);
    }

    [Fact]
    public async Task Post_NotJson_400ProblemAndNothingStored()
    {
        var id = Id();
        using var response = await _client.SendAsync(Ingest.Request("{\"events\":[{\"eventId\":\"" + id + "\"", Ingest.DemoKey), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("not valid JSON", (await Ingest.ProblemAsync(response)).GetProperty("detail").GetString());
        Assert.Equal(0, await CountAsync(id));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("{\"event\":[]}")]
    [InlineData("{\"events\":{}}")]
    [InlineData("{\"events\":\"x\"}")]
    [InlineData("null")]
    public async Task Post_WrongShape_400(string body)
    {
        using var response = await _client.SendAsync(Ingest.Request(body), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"events\"", (await Ingest.ProblemAsync(response)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Post_InvalidUtf8_400()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"events\":[{\"eventId\":\"x\",\"path\":\"ab\"}]}");
        bytes[22] = 0xC3; // a lead byte followed by an ASCII byte
        var request = Ingest.Request("");
        request.Content = new ByteArrayContent(bytes);
        request.Content.Headers.ContentType = new("application/json");
        using var response = await _client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task Post_WrongContentType_415(string contentType)
    {
        using var response = await _client.SendAsync(Ingest.Request(Ingest.Batch(Ingest.Event(Id())).ToJsonString(), Ingest.DemoKey, contentType), Ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Post_BodyOver4Mb_413()
    {
        var big = Ingest.Event(Id());
        big["padding"] = new string('x', 4 * 1024 * 1024);
        using var response = await Ingest.PostAsync(_client, Ingest.Batch(big));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Post_MoreThan1000Events_413WithAdvice()
    {
        var events = Enumerable.Range(0, 1001).Select(_ => (JsonNode)new JsonObject { ["eventId"] = "x" }).ToArray();
        using var response = await Ingest.PostAsync(_client, Ingest.Batch(events));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("Split", (await Ingest.ProblemAsync(response)).GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("ocs_thisKeyDoesNotExistAnywhere123456")]
    [InlineData("short")]
    public async Task Post_NoOrUnknownKey_401(string? key)
    {
        using var response = await Ingest.PostAsync(_client, Ingest.Batch(Ingest.Event(Id())), key);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task Post_SessionCookieInsteadOfKey_401()
    {
        var browser = await SignIn.AsAsync(_factory, TestUsers.Admin);
        using var response = await Ingest.PostAsync(browser, Ingest.Batch(Ingest.Event(Id())), key: null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Post_RevokedKey_401AtOnce()
    {
        var secret = await CreateKeyAsync(TestUsers.Owner, new ApiKeyInput { Name = "revoke me", PathSlugs = ["ticket-triage"] });
        Assert.Equal(1, (await Ingest.PostOkAsync(_client, Ingest.Batch(Ingest.Event(Id(), path: "ticket-triage")), secret)).Accepted);

        var service = _factory.Services.GetRequiredService<ApiKeyService>();
        var owner = await Principals.ForAsync(_factory, TestUsers.Owner);
        var key = (await service.ListAsync(owner, Ct)).Single(k => k.Name == "revoke me");
        Assert.True((await service.RevokeAsync(key.Id, owner, Ct)).Succeeded);

        using var response = await Ingest.PostAsync(_client, Ingest.Batch(Ingest.Event(Id(), path: "ticket-triage")), secret);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Post_KeyScopedToOnePath_OtherPathForbidden()
    {
        var secret = await CreateKeyAsync(TestUsers.Owner, new ApiKeyInput { Name = "triage only", PathSlugs = ["ticket-triage"] });
        var other = Id();
        var result = await Ingest.PostOkAsync(_client, Ingest.Batch(Ingest.Event(Id(), path: "ticket-triage"), Ingest.Event(other)), secret);

        Assert.Equal(["accepted", "rejected"], result.Results.Select(r => r.Status));
        Assert.Equal("forbidden", result.Results[1].Reason);
        Assert.Equal(0, await CountAsync(other));
        var quarantined = await Db.QueryAsync(_factory, db => db.QuarantinedEvents.SingleAsync(q => q.EventId == other, Ct));
        Assert.Equal(("forbidden", "triage only", "support-reply-draft"), (quarantined.Reason, quarantined.ApiKeyName, quarantined.PathSlug));
    }

    [Fact]
    public async Task Post_KeyWithoutEventsWriteScope_403()
    {
        var secret = await CreateKeyAsync(TestUsers.Admin, new ApiKeyInput { Name = "read only", Scopes = [ApiScopes.DecisionsRead], AllPaths = true });
        using var response = await Ingest.PostAsync(_client, Ingest.Batch(Ingest.Event(Id())), secret);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Post_RejectedItems_QuarantinedWithRawJsonAndReason()
    {
        var id = Id();
        var bad = Ingest.Event(id);
        bad["outcome"] = "exploded";
        await Ingest.PostOkAsync(_client, Ingest.Batch(bad));

        var q = await Db.QueryAsync(_factory, db => db.QuarantinedEvents.SingleAsync(x => x.EventId == id, Ct));
        Assert.Equal("invalid_field:outcome", q.Reason);
        Assert.Equal("support-reply-draft", q.PathSlug);
        Assert.Equal("Demo traffic", q.ApiKeyName);
        Assert.Equal("exploded", JsonNode.Parse(q.RawJson)!["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task Post_Routing_LowConfidenceErrorAndPlainEvents()
    {
        string low = Id(), error = Id(), plain = Id(), errorNoOutput = Id();
        await Ingest.PostOkAsync(_client, Ingest.Batch(
            Ingest.Event(low, confidence: 0.2),
            Ingest.Event(error, outcome: "timeout", confidence: null, output: "partial draft"),
            Ingest.Event(plain, confidence: 0.99),
            Ingest.Event(errorNoOutput, outcome: "error", confidence: null, output: null)));

        var reviews = await Db.QueryAsync(_factory, db => db.ReviewItems
            .Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => new { e.EventId, e.ReviewReason, r.Reason, r.Priority, r.Status, r.DueAt, r.CreatedAt })
            .Where(x => x.EventId == low || x.EventId == error || x.EventId == plain || x.EventId == errorNoOutput).ToListAsync(Ct));
        var lowItem = Assert.Single(reviews, r => r.EventId == low);
        Assert.Equal((ReviewReasons.LowConfidence, ReviewReasons.LowConfidence, ReviewStatuses.Pending, 80), (lowItem.Reason, lowItem.ReviewReason, lowItem.Status, lowItem.Priority));
        // support-reply-draft's review SLA is 60 minutes.
        Assert.Equal(TimeSpan.FromMinutes(60), lowItem.DueAt - lowItem.CreatedAt);
        Assert.Equal(ReviewReasons.Error, Assert.Single(reviews, r => r.EventId == error).Reason);
        // support-reply-draft samples 5 % for QA, decided by the event id; a confident event is otherwise not routed.
        Assert.DoesNotContain(reviews, r => r.EventId == errorNoOutput);
        Assert.Equal(reviews.Any(r => r.EventId == plain), OpsConsole.Web.Features.Review.ReviewRouting.SampleUnit("support-reply-draft", plain) < 0.05);
    }

    [Fact]
    public async Task Post_KilledPath_StillCapturedAndRouted()
    {
        await Db.ExecuteAsync(_factory, "UPDATE \"Paths\" SET \"KillSwitchOn\" = TRUE WHERE \"Slug\" = 'invoice-field-extraction'");
        _factory.Services.GetRequiredService<PathCatalog>().Invalidate();
        try
        {
            var id = Id();
            var result = await Ingest.PostOkAsync(_client, Ingest.Batch(Ingest.Event(id, path: "invoice-field-extraction", confidence: 0.3)));
            Assert.Equal("accepted", result.Results.Single().Status);
            Assert.Equal(ReviewReasons.LowConfidence, await Db.QueryAsync(_factory, db => db.InferenceEvents.Where(e => e.EventId == id).Select(e => e.ReviewReason).SingleAsync(Ct)));
        }
        finally
        {
            await Db.ExecuteAsync(_factory, "UPDATE \"Paths\" SET \"KillSwitchOn\" = FALSE WHERE \"Slug\" = 'invoice-field-extraction'");
            _factory.Services.GetRequiredService<PathCatalog>().Invalidate();
        }
    }

    [Fact]
    public async Task Post_PersonalData_RedactedBeforeStorageWithCount()
    {
        var id = Id();
        await Ingest.PostOkAsync(_client, Ingest.Batch(Ingest.Event(id,
            input: "From jane@example.com: card 4111 1111 1111 1111 was charged twice",
            output: "We refunded the card 4111-1111-1111-1111; order 4111 1111 1111 1112 is fine.")));

        var stored = await Db.QueryAsync(_factory, db => db.InferenceEvents.SingleAsync(e => e.EventId == id, Ct));
        Assert.Equal("From [email]: card [card] was charged twice", stored.Input);
        Assert.Equal("We refunded the card [card]; order 4111 1111 1111 1112 is fine.", stored.Output);
        Assert.Equal(3, stored.RedactedCount);
    }

    [Fact]
    public async Task Post_Response_IsCamelCaseWithoutNulls()
    {
        using var response = await Ingest.PostAsync(_client, Ingest.Batch(Ingest.Event(Id())));
        var json = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("\"status\":\"accepted\"", json);
        Assert.DoesNotContain("\"reason\"", json);
    }
}

/// <summary>Statuses that need settings of their own: the rate limit and a locked database.</summary>
[Trait("Category", "Integration")]
public class EventsApiLimitsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Post_OverPerKeyRateLimit_429WithRetryAfter()
    {
        await using var factory = new OpsConsoleFactory()
            .With("OpsConsole:Ingestion:RequestsPerSecond", "1")
            .With("OpsConsole:Ingestion:Burst", "3");
        var client = factory.CreateClient();
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 8 && limited is null; i++)
        {
            var response = await Ingest.PostAsync(client, Ingest.Batch(Ingest.Event("rl-" + i)));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
        }
        Assert.NotNull(limited);
        Assert.True(statuses.Count >= 4, string.Join(",", statuses)); // the burst of 3 went through first
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        // Not the decision API's decision_budget_exceeded: a client can tell which limit it met.
        var problem = JsonNode.Parse(await limited.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal(IngestionFeature.RateLimitedCode, (string?)problem["code"]);
        Assert.Equal("ingestion_rate_limited", IngestionFeature.RateLimitedCode);
    }

    [Fact]
    public async Task Post_DatabaseLockedByAnotherWriter_503WithRetryAfterWithinBound()
    {
        await using var factory = new OpsConsoleFactory()
            .With("OpsConsole:Ingestion:BusyTimeoutMs", "300")
            .With("OpsConsole:Ingestion:MaxWaitMs", "3000");
        var client = factory.CreateClient();
        await Ingest.PostOkAsync(client, Ingest.Batch(Ingest.Event("warm-up")));

        System.Data.Common.DbConnection blocker;
        System.Data.Common.DbTransaction tx;
        if (TestDatabase.IsPostgres)
        {
            // Another instance's transaction holding the events table: the writer's insert waits past its lock_timeout.
            blocker = new Npgsql.NpgsqlConnection(TestDatabase.PostgresConnectionString(factory.PostgresDatabase!));
            await blocker.OpenAsync(Ct);
            tx = await blocker.BeginTransactionAsync(Ct);
            await using var lockTable = blocker.CreateCommand();
            lockTable.CommandText = "LOCK TABLE \"InferenceEvents\" IN EXCLUSIVE MODE";
            await lockTable.ExecuteNonQueryAsync(Ct);
        }
        else
        {
            var sqlite = new SqliteConnection(factory.ConnectionString);
            blocker = sqlite;
            await sqlite.OpenAsync(Ct);
            tx = sqlite.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: holds the write lock
        }
        await using var disposeBlocker = blocker;
        await using var disposeTx = tx;
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var response = await Ingest.PostAsync(client, Ingest.Batch(Ingest.Event("while-locked")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}");
        await tx.RollbackAsync(Ct);

        // Once the lock is gone the same batch goes through: the writer recovered by itself.
        var retry = await Ingest.PostOkAsync(client, Ingest.Batch(Ingest.Event("while-locked")));
        Assert.Equal("accepted", retry.Results.Single().Status);
    }
}
