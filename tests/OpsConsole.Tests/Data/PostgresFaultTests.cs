using System.Net;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Tests.Data;

/// <summary>
/// PostgreSQL lost while the console runs: readiness says so (503), ingestion answers 503 with
/// Retry-After instead of accepting what it cannot store, every event acknowledged before is still
/// there afterwards, and the console recovers when the server is back, without a restart.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Provider", "PostgresOnly")]
public sealed class PostgresFaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PostgresLostWhileRunning_Ready503_Ingestion503WithRetryAfter_RecoversWithoutRestart_NothingAcknowledgedLost()
    {
        await using var servers = await PrivateServers.StartAsync();
        await using var factory = new OpsConsoleFactory()
            .With("ConnectionStrings:OpsConsole", servers.Postgres + ";Timeout=3;Command Timeout=5")
            .With("OpsConsole:Ingestion:MaxWaitMs", "4000");
        var client = factory.CreateClient();
        var acknowledged = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var id = $"before-{i}";
            await Ingest.PostOkAsync(client, Ingest.Batch(Ingest.Event(id)));
            acknowledged.Add(id);
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready", Ct)).StatusCode);

        await servers.StopPostgresAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready", Ct)).StatusCode);
        using (var refused = await Ingest.PostAsync(client, Ingest.Batch(Ingest.Event("during-outage"))))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "Retry-After tells the client when to come back");
        }

        await servers.StartPostgresAsync();

        // Recovery without a restart: ready again, and the client's retry of the refused event is stored.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await client.GetAsync("/health/ready", Ct)).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "/health/ready did not recover within 60 s");
            await Task.Delay(250, Ct);
        }
        HttpResponseMessage retried;
        do
        {
            retried = await Ingest.PostAsync(client, Ingest.Batch(Ingest.Event("during-outage")));
            Assert.True(DateTime.UtcNow < deadline, "ingestion did not recover within 60 s: " + retried.StatusCode);
        }
        while (retried.StatusCode == HttpStatusCode.ServiceUnavailable && await Delay());
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        acknowledged.Add("during-outage");

        var stored = await Db.QueryAsync(factory, db => db.InferenceEvents.Select(e => e.EventId).ToListAsync(Ct));
        Assert.Equal(acknowledged.Order(), stored.Where(acknowledged.Contains).Order());
        Assert.Equal(stored.Count, stored.Distinct().Count());
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(250, Ct);
        return true;
    }
}
