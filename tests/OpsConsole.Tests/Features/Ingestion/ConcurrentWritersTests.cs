using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Ingestion;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Review;

namespace OpsConsole.Tests.Features.Ingestion;

/// <summary>
/// Two console instances on one database (two app hosts, each with its own ingest writer): on
/// PostgreSQL what several instances behind one address do, on SQLite two processes on one file.
/// Idempotency, review items and the rollups (counts and sketches) must come out exactly as from
/// one writer, whatever the interleaving.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ConcurrentWritersTests : IAsyncLifetime
{
    private const string PathSlug = "support-reply-draft";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly OpsConsoleFactory _a = Unthrottled(new OpsConsoleFactory());
    private OpsConsoleFactory _b = null!;
    private int _busy;

    private sealed class SecondInstance(string database) : OpsConsoleFactory(database);

    private static OpsConsoleFactory Unthrottled(OpsConsoleFactory f) =>
        f.With("OpsConsole:Ingestion:RequestsPerSecond", "100000").With("OpsConsole:Ingestion:Burst", "100000");

    public ValueTask InitializeAsync()
    {
        _a.CreateClient().Dispose();
        _b = Unthrottled(new SecondInstance(_a.DatabasePath));
        _b.CreateClient().Dispose();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _b.DisposeAsync(keepDatabase: true);
        await _a.DisposeAsync();
    }

    [Fact]
    public async Task TwoInstances_SameEventIdsAtOnce_FirstWinsOthersDuplicateRollupsCountStoredEvents()
    {
        var at = DateTime.UtcNow.AddMinutes(-10);
        var batches = Enumerable.Range(0, 600).Select(i => Event($"dup-{i}", i, at)).Chunk(50)
            // A retry inside the batch: its first event once more at the end.
            .Select(c => c.Append(c[0].DeepClone()).ToArray()).ToList();
        // Both instances get every batch, B in the opposite order with each batch reversed: the same keys
        // arrive in opposite orders at once (PostgreSQL may break a deadlock: that is a 503, retried).
        var answers = new ConcurrentBag<(string EventId, string Status)>();
        await Task.WhenAll(
            SendAsync(_a, batches.Where((_, i) => i % 2 == 0), answers),
            SendAsync(_a, batches.Where((_, i) => i % 2 == 1), answers),
            SendAsync(_b, batches.AsEnumerable().Reverse().Where((_, i) => i % 2 == 0).Select(b => b.Reverse().ToArray()), answers),
            SendAsync(_b, batches.AsEnumerable().Reverse().Where((_, i) => i % 2 == 1).Select(b => b.Reverse().ToArray()), answers));

        var byId = answers.GroupBy(a => a.EventId).ToDictionary(g => g.Key, g => g.Select(a => a.Status).ToList());
        Assert.Equal(600, byId.Count);
        // Each id was sent twice (once per instance) and its batch's first once more on each: one "accepted", the rest "duplicate".
        Assert.All(byId, kv =>
        {
            Assert.Equal(1, kv.Value.Count(s => s == "accepted"));
            Assert.All(kv.Value.Where(s => s != "accepted"), s => Assert.Equal("duplicate", s));
        });
        Assert.Equal(2 * (600 + 12), answers.Count);

        var stored = await Db.QueryAsync(_a, db => db.InferenceEvents.Where(e => e.EventId.StartsWith("dup-"))
            .Select(e => new { e.Id, e.EventId, e.ReviewReason }).ToListAsync(Ct));
        Assert.Equal(600, stored.Count);
        Assert.Equal(600, stored.Select(e => e.EventId).Distinct().Count());
        // A review item for each stored routed event, none for a duplicate.
        var rowIds = stored.Select(e => e.Id).ToList();
        var items = await Db.QueryAsync(_a, db => db.ReviewItems.Where(r => rowIds.Contains(r.EventRowId)).Select(r => r.EventRowId).ToListAsync(Ct));
        Assert.Equal(stored.Where(e => e.ReviewReason != null).Select(e => e.Id).Order(), items.Order());
        Assert.NotEmpty(items);

        await AssertRollupsEqualRawAsync(600);
    }

    [Fact]
    public async Task TwoInstances_DistinctEventsIntoTheSameBuckets_SketchesHoldEveryEvent()
    {
        var at = DateTime.UtcNow.AddMinutes(-10);
        var sends = new List<Task>();
        var answers = new ConcurrentBag<(string EventId, string Status)>();
        foreach (var (instance, name) in new[] { (_a, "a"), (_b, "b") })
        {
            for (var c = 0; c < 3; c++)
            {
                var client = c;
                // Every batch falls into the same few buckets (one minute, two model versions, three segments).
                sends.Add(SendAsync(instance, Enumerable.Range(0, 10).Select(b =>
                    Enumerable.Range(0, 40).Select(i => Event($"sk-{name}-{client}-{b}-{i}", i + b, at, minutes: 1)).ToArray()), answers));
            }
        }
        await Task.WhenAll(sends);

        Assert.Equal(2400, answers.Count(a => a.Status == "accepted"));
        await AssertRollupsEqualRawAsync(2400);
    }

    [Fact]
    public async Task RollupApply_ConcurrentTransactionsOnNewAndExistingBuckets_CountsSketchesAndSaturationExact()
    {
        var pathId = await PathIdAsync();
        var minute = RollupKey.Floor(DateTime.UtcNow.AddMinutes(-30), 1);
        var existing = RollupKey.For(pathId, "m-old", minute);
        await ApplyAsync(_a, new() { [existing] = Delta(0, tokens: long.MaxValue - 1_000) });
        // Keys that do not exist yet: every transaction races to insert them first.
        var fresh = Enumerable.Range(0, 4).Select(i => RollupKey.For(pathId, "m-new-" + i, minute).ForSegment(i % 2 == 0 ? "" : "seg")).ToList();

        var tasks = new List<Task>();
        foreach (var instance in new[] { _a, _b })
        {
            for (var t = 0; t < 4; t++)
            {
                var worker = t;
                tasks.Add(Task.Run(async () =>
                {
                    for (var round = 0; round < 10; round++)
                    {
                        var deltas = new Dictionary<RollupKey, RollupDelta> { [existing] = Delta(worker * 10 + round, tokens: 100) };
                        // Opposite key orders in alternate rounds: the store locks in its own order.
                        foreach (var key in round % 2 == 0 ? fresh : fresh.AsEnumerable().Reverse())
                        {
                            deltas[key] = Delta(worker * 10 + round, tokens: 5);
                        }
                        await ApplyAsync(instance, deltas);
                    }
                }, Ct));
            }
        }
        await Task.WhenAll(tasks);

        var rows = await Db.QueryAsync(_a, db => db.PathRollups.AsNoTracking().Where(r => r.PathId == pathId && r.BucketStart == minute).ToListAsync(Ct));
        var old = Assert.Single(rows, r => r.ModelVersion == "m-old");
        Assert.Equal(81, old.Events);
        Assert.Equal(81, LatencySketch.FromBytes(old.Latency).Count);
        Assert.Equal(81, RollupDelta.Histogram(old.Confidence).Counts.Sum());
        Assert.Equal(long.MaxValue, old.InputTokens); // 80 × 100 more than fits: saturated, not wrapped or failed
        foreach (var key in fresh)
        {
            var row = Assert.Single(rows, r => r.ModelVersion == key.ModelVersion && r.Segment == key.Segment);
            Assert.Equal(80, row.Events);
            Assert.Equal(400, row.InputTokens);
            var expected = new LatencySketch();
            for (var v = 0; v < 40; v++)
            {
                expected.Add(Latency(v), 2); // each value once per instance
            }
            Assert.Equal(expected.ToBytes(), row.Latency);
            Assert.Equal(80, RollupDelta.Histogram(row.Confidence).Counts.Sum());
        }
    }

    [Fact]
    public async Task Compaction_WhileLateEventsArriveOnBothInstances_NothingLostOrCountedTwice()
    {
        // Minute buckets old enough to compact, written while the compaction runs over them.
        var old = DateTime.UtcNow.AddHours(-6);
        var answers = new ConcurrentBag<(string EventId, string Status)>();
        using var stop = new CancellationTokenSource();
        var compactions = 0;
        var compaction = Task.Run(async () =>
        {
            var job = _b.Services.GetRequiredService<RollupCompaction>();
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await job.CompactAsync(1, 60, RollupKey.Floor(DateTime.UtcNow.AddHours(-3), 60), Ct);
                    compactions++;
                }
                // Compaction locks its sources in id order, the writers in key order: PostgreSQL may break a
                // deadlock by failing one; the job runs again (Hangfire retries it), the writer's client resends.
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DeadlockDetected)
                {
                }
            }
        }, Ct);
        await Task.WhenAll(
            SendAsync(_a, Enumerable.Range(0, 12).Select(b => Enumerable.Range(0, 40).Select(i => Event($"late-a-{b}-{i}", i, old, minutes: 5)).ToArray()), answers),
            SendAsync(_b, Enumerable.Range(0, 12).Select(b => Enumerable.Range(0, 40).Select(i => Event($"late-b-{b}-{i}", i, old, minutes: 5)).ToArray()), answers));
        stop.Cancel();
        await compaction;
        await _a.Services.GetRequiredService<RollupCompaction>().CompactAsync(1, 60, RollupKey.Floor(DateTime.UtcNow.AddHours(-3), 60), Ct);
        Assert.True(compactions > 0);

        var pathId = await PathIdAsync();
        var dbFactory = _a.Services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync(Ct);
        var expected = await RollupRebuild.ComputeAsync(db, pathId, Ct);
        var stored = await db.PathRollups.AsNoTracking().Where(r => r.PathId == pathId).ToListAsync(Ct);
        Assert.DoesNotContain(stored, r => r.BucketMinutes == 1 && r.BucketStart < RollupKey.Floor(DateTime.UtcNow.AddHours(-3), 60));
        foreach (var segment in new[] { "", "smb", "enterprise" })
        {
            var want = Merge(expected.Where(kv => kv.Key.Segment == segment).Select(kv => kv.Value));
            var have = Merge(stored.Where(r => r.Segment == segment).Select(RollupDelta.From));
            Assert.Equal(want.Events, have.Events);
            Assert.Equal(want.Latency.ToBytes(), have.Latency.ToBytes());
            Assert.Equal(RollupDelta.HistogramBytes(want.Confidence), RollupDelta.HistogramBytes(have.Confidence));
        }
        Assert.Equal(960, Merge(stored.Where(r => r.Segment == "").Select(RollupDelta.From)).Events);
    }

    // PostgreSQL only (runs in the PostgreSQL pass, not skipped in the SQLite one): a SQLite writer has no server connection to lose.
    [Fact]
    [Trait("Provider", "PostgresOnly")]
    public async Task Postgres_WriterConnectionKilled_503WithRetryAfterThenRecoversWithoutRestart()
    {
        var client = _a.CreateClient();
        var clientB = _b.CreateClient();
        var writers = _a.Services.GetRequiredService<IngestionWriter>().WriterCount;
        Assert.Equal("accepted", (await Ingest.PostOkAsync(client, Ingest.Batch(Ingest.Event("before-kill")))).Results.Single().Status);
        Assert.Equal("duplicate", (await Ingest.PostOkAsync(clientB, Ingest.Batch(Ingest.Event("before-kill")))).Results.Single().Status);

        await using (var admin = new NpgsqlConnection(TestDatabase.ServerConnectionString))
        {
            await admin.OpenAsync(Ct);
            await using var kill = admin.CreateCommand();
            // Every writer of both instances (each holds its connection from the start): the connection is
            // gone under each, as when the server restarts.
            kill.CommandText = "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2) t";
            kill.Parameters.Add(new NpgsqlParameter { Value = _a.PostgresDatabase });
            kill.Parameters.Add(new NpgsqlParameter { Value = IngestionWriter.WriterApplicationName });
            Assert.Equal(2L * writers, await kill.ExecuteScalarAsync(Ct));
            Assert.Equal(2, writers); // the default on PostgreSQL: the retries below meet more than one writer
        }

        // Each writer finds its connection gone with the next group it writes: that group answers 503 with
        // Retry-After and opens a new connection, so a client retrying gets through after at most one 503 per writer.
        async Task<Ingest.IngestResult> RetryUntilStoredAsync(HttpClient on, System.Text.Json.Nodes.JsonNode body)
        {
            for (var attempt = 1; ; attempt++)
            {
                using var response = await Ingest.PostAsync(on, body);
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                {
                    Assert.True(attempt > 1, "the first batch after the kill was stored: the writer's lost connection went unnoticed");
                    return await Ingest.ReadOkAsync(response);
                }
                Assert.NotNull(response.Headers.RetryAfter);
                Assert.Contains("Nothing from this batch was acknowledged", await response.Content.ReadAsStringAsync(Ct));
                Assert.True(attempt <= writers, $"503 on attempt {attempt}, with {writers} writers");
            }
        }
        var retried = await RetryUntilStoredAsync(client, Ingest.Batch(Ingest.Event("after-kill"), Ingest.Event("after-kill-2")));
        Assert.Equal(["accepted", "accepted"], retried.Results.Select(r => r.Status));
        var other = await RetryUntilStoredAsync(clientB, Ingest.Batch(Ingest.Event("after-kill"), Ingest.Event("on-b")));
        Assert.Equal(["duplicate", "accepted"], other.Results.Select(r => r.Status));
        var ids = await Db.QueryAsync(_a, db => db.InferenceEvents.Where(e => e.EventId.Contains("-kill") || e.EventId == "on-b").Select(e => e.EventId).ToListAsync(Ct));
        Assert.Equal(["after-kill", "after-kill-2", "before-kill", "on-b"], ids.Order());
    }

    [Fact]
    [Trait("Provider", "PostgresOnly")]
    public async Task Postgres_CopyMeetsAStoredKey_GroupCommittedAgainSkippingIt_ThenCopyResumes()
    {
        var client = _a.CreateClient();
        var copy = _a.Services.GetRequiredService<IngestionWriter>().PostgresCopy;
        var first = await Ingest.PostOkAsync(client, Ingest.Batch(Ingest.Event("copy-1"), Ingest.Event("copy-2", confidence: 0.1)));
        Assert.Equal(["accepted", "accepted"], first.Results.Select(r => r.Status));
        Assert.Equal(0, Interlocked.Read(ref copy.FellBack));
        Assert.True(Interlocked.Read(ref copy.Copied) >= 1, "the first batch did not go in by COPY");

        // A retry of copy-2 between two new events: COPY fails on the stored key, the group goes in again
        // with the insert that skips it; nothing of the failed attempt stays.
        var retry = await Ingest.PostOkAsync(client, Ingest.Batch(Ingest.Event("copy-3", confidence: 0.1), Ingest.Event("copy-2", confidence: 0.1), Ingest.Event("copy-4")));
        Assert.Equal(["accepted", "duplicate", "accepted"], retry.Results.Select(r => r.Status));
        Assert.Equal(1, Interlocked.Read(ref copy.FellBack));

        // The next commits skip COPY; after them it is tried again.
        var copiedBefore = Interlocked.Read(ref copy.Copied);
        for (var i = 0; i < IngestionWriter.CommitsWithoutCopyAfterDuplicate + 4; i++)
        {
            Assert.Equal("accepted", (await Ingest.PostOkAsync(client, Ingest.Batch(Ingest.Event($"copy-later-{i}")))).Results.Single().Status);
        }
        Assert.True(Interlocked.Read(ref copy.Copied) > copiedBefore, "COPY was not tried again after the commits that skip it");
        Assert.Equal(1, Interlocked.Read(ref copy.FellBack));

        var stored = await Db.QueryAsync(_a, db =>
        {
            var items = db.ReviewItems;
            return db.InferenceEvents.Where(e => e.EventId.StartsWith("copy-")).OrderBy(e => e.Id)
                .Select(e => new { e.Id, e.EventId, e.Input, Item = items.Where(r => r.EventRowId == e.Id).Select(r => r.Reason).FirstOrDefault() })
                .ToListAsync(Ct);
        });
        Assert.Equal(IngestionWriter.CommitsWithoutCopyAfterDuplicate + 8, stored.Count);
        // Ids follow arrival order, COPY or not; each low-confidence event has its review item on its own row.
        Assert.Equal(["copy-1", "copy-2", "copy-3", "copy-4"], stored.Take(4).Select(e => e.EventId));
        Assert.Equal(["low_confidence", "low_confidence"], stored.Skip(1).Take(2).Select(e => e.Item));
        Assert.All(stored, e => Assert.Equal("Customer asks about refunds.", e.Input));
        var pathId = await PathIdAsync();
        var (rolledUp, events) = await Db.QueryAsync(_a, async db => (
            await db.PathRollups.Where(r => r.PathId == pathId && r.Segment == "").SumAsync(r => r.Events, Ct),
            await db.InferenceEvents.CountAsync(e => e.PathId == pathId, Ct)));
        Assert.Equal(events, rolledUp);
    }

    [Fact]
    public async Task Post_NulCharactersInEveryTextField_StoredAndCountedOtherItemsUnharmed()
    {
        var hostile = Event("nul-\u0000-1", 3, DateTime.UtcNow.AddMinutes(-2));
        hostile["input"] = "before\u0000after";
        hostile["modelVersion"] = "model\u0000x";
        hostile["outcome"] = "error";
        hostile["errorCode"] = "E\u0000";
        hostile["errorMessage"] = "failed \u0000 at 12";
        hostile["attributes"] = new JsonObject { ["segment"] = "s\u0000" };
        var body = Ingest.Batch(hostile, Ingest.Event("nul-fine"));

        // Sent through both instances at once: one stores it, the other answers duplicate.
        var answers = await Task.WhenAll(Ingest.PostOkAsync(_a.CreateClient(), body), Ingest.PostOkAsync(_b.CreateClient(), body));

        Assert.All(answers.SelectMany(a => a.Results), r => Assert.Contains(r.Status, new[] { "accepted", "duplicate" }));
        Assert.Equal(1, answers.Count(a => a.Results[0].Status == "accepted"));
        Assert.Equal(1, answers.Count(a => a.Results[1].Status == "accepted"));
        // PostgreSQL text cannot hold U+0000: it is stored as U+FFFD there; SQLite keeps it.
        var nul = TestDatabase.IsPostgres ? "\uFFFD" : "\u0000";
        var row = await Db.QueryAsync(_a, db => db.InferenceEvents.SingleAsync(e => e.EventId == "nul-" + nul + "-1", Ct));
        Assert.Equal("before" + nul + "after", row.Input);
        Assert.Equal("model" + nul + "x", row.ModelVersion);
        var patterns = await Db.QueryAsync(_a, db => db.FailurePatternDays.Where(f => f.PathId == row.PathId && f.Code == "E" + nul).ToListAsync(Ct));
        Assert.Equal(1, Assert.Single(patterns).Count);
        await AssertRollupsEqualRawAsync(2);
    }

    /// <summary>An event of the demo path: varied latency, confidence, model version and segment, in few buckets.</summary>
    private static JsonObject Event(string id, int i, DateTime at, int minutes = 3)
    {
        var e = Ingest.Event(id, path: PathSlug, confidence: i % 11 / 10.0);
        e["occurredAt"] = at.AddMinutes(-(i % minutes)).ToString("O");
        e["modelVersion"] = i % 2 == 0 ? "m-a" : "m-b";
        e["latencyMs"] = Latency(i);
        if (i % 3 > 0)
        {
            e["attributes"] = new JsonObject { ["segment"] = i % 3 == 1 ? "smb" : "enterprise" };
        }
        return e;
    }

    private static double Latency(int i) => 40 + i % 40 * 37.5;

    private static RollupDelta Delta(int i, long tokens)
    {
        var d = new RollupDelta { Events = 1, Ok = 1, InputTokens = tokens, CostUsd = 0.001 };
        d.Latency.Add(Latency(i % 40));
        d.Confidence.Add(i % 11 / 10.0);
        return d;
    }

    private static RollupDelta Merge(IEnumerable<RollupDelta> deltas)
    {
        var sum = new RollupDelta();
        foreach (var d in deltas)
        {
            sum.Events += d.Events;
            sum.Latency.Merge(d.Latency);
            sum.Confidence.Merge(d.Confidence);
        }
        return sum;
    }

    private static async Task ApplyAsync(OpsConsoleFactory instance, Dictionary<RollupKey, RollupDelta> deltas)
    {
        var dbFactory = instance.Services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync(Ct);
        // No retry: buckets are locked in one order, so these transactions never deadlock.
        await using var tx = await db.Database.BeginTransactionAsync(Ct);
        RollupCounting.Apply(db, deltas);
        await tx.CommitAsync(Ct);
    }

    private Task<int> PathIdAsync() => Db.QueryAsync(_a, db => db.Paths.Where(p => p.Slug == PathSlug).Select(p => p.Id).SingleAsync(Ct));

    /// <summary>Posts each batch, resending it after a 503 (storage busy) as a client must; records every item's answer.</summary>
    private async Task SendAsync(OpsConsoleFactory instance, IEnumerable<JsonNode[]> batches, ConcurrentBag<(string EventId, string Status)> answers)
    {
        await Task.Yield();
        using var client = instance.CreateClient();
        foreach (var batch in batches)
        {
            for (var attempt = 1; ; attempt++)
            {
                using var response = await Ingest.PostAsync(client, Ingest.Batch(batch));
                var text = await response.Content.ReadAsStringAsync(Ct);
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 10)
                {
                    Interlocked.Increment(ref _busy);
                    await Task.Delay(20 * attempt, Ct);
                    continue;
                }
                Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
                foreach (var r in JsonSerializer.Deserialize<Ingest.IngestResult>(text, JsonSerializerOptions.Web)!.Results)
                {
                    answers.Add((r.EventId!, r.Status));
                }
                break;
            }
        }
    }

    /// <summary>
    /// The path's buckets as the writers left them equal buckets recomputed from the stored events,
    /// sketch bytes included, and the whole-path latency sketches count <paramref name="events"/>.
    /// </summary>
    private async Task AssertRollupsEqualRawAsync(long events)
    {
        var pathId = await PathIdAsync();
        var dbFactory = _a.Services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync(Ct);
        // Segments come from the stored JSON, where U+0000 is still an escape: on PostgreSQL the bucket holds U+FFFD.
        var expected = (await RollupRebuild.ComputeAsync(db, pathId, Ct)).ToDictionary(
            kv => TestDatabase.IsPostgres ? kv.Key with { Segment = kv.Key.Segment.Replace('\0', '\uFFFD') } : kv.Key, kv => kv.Value);
        var stored = await db.PathRollups.AsNoTracking().Where(x => x.PathId == pathId).ToListAsync(Ct);
        Assert.Equal(expected.Count, stored.Count);
        foreach (var row in stored)
        {
            var e = expected[new RollupKey(row.PathId, row.ModelVersion, row.BucketStart, row.Segment)];
            Assert.Equal(
                (e.Events, e.Ok, e.Errors, e.Timeouts, e.Fallbacks, e.InputTokens, e.OutputTokens, e.RoutedLowConfidence, e.RoutedError, e.RoutedQaSample),
                (row.Events, row.Ok, row.Errors, row.Timeouts, row.Fallbacks, row.InputTokens, row.OutputTokens, row.RoutedLowConfidence, row.RoutedError, row.RoutedQaSample));
            Assert.Equal(e.CostUsd, row.CostUsd, 9);
            Assert.Equal(e.Latency.ToBytes(), row.Latency);
            Assert.Equal(RollupDelta.HistogramBytes(e.Confidence), row.Confidence);
            Assert.Equal(row.Events, LatencySketch.FromBytes(row.Latency).Count);
        }
        Assert.Equal(events, stored.Where(r => r.Segment == "").Sum(r => LatencySketch.FromBytes(r.Latency).Count));
        TestContext.Current.SendDiagnosticMessage($"{_busy} answers of 503 (storage busy) were retried");
    }
}
