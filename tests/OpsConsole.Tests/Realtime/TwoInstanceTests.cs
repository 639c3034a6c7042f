using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpsConsole.Client;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Decisions;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Realtime;
using StackExchange.Redis;

namespace OpsConsole.Tests.Realtime;

/// <summary>
/// Two console instances on one PostgreSQL database, as behind a load balancer: what happens on A
/// reaches B's views, caches, hub clients and client-library instances. Run once with the Redis
/// backplane and bus (<see cref="RedisTwoInstanceTests"/>) and once with PostgreSQL LISTEN/NOTIFY
/// and no Redis (<see cref="ListenNotifyTwoInstanceTests"/>).
/// </summary>
[Trait("Category", "Integration")]
[Trait("Provider", "PostgresOnly")]
public abstract class TwoInstanceTests : IAsyncLifetime
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private const string Path = "invoice-field-extraction";

    protected ClusterInstance A { get; private set; } = null!;
    protected ClusterInstance B { get; private set; } = null!;

    /// <summary>The Redis connection of both instances; null for LISTEN/NOTIFY.</summary>
    protected abstract string? Redis { get; }

    public ValueTask InitializeAsync()
    {
        if (!TestDatabase.IsPostgres)
        {
            return ValueTask.CompletedTask;
        }
        A = new ClusterInstance(null, Redis).Start();
        B = new ClusterInstance(A.DatabasePath, Redis).Start();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        // B first: A created the database and drops it.
        if (B is not null)
        {
            await B.DisposeAsync(keepDatabase: true);
        }
        if (A is not null)
        {
            await A.DisposeAsync();
        }
    }

    private async Task BothConnectedAsync() =>
        await ClusterServers.UntilAsync(() => A.Bus.IsConnected && B.Bus.IsConnected, TimeSpan.FromSeconds(15), "both buses to connect");

    [Fact]
    public async Task KillSwitch_FlippedOnA_ClientConnectedToBSeesItWithinASecond()
    {
        ClusterServers.RequirePostgres();
        await BothConnectedAsync();
        await using var client = await OpsConsoleClient.StartAsync(new OpsConsoleClientOptions
        {
            BaseUrl = B.Address,
            ApiKey = Ingest.DemoKey,
            UsePush = true,
            // Only push can bring the news within the test.
            RefreshInterval = TimeSpan.FromMinutes(10),
        }, Ct);
        await ClusterServers.UntilAsync(() => client.HasSnapshot && client.PushState == HubConnectionState.Connected, TimeSpan.FromSeconds(15), "snapshot and push");
        Assert.True(client.IsEnabled(Path, "u-1"));

        var oncall = await Principals.ForAsync(A, TestUsers.OnCall);
        await WarmUpAsync(oncall);
        var heardOnB = TimeSpan.Zero;
        var flipped = Stopwatch.StartNew();
        B.Get<ConfigChangeNotifier>().Changed += c => heardOnB = heardOnB == TimeSpan.Zero && c.Slug == Path ? flipped.Elapsed : heardOnB;
        Assert.True((await A.Get<ControlsService>().SetKillSwitchAsync(Path, true, null, "bad totals", oncall, Ct)).Succeeded);
        var committed = flipped.Elapsed;
        await ClusterServers.UntilAsync(() => !client.IsEnabled(Path, "u-1"), TimeSpan.FromSeconds(5), "the kill switch to reach the client on B");

        ClusterServers.Report($"kill switch on A (committed after {committed.TotalMilliseconds:0} ms) -> B's notifier: {heardOnB.TotalMilliseconds:0} ms -> client on B: {flipped.Elapsed.TotalMilliseconds:0} ms");
        Assert.InRange(flipped.Elapsed, TimeSpan.Zero, Second);
        Assert.Equal(DecisionReasons.KillSwitch, client.Decide(Path, "u-1").Reason);
        // B's own decision endpoint agrees (its path snapshot was dropped too).
        using var http = B.Http(Ingest.DemoKey);
        var decision = await http.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{Path}/decision?unit=u-1", Ct);
        Assert.False(decision.GetProperty("enabled").GetBoolean());
    }

    /// <summary>
    /// A change on another path first, heard on B: the first write of a fresh instance pays for
    /// compiling its queries and opening connections, which is not what the figures are about.
    /// </summary>
    private async Task WarmUpAsync(System.Security.Claims.ClaimsPrincipal oncall)
    {
        var heard = false;
        void OnChange(ConfigChange c) => heard |= c.Slug == "ticket-triage";
        B.Get<ConfigChangeNotifier>().Changed += OnChange;
        Assert.True((await A.Get<ControlsService>().SetKillSwitchAsync("ticket-triage", true, null, "warm-up", oncall, Ct)).Succeeded);
        await ClusterServers.UntilAsync(() => heard, TimeSpan.FromSeconds(5), "the warm-up change on B");
        B.Get<ConfigChangeNotifier>().Changed -= OnChange;
    }

    [Fact]
    public async Task ApiKey_RevokedOnA_RefusedByBWithinASecond()
    {
        ClusterServers.RequirePostgres();
        await BothConnectedAsync();
        var admin = await Principals.ForAsync(A, TestUsers.Admin);
        var created = await A.Get<ApiKeyService>().CreateAsync(
            new ApiKeyInput { Name = "cluster-test", Scopes = [ApiScopes.DecisionsRead], PathSlugs = [Path] }, admin, Ct);
        Assert.True(created.Succeeded);
        await WarmUpAsync(await Principals.ForAsync(A, TestUsers.OnCall));
        using var http = B.Http(created.Value!.Secret);
        var url = $"/api/v1/paths/{Path}/decision?unit=u-1";
        // B caches the key now (the answer would stay good for ApiKeyStore.MaxAge without the bus).
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(url, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(url, Ct)).StatusCode);

        var forgotten = TimeSpan.Zero;
        var revoking = Stopwatch.StartNew();
        B.Get<ApiKeyChangeNotifier>().Changed += id => forgotten = id == created.Value.Key.Id ? revoking.Elapsed : forgotten;
        Assert.True((await A.Get<ApiKeyService>().RevokeAsync(created.Value.Key.Id, admin, Ct)).Succeeded);
        var committed = revoking.Elapsed;
        var revoked = Stopwatch.StartNew();
        var requests = 0;
        await ClusterServers.UntilAsync(async () =>
        {
            requests++;
            using var response = await http.GetAsync(url, Ct);
            return response.StatusCode == HttpStatusCode.Unauthorized;
        }, TimeSpan.FromSeconds(5), "B to refuse the revoked key");

        ClusterServers.Report($"key revoked on A (committed after {committed.TotalMilliseconds:0} ms) -> B forgets it: {forgotten.TotalMilliseconds:0} ms; "
            + $"revoke returned -> first 401 on B: {revoked.Elapsed.TotalMilliseconds:0} ms ({requests} requests)");
        Assert.InRange(revoked.Elapsed, TimeSpan.Zero, Second);
        // And it stays refused, also on the events API and the hub.
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(url, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/v1/config", Ct)).StatusCode);
    }

    [Fact]
    public async Task ReviewClaim_OnA_RaisesBsNotifierAndReachesBsHubClientExactlyOnce()
    {
        ClusterServers.RequirePostgres();
        await BothConnectedAsync();
        var item = await NewReviewItemAsync();
        var heard = new ConcurrentQueue<ReviewChange>();
        B.Get<ReviewNotifier>().Changed += changes =>
        {
            foreach (var c in changes)
            {
                heard.Enqueue(c);
            }
        };
        var pushed = new ConcurrentQueue<ReviewChange>();
        var cookie = await B.CookieAsync(TestUsers.Reviewer);
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(B.Address, OpsHub.Path), o => o.Headers["Cookie"] = cookie)
            .Build();
        hub.On<IReadOnlyList<ReviewChange>>(nameof(IOpsClient.ReviewChanged), changes =>
        {
            foreach (var c in changes)
            {
                pushed.Enqueue(c);
            }
        });
        await hub.StartAsync(Ct);
        Assert.True(await hub.InvokeAsync<bool>(nameof(OpsHub.JoinReview), "support-reply-draft", Ct));

        var reviewer = await Principals.ForAsync(A, TestUsers.Reviewer);
        // A first claim, heard on B, pays for compiling the claim's queries on a fresh instance.
        var first = await NewReviewItemAsync();
        Assert.True((await A.Get<ReviewQueueService>().ClaimAsync(first, reviewer, Ct)).Succeeded);
        await ClusterServers.UntilAsync(() => heard.Any(c => c.ItemId == first) && pushed.Any(c => c.ItemId == first), TimeSpan.FromSeconds(5), "the first claim on B");
        var claimed = Stopwatch.StartNew();
        Assert.True((await A.Get<ReviewQueueService>().ClaimAsync(item, reviewer, Ct)).Succeeded);
        await ClusterServers.UntilAsync(() => heard.Any(c => c.ItemId == item), TimeSpan.FromSeconds(5), "B's review notifier");
        var toNotifier = claimed.Elapsed;
        await ClusterServers.UntilAsync(() => pushed.Any(c => c.ItemId == item), TimeSpan.FromSeconds(5), "B's hub client");
        ClusterServers.Report($"claim on A -> B's ReviewNotifier: {toNotifier.TotalMilliseconds:0} ms, -> hub client on B: {claimed.Elapsed.TotalMilliseconds:0} ms");
        Assert.InRange(toNotifier, TimeSpan.Zero, Second);

        var change = Assert.Single(heard, c => c.ItemId == item);
        Assert.Equal((ReviewChange.Claimed, ReviewStatuses.Claimed), (change.Kind, change.Status));
        Assert.Equal(reviewer.Identity!.Name, change.ClaimedBy);
        // With the backplane, A's push reached B's client and B must not push again; without it only B pushes.
        await Task.Delay(Second, Ct);
        Assert.Single(pushed, c => c.ItemId == item);
        Assert.Single(heard, c => c.ItemId == item);
        Assert.Single(pushed, c => c.ItemId == first);
    }

    [Fact]
    public async Task LargeBatch_PublishedOnA_ArrivesWholeAndInOrderOnB()
    {
        ClusterServers.RequirePostgres();
        await BothConnectedAsync();
        var heard = new ConcurrentQueue<ReviewChange>();
        B.Get<ReviewNotifier>().Changed += changes =>
        {
            foreach (var c in changes)
            {
                heard.Enqueue(c);
            }
        };
        // Far more than the 8000 bytes one NOTIFY may carry; a path nobody watches.
        var batch = Enumerable.Range(1, 2_000)
            .Select(i => new ReviewChange(int.MaxValue, i, ReviewChange.Added, ReviewStatuses.Pending, At: DateTime.UtcNow)).ToList();

        A.Get<ReviewNotifier>().Publish(batch);

        await ClusterServers.UntilAsync(() => heard.Count >= batch.Count, TimeSpan.FromSeconds(10), "the whole batch on B");
        Assert.Equal(batch.Select(c => c.ItemId), heard.Select(c => c.ItemId));
        Assert.Equal(0, B.Bus.DroppedCount);
    }

    [Fact]
    public async Task HostileMessages_OnTheTransport_DroppedAndBKeepsListening()
    {
        ClusterServers.RequirePostgres();
        await BothConnectedAsync();
        var heard = new ConcurrentQueue<long>();
        B.Get<IncidentNotifier>().Changed += heard.Enqueue;
        string[] hostile =
        [
            "not json",
            """{"v":1,"from":"intruder","n":"IncidentNotifier","d":"12"}""",
            """{"v":1,"from":"intruder","n":"IncidentNotifier","d":null}""",
            """{"v":1,"from":"intruder","from":"x","n":"IncidentNotifier","d":1}""",
            """{"v":1,"from":"intruder","n":"ReviewNotifier","d":[{"pathId":1}]}""",
            """{"v":1,"from":"intruder","n":"ConfigChangeNotifier","d":{"slug":null,"configVersion":1}}""",
            """{"v":1,"from":"intruder","n":"IncidentNotifier","d":""" + new string('[', 100) + new string(']', 100) + "}",
            """{"v":1,"from":"intruder","n":"IncidentNotifier","d":1""",
        ];
        var valid = """{"v":1,"from":"intruder","n":"IncidentNotifier","d":4242}""";

        await SendRawAsync([.. hostile, valid]);

        await ClusterServers.UntilAsync(() => heard.Contains(4242), TimeSpan.FromSeconds(5), "the valid message after the hostile ones");
        Assert.Equal(hostile.Length, B.Bus.DroppedCount);
        Assert.Equal([4242L], heard);
        // B still hears A afterwards.
        A.Get<IncidentNotifier>().Publish(7);
        await ClusterServers.UntilAsync(() => heard.Contains(7), TimeSpan.FromSeconds(5), "A's change after the hostile ones");
        Assert.True(B.Logs.Count(LogLevel.Warning, "cluster bus message") >= 1);
    }

    [Fact]
    public async Task Backplane_ChosenByConfiguration_AndLoggedOnceAtStart()
    {
        ClusterServers.RequirePostgres();
        var manager = B.Get<HubLifetimeManager<ConfigHub>>();
        if (Redis is null)
        {
            Assert.IsType<PostgresClusterBus>(B.Bus);
            Assert.IsType<DefaultHubLifetimeManager<ConfigHub>>(manager);
            Assert.Equal(1, B.Logs.Count(LogLevel.Warning, "backplane is off"));
        }
        else
        {
            Assert.IsType<RedisClusterBus>(B.Bus);
            Assert.IsType<RedisHubLifetimeManager<ConfigHub>>(manager);
            Assert.IsType<RedisHubLifetimeManager<OpsHub>>(B.Get<HubLifetimeManager<OpsHub>>());
            Assert.Equal(1, B.Logs.Count(LogLevel.Information, "Redis backplane on"));
            Assert.Equal(0, B.Logs.Count(LogLevel.Warning, "backplane is off"));
        }
        // Hubs not named by a feature (Blazor's circuits) stay in process either way.
        Assert.IsType<DefaultHubLifetimeManager<UnsharedHub>>(B.Get<HubLifetimeManager<UnsharedHub>>());
        Assert.NotEqual(A.Bus.InstanceId, B.Bus.InstanceId);
        await Task.CompletedTask;
    }

    public sealed class UnsharedHub : Hub;

    private async Task SendRawAsync(IReadOnlyList<string> messages)
    {
        if (Redis is { } redis)
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
            foreach (var m in messages)
            {
                await connection.GetSubscriber().PublishAsync(RedisClusterBus.Channel, Encoding.UTF8.GetBytes(m));
            }
            return;
        }
        await using var db = new NpgsqlConnection(TestDatabase.PostgresConnectionString(A.PostgresDatabase!));
        await db.OpenAsync(Ct);
        foreach (var m in messages)
        {
            await using var cmd = new NpgsqlCommand("SELECT pg_notify($1, $2)", db) { Parameters = { new() { Value = PostgresClusterBus.Channel }, new() { Value = m } } };
            await cmd.ExecuteNonQueryAsync(Ct);
        }
    }

    /// <summary>A pending review item written straight to the database (ingestion is not what is tested here).</summary>
    private async Task<long> NewReviewItemAsync()
    {
        await using var db = await A.Get<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
        var pathId = await db.Paths.Where(p => p.Slug == "support-reply-draft").Select(p => p.Id).SingleAsync(Ct);
        var now = DateTime.UtcNow;
        var e = new OpsConsole.Web.Features.Events.InferenceEvent
        {
            PathId = pathId,
            EventId = "cluster-" + Guid.NewGuid().ToString("N"),
            OccurredAt = now,
            ReceivedAt = now,
            Output = "draft",
            Confidence = 0.1,
            ReviewReason = "low_confidence",
        };
        db.InferenceEvents.Add(e);
        await db.SaveChangesAsync(Ct);
        var item = new ReviewItem { PathId = pathId, EventRowId = e.Id, Reason = "low_confidence", Priority = 90, CreatedAt = now, DueAt = now.AddHours(1) };
        db.ReviewItems.Add(item);
        await db.SaveChangesAsync(Ct);
        return item.Id;
    }
}

/// <summary>Two instances with the Redis backplane and the Redis bus.</summary>
[Trait("Category", "Integration")]
[Trait("Provider", "PostgresOnly")]
public sealed class RedisTwoInstanceTests : TwoInstanceTests
{
    private readonly string? _redis = TestDatabase.IsPostgres ? ClusterServers.Redis() : null;

    protected override string? Redis => _redis;
}

/// <summary>Two instances without Redis: PostgreSQL LISTEN/NOTIFY carries the changes, each instance pushes to its own hub clients.</summary>
[Trait("Category", "Integration")]
[Trait("Provider", "PostgresOnly")]
public sealed class ListenNotifyTwoInstanceTests : TwoInstanceTests
{
    protected override string? Redis => null;
}
