using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using OpsConsole.Client;
using Microsoft.Extensions.Logging;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Realtime;

namespace OpsConsole.Tests.Realtime;

/// <summary>
/// Redis stops while two instances run (<c>redis-cli shutdown nosave</c> on a Redis of the test's
/// own) and comes back on the same port: each instance keeps serving on its own and logs the loss
/// once, and once Redis is back they hear each other again and catch up on what they missed.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Provider", "PostgresOnly")]
public sealed class RedisOutageTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Path = "invoice-field-extraction";
    private const string LostLine = "cluster bus (Redis pub/sub) is lost";
    private const string BackLine = "cluster bus (Redis pub/sub) is back";

    private readonly OwnRedis _redis = new();
    private ClusterInstance _a = null!;
    private ClusterInstance _b = null!;

    public async ValueTask InitializeAsync()
    {
        if (!TestDatabase.IsPostgres)
        {
            return;
        }
        await _redis.StartAsync();
        _a = new ClusterInstance(null, _redis.Connection).Start();
        _b = new ClusterInstance(_a.DatabasePath, _redis.Connection).Start();
    }

    public async ValueTask DisposeAsync()
    {
        if (_b is not null)
        {
            await _b.DisposeAsync(keepDatabase: true);
        }
        if (_a is not null)
        {
            await _a.DisposeAsync();
        }
        await _redis.DisposeAsync();
    }

    private static async Task<bool> EnabledAsync(ClusterInstance instance)
    {
        using var http = instance.Http(Ingest.DemoKey);
        var decision = await http.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{Path}/decision?unit=u-1", Ct);
        return decision.GetProperty("enabled").GetBoolean();
    }

    [Fact]
    public async Task RedisStopsAndReturns_InstancesServeAlone_LogOnce_ThenCatchUp()
    {
        ClusterServers.RequirePostgres();
        await ClusterServers.UntilAsync(() => _a.Bus.IsConnected && _b.Bus.IsConnected, TimeSpan.FromSeconds(15), "both buses");
        var admin = await Principals.ForAsync(_a, TestUsers.Admin);
        var oncall = await Principals.ForAsync(_a, TestUsers.OnCall);
        var keys = _a.Get<ApiKeyService>();
        var key = (await keys.CreateAsync(new ApiKeyInput { Name = "outage", Scopes = [ApiScopes.DecisionsRead], PathSlugs = [Path] }, admin, Ct)).Value!;
        using var keyOnB = _b.Http(key.Secret);
        var url = $"/api/v1/paths/{Path}/decision?unit=u-1";
        Assert.Equal(HttpStatusCode.OK, (await keyOnB.GetAsync(url, Ct)).StatusCode);
        Assert.True(await EnabledAsync(_b));
        await using var client = await OpsConsoleClient.StartAsync(new OpsConsoleClientOptions
        {
            BaseUrl = _b.Address,
            ApiKey = Ingest.DemoKey,
            UsePush = true,
            RefreshInterval = TimeSpan.FromMinutes(10),
        }, Ct);
        await ClusterServers.UntilAsync(() => client.HasSnapshot && client.PushState == HubConnectionState.Connected, TimeSpan.FromSeconds(15), "the client on B");
        Assert.True(client.IsEnabled(Path, "u-1"));

        await _redis.ShutdownAsync();
        var down = Stopwatch.StartNew();
        await ClusterServers.UntilAsync(() => !_a.Bus.IsConnected && !_b.Bus.IsConnected, TimeSpan.FromSeconds(15), "both instances to notice");
        ClusterServers.Report($"Redis shut down -> both buses report it: {down.Elapsed.TotalMilliseconds:0} ms");

        // A keeps working on its own: its views hear its changes at once and its decisions answer.
        var heardOnA = new ConcurrentQueue<long>();
        _a.Get<IncidentNotifier>().Changed += heardOnA.Enqueue;
        var published = Stopwatch.StartNew();
        _a.Get<IncidentNotifier>().Publish(31);
        Assert.InRange(published.Elapsed, TimeSpan.Zero, TimeSpan.FromMilliseconds(200));
        Assert.Equal([31L], heardOnA);
        Assert.True((await _a.Get<ControlsService>().SetKillSwitchAsync(Path, true, null, "during the outage", oncall, Ct)).Succeeded);
        Assert.False(await EnabledAsync(_a));
        Assert.True((await keys.RevokeAsync(key.Key.Id, admin, Ct)).Succeeded);
        // B serves too, from what it knows (its key cache: the revocation on A could not reach it).
        Assert.Equal(HttpStatusCode.OK, (await keyOnB.GetAsync(url, Ct)).StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(2), Ct); // reconnect attempts fail meanwhile
        Assert.Equal(HttpStatusCode.OK, (await keyOnB.GetAsync(url, Ct)).StatusCode);

        await _redis.StartAsync();
        var back = Stopwatch.StartNew();
        await ClusterServers.UntilAsync(() => _a.Bus.IsConnected && _b.Bus.IsConnected, TimeSpan.FromSeconds(30), "both buses to reconnect");
        var reconnected = back.Elapsed;
        // B dropped its caches on reconnecting: the key revoked during the outage is refused now, long
        // before ApiKeyStore.MaxAge would have let it go.
        await ClusterServers.UntilAsync(async () => (await keyOnB.GetAsync(url, Ct)).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(3), "B to drop the key revoked during the outage");
        Assert.False(await EnabledAsync(_b));
        // The client connected to B missed the push of the kill switch; it is told to fetch again.
        await ClusterServers.UntilAsync(() => !client.IsEnabled(Path, "u-1"), TimeSpan.FromSeconds(10), "the client on B to catch up");
        var clientCaughtUp = back.Elapsed;
        ClusterServers.Report($"Redis back -> both buses connected: {reconnected.TotalMilliseconds:0} ms; -> key refused on B and client caught up: {clientCaughtUp.TotalMilliseconds:0} ms");

        // And they hear each other again.
        var heardOnB = new ConcurrentQueue<long>();
        _b.Get<IncidentNotifier>().Changed += heardOnB.Enqueue;
        var again = Stopwatch.StartNew();
        _a.Get<IncidentNotifier>().Publish(32);
        await ClusterServers.UntilAsync(() => heardOnB.Contains(32), TimeSpan.FromSeconds(5), "B to hear A again");
        Assert.InRange(again.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1));

        foreach (var instance in new[] { _a, _b })
        {
            Assert.Equal(1, instance.Logs.Count(LogLevel.Warning, LostLine));
            Assert.Equal(1, instance.Logs.Count(LogLevel.Information, BackLine));
        }
    }
}
