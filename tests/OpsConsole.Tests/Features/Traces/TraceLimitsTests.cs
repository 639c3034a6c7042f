using System.Net;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Otlp;
using OpsConsole.Web.Features.Otlp.Proto;
using static OpsConsole.Tests.Features.Traces.OtlpBuilder;

namespace OpsConsole.Tests.Features.Traces;

/// <summary>The answers of <c>POST /v1/traces</c> that need settings of their own: the key's rate limit and a locked database.</summary>
[Trait("Category", "Integration")]
public sealed class TraceLimitsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ExportTraceServiceRequest OneChat(ByteString trace) =>
        Request("svc", [Span(trace, "chat", "chat", attributes: [Attr(SpanMapper.PathAttribute, "support-reply-draft"), Attr("opsconsole.confidence", 0.9)])]);

    [Fact]
    public async Task Post_OverPerKeyRateLimit_429WithRetryAfter()
    {
        await using var factory = new OpsConsoleFactory()
            .With("OpsConsole:Ingestion:RequestsPerSecond", "1")
            .With("OpsConsole:Ingestion:Burst", "2");
        var client = factory.CreateClient();
        var statuses = new List<HttpStatusCode>();
        TimeSpan? retryAfter = null;
        for (var i = 0; i < 6 && retryAfter is null; i++)
        {
            using var response = await client.SendAsync(Post(OneChat(Id(16)).ToByteArray(), Ingest.DemoKey), Ct);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                retryAfter = response.Headers.RetryAfter?.Delta;
            }
        }
        Assert.True(statuses.Count >= 3 && statuses[0] == HttpStatusCode.OK, string.Join(",", statuses));
        Assert.True(retryAfter >= TimeSpan.FromSeconds(1), string.Join(",", statuses));
    }

    [Fact]
    public async Task Post_DatabaseLockedByAnotherWriter_503WithRetryAfterWithinBound_ThenTheSameExportIsStoredOnce()
    {
        await using var factory = new OpsConsoleFactory()
            .With("OpsConsole:Ingestion:BusyTimeoutMs", "300")
            .With("OpsConsole:Ingestion:MaxWaitMs", "2000");
        var client = factory.CreateClient();
        var trace = Id(16);
        var body = OneChat(trace).ToByteArray();

        System.Data.Common.DbConnection blocker;
        System.Data.Common.DbTransaction tx;
        if (TestDatabase.IsPostgres)
        {
            blocker = new Npgsql.NpgsqlConnection(TestDatabase.PostgresConnectionString(factory.PostgresDatabase!));
            await blocker.OpenAsync(Ct);
            tx = await blocker.BeginTransactionAsync(Ct);
            await using var lockTable = blocker.CreateCommand();
            lockTable.CommandText = "LOCK TABLE \"TraceSpans\" IN EXCLUSIVE MODE";
            await lockTable.ExecuteNonQueryAsync(Ct);
        }
        else
        {
            var sqlite = new SqliteConnection(factory.ConnectionString);
            blocker = sqlite;
            await sqlite.OpenAsync(Ct);
            tx = sqlite.BeginTransaction(deferred: false);
        }
        await using var disposeBlocker = blocker;
        await using var disposeTx = tx;
        var started = System.Diagnostics.Stopwatch.StartNew();
        using (var response = await client.SendAsync(Post(body, Ingest.DemoKey), Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.Equal(14, RpcStatus.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Ct)).Code);
        }
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(15), $"took {started.Elapsed}");
        await tx.RollbackAsync(Ct);

        using (var retry = await client.SendAsync(Post(body, Ingest.DemoKey), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        }
        var traceId = Convert.ToHexStringLower(trace.Span);
        var counts = await Db.QueryAsync(factory, async db => (
            await db.Set<Web.Features.Traces.TraceSpan>().CountAsync(s => s.TraceId == traceId, Ct),
            await db.Set<Web.Features.Events.InferenceEvent>().CountAsync(e => e.TraceId == traceId, Ct)));
        Assert.Equal((1, 1), counts);
    }
}
