using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Client;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Controls;

namespace OpsConsole.Tests.Features.Controls;

/// <summary>
/// The client library against the real console on Kestrel (real sockets, WebSockets for push):
/// push, the last snapshot when the console goes away, and the sender under rate limiting.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ClientAgainstConsoleTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly OpsConsoleFactory _factory = new();
    private Uri _baseUrl = null!;

    public ValueTask InitializeAsync()
    {
        // A low per-key rate limit, so the sender meets 429s with Retry-After from the real limiter.
        _factory.With("OpsConsole:Ingestion:RequestsPerSecond", "2").With("OpsConsole:Ingestion:Burst", "2");
        _factory.UseKestrel(0);
        _factory.StartServer();
        var address = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _baseUrl = new Uri(address.Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1"));
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    private OpsConsoleClientOptions Options(bool push = true) => new()
    {
        BaseUrl = _baseUrl,
        ApiKey = Ingest.DemoKey,
        UsePush = push,
        // Long enough that within a test only push (or an explicit refresh) can bring news.
        RefreshInterval = TimeSpan.FromMinutes(10),
        FlushInterval = TimeSpan.FromMilliseconds(50),
        InitialRetryDelay = TimeSpan.FromMilliseconds(50),
        MaxRetryDelay = TimeSpan.FromSeconds(2),
    };

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            Assert.True(Stopwatch.GetTimestamp() < deadline, $"timed out waiting for {what}");
            await Task.Delay(10, Ct);
        }
    }

    [Fact]
    public async Task Push_DeliversAKillSwitchWithinASecond()
    {
        await using var client = await OpsConsoleClient.StartAsync(Options(), Ct);
        await WaitUntilAsync(() => client.HasSnapshot && client.PushState == HubConnectionState.Connected, TimeSpan.FromSeconds(15), "snapshot and push connection");
        Assert.True(client.IsEnabled("invoice-field-extraction", "u-1"));

        var oncall = await Principals.ForAsync(_factory, "oncall@opsconsole.local");
        var flipped = Stopwatch.StartNew();
        var result = await _factory.Services.GetRequiredService<ControlsService>().SetKillSwitchAsync("invoice-field-extraction", true, null, "bad totals", oncall, Ct);
        Assert.True(result.Succeeded);
        await WaitUntilAsync(() => !client.IsEnabled("invoice-field-extraction", "u-1"), TimeSpan.FromSeconds(1), "the kill switch to reach the client");
        Assert.InRange(flipped.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.Equal(DecisionReasons.KillSwitch, client.Decide("invoice-field-extraction", "u-1").Reason);
    }

    [Fact]
    public async Task ConsoleStopped_DecisionsContinueFromTheLastSnapshot()
    {
        await using var client = await OpsConsoleClient.StartAsync(Options(push: false), Ct);
        Assert.True(client.HasSnapshot);
        var units = Enumerable.Range(0, 200).Select(i => "user-" + i).ToList();
        var before = units.Select(u => client.IsEnabled("support-reply-draft", u)).ToList();
        Assert.Contains(true, before);
        Assert.Contains(false, before); // 25 %: some on, some off

        await _factory.DisposeAsync();
        // An explicit refresh against the stopped console reports the failure to its caller; the snapshot stays.
        await Assert.ThrowsAsync<HttpRequestException>(() => client.RefreshAsync(Ct));
        Assert.True(client.HasSnapshot);
        Assert.Equal(before, units.Select(u => client.IsEnabled("support-reply-draft", u)).ToList());
        Assert.True(client.IsEnabled("invoice-field-extraction", "anyone"));
    }

    [Fact]
    public async Task ColdStart_ConsoleUnreachable_EveryPathOff()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        var options = Options();
        options.BaseUrl = new Uri($"http://127.0.0.1:{port}/");
        options.RequestTimeout = TimeSpan.FromSeconds(2);

        await using var client = await OpsConsoleClient.StartAsync(options, Ct);

        Assert.False(client.HasSnapshot);
        Assert.False(client.IsEnabled("invoice-field-extraction", "u-1")); // at 100 % on the console, but never loaded here
        var d = client.Decide("invoice-field-extraction", "u-1");
        Assert.Equal((false, DecisionReasons.NoConfig), (d.Enabled, d.Reason));
    }

    [Fact]
    public async Task Sender_UnderRateLimiting_LosesNothing()
    {
        var options = Options(push: false);
        options.MaxBatchSize = 5;
        var ids = new List<string>();
        await using (var client = await OpsConsoleClient.StartAsync(options, Ct))
        {
            for (var i = 0; i < 60; i++)
            {
                var e = new InferenceEvent
                {
                    Path = "ticket-triage",
                    Outcome = "ok",
                    Output = "queue 3",
                    Confidence = 0.9,
                    LatencyMs = 120,
                    OccurredAt = DateTimeOffset.UtcNow,
                    Unit = "user-" + i,
                };
                ids.Add(e.EventId);
                client.Track(e);
                // A retried event must count once: track a few twice.
                if (i % 20 == 0)
                {
                    client.Track(e);
                }
            }
            await WaitUntilAsync(() => client.Stats.Accepted + client.Stats.Duplicates >= 63, TimeSpan.FromSeconds(40), "every event to be sent");
            var stats = client.Stats;
            Assert.Equal(63, stats.Tracked);
            Assert.Equal(60, stats.Accepted);
            Assert.Equal(3, stats.Duplicates);
            Assert.Equal(0, stats.Dropped + stats.DroppedPermanently + stats.Rejected);
            Assert.True(stats.Retries > 0, "the rate limiter should have answered 429 at least once");
        }
        var stored = await Db.QueryAsync(_factory, db => db.Set<OpsConsole.Web.Features.Events.InferenceEvent>().Where(e => ids.Contains(e.EventId)).CountAsync(Ct));
        Assert.Equal(60, stored);
    }
}
