using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using OpsConsole.Tests.Infrastructure;

namespace OpsConsole.Tests.Features.Ingestion;

/// <summary>Nothing acknowledged may be lost: SIGKILL the console mid-stream and look at the file it leaves.</summary>
[Trait("Category", "Integration")]
[Trait("Provider", "SqliteOnly")] // reads the SQLite file the killed process left
public sealed class IngestionCrashTests
{
    [Fact]
    public async Task Kill9MidStream_EveryAcceptedEventPresentExactlyOnceAfterRestart()
    {
        var ct = TestContext.Current.CancellationToken;
        var dir = Directory.CreateTempSubdirectory("opsconsole-crash");
        var db = Path.Combine(dir.FullName, "crash.db");
        var accepted = new ConcurrentBag<string>();
        var sent = new ConcurrentBag<JsonObject>();
        var failedRequests = 0;
        try
        {
            var app = await ConsoleProcess.StartAsync(db, new Dictionary<string, string>
            {
                ["OpsConsole__Ingestion__RequestsPerSecond"] = "100000",
                ["OpsConsole__Ingestion__Burst"] = "100000",
            });
            await using (app)
            {
                using var stop = new CancellationTokenSource();
                async Task StreamAsync(int worker)
                {
                    using var client = app.CreateClient();
                    for (var batch = 0; !stop.IsCancellationRequested && batch < 10_000; batch++)
                    {
                        var body = Ingest.Batch(Enumerable.Range(0, 50)
                            .Select(i => (JsonNode)Ingest.Event($"crash-{worker}-{batch}-{i}", path: "invoice-field-extraction", confidence: i % 7 / 7.0)).ToArray());
                        sent.Add(body);
                        try
                        {
                            using var response = await client.SendAsync(Ingest.Request(body.ToJsonString()));
                            if (!response.IsSuccessStatusCode)
                            {
                                Interlocked.Increment(ref failedRequests);
                                continue;
                            }
                            var result = JsonSerializer.Deserialize<Ingest.IngestResult>(await response.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)!;
                            foreach (var r in result.Results.Where(r => r.Status == "accepted"))
                            {
                                accepted.Add(r.EventId!);
                            }
                        }
                        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                        {
                            // The process died under this request: its fate is unknown to the client, so it is not counted.
                            Interlocked.Increment(ref failedRequests);
                            return;
                        }
                    }
                }

                var workers = Enumerable.Range(0, 3).Select(w => Task.Run(() => StreamAsync(w), ct)).ToArray();
                // Let a few thousand events through, then pull the plug while requests are in flight.
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (accepted.Count < 3000 && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(20, ct);
                }
                await app.KillHardAsync();
                stop.Cancel();
                await Task.WhenAll(workers);
            }
            Assert.True(accepted.Count >= 3000, $"only {accepted.Count} accepted before the kill");
            Assert.True(failedRequests >= 1, "the kill should have cut at least one request short");

            // Restart on the same file: the console must come up (WAL recovery) and hold every acknowledged event once.
            await using var restarted = await ConsoleProcess.StartAsync(db);
            var stored = await StoredCountsAsync(db, ct);
            var missing = accepted.Where(id => !stored.ContainsKey(id)).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} acknowledged events lost, e.g. {string.Join(", ", missing.Take(5))}");
            Assert.All(stored.Values, n => Assert.Equal(1, n));

            // A client retrying everything it sent now hears "duplicate" for what was stored and "accepted" for the rest.
            using var client2 = restarted.CreateClient();
            var replayAccepted = 0;
            foreach (var body in sent)
            {
                var result = await Ingest.PostOkAsync(client2, body);
                Assert.Equal(0, result.Rejected);
                replayAccepted += result.Accepted;
            }
            var after = await StoredCountsAsync(db, ct);
            Assert.Equal(sent.Count * 50, after.Count);
            Assert.Equal(after.Count - stored.Count, replayAccepted);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            dir.Delete(recursive: true);
        }
    }

    private static async Task<Dictionary<string, int>> StoredCountsAsync(string db, CancellationToken ct)
    {
        await using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(ct);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT EventId, COUNT(*) FROM InferenceEvents WHERE EventId LIKE 'crash-%' GROUP BY EventId";
        var counts = new Dictionary<string, int>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            counts[reader.GetString(0)] = reader.GetInt32(1);
        }
        return counts;
    }
}
