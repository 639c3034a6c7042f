using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Client;

namespace OpsConsole.Tests.Features.Client;

/// <summary>
/// The push channel against a stand-in hub in an in-memory server (the real console's hub is
/// covered by the integration tests): the client connects with its key and re-fetches on a push.
/// </summary>
public sealed class OpsConsoleClientPushTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class StandInConfigHub(StandInState state) : Hub
    {
        public override Task OnConnectedAsync()
        {
            state.Authorizations.Enqueue(Context.GetHttpContext()?.Request.Headers.Authorization.ToString() ?? "");
            return base.OnConnectedAsync();
        }
    }

    private sealed class StandInState
    {
        public volatile string Version = "v1";
        public int ConfigRequests;
        public System.Collections.Concurrent.ConcurrentQueue<string> Authorizations { get; } = new();
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task ConfigChanged_Pushed_ClientFetchesTheNewSnapshotAtOnce()
    {
        var state = new StandInState();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddSignalR();
        builder.Services.AddSingleton(state);
        await using var app = builder.Build();
        app.MapGet("/api/v1/config", (HttpContext http) =>
        {
            Interlocked.Increment(ref state.ConfigRequests);
            var version = state.Version;
            var percent = version == "v1" ? 0 : 100;
            http.Response.Headers.ETag = $"\"{version}\"";
            return http.Request.Headers.IfNoneMatch.ToString() == $"\"{version}\""
                ? Results.StatusCode(StatusCodes.Status304NotModified)
                : Results.Text($$"""{"version":"{{version}}","paths":[{"slug":"support-reply-draft","killSwitch":false,"rolloutPercent":{{percent}},"configVersion":1,"fallback":"rules"}]}""",
                    "application/json");
        });
        app.MapHub<StandInConfigHub>("/hubs/config");
        await app.StartAsync(Ct);

        var clock = ClientTestTime.NewClock();
        var options = new FakeConsole(clock).Options(clock);
        options.HttpMessageHandler = app.GetTestServer().CreateHandler();
        options.UsePush = true;
        await using var client = await OpsConsoleClient.StartAsync(options, Ct);
        Assert.Equal("v1", client.SnapshotVersion);
        Assert.False(client.IsEnabled("support-reply-draft", "customer-1"));
        await UntilAsync(() => client.PushState == Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Connected, "the push channel");
        // The client is connected once the handshake is answered, which may be before the hub has run OnConnectedAsync.
        await UntilAsync(() => !state.Authorizations.IsEmpty, "the hub to see the connection");
        Assert.Equal("Bearer " + FakeConsole.ApiKey, Assert.Single(state.Authorizations));
        // Connecting fetches once more (pushes sent before the connection was up are lost); let that pass first.
        await UntilAsync(() => Volatile.Read(ref state.ConfigRequests) == 2, "the fetch after connecting");

        state.Version = "v2";
        await app.Services.GetRequiredService<IHubContext<StandInConfigHub>>().Clients.All
            .SendAsync(OpsConsoleClient.ConfigChangedMethod, "support-reply-draft", 2L, Ct);

        // The refresh interval is an hour of a clock that stands still: only the push can explain v2.
        await UntilAsync(() => client.SnapshotVersion == "v2", "the pushed change");
        Assert.True(client.IsEnabled("support-reply-draft", "customer-1"));
    }

    /// <summary>
    /// Several console instances: the push can come from one that knows of the change while the fetch
    /// reaches one that has not heard of it yet. The client sees the pushed config version missing and
    /// asks again shortly, without another push and long before the periodic refresh.
    /// </summary>
    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task ConfigChanged_FetchStillOlderThanThePush_ClientAsksAgainUntilItHasIt()
    {
        var served = 0; // config version the lagging instance serves
        var requests = 0;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddSignalR();
        builder.Services.AddSingleton(new StandInState());
        await using var app = builder.Build();
        app.MapGet("/api/v1/config", () =>
        {
            Interlocked.Increment(ref requests);
            var version = Volatile.Read(ref served);
            return Results.Text($$"""{"version":"v{{version}}","paths":[{"slug":"support-reply-draft","killSwitch":{{(version >= 2 ? "true" : "false")}},"rolloutPercent":100,"configVersion":{{Math.Max(version, 1)}},"fallback":"rules"}]}""",
                "application/json");
        });
        app.MapHub<StandInConfigHub>("/hubs/config");
        await app.StartAsync(Ct);
        Volatile.Write(ref served, 1);

        var clock = ClientTestTime.NewClock();
        var options = new FakeConsole(clock).Options(clock);
        options.HttpMessageHandler = app.GetTestServer().CreateHandler();
        options.UsePush = true;
        await using var client = await OpsConsoleClient.StartAsync(options, Ct);
        await UntilAsync(() => client.PushState == Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Connected, "the push channel");
        await UntilAsync(() => Volatile.Read(ref requests) >= 2, "the fetch after connecting");
        Assert.True(client.IsEnabled("support-reply-draft", "customer-1"));

        // Config version 2 is announced, but the instance the fetches reach still serves version 1.
        await app.Services.GetRequiredService<IHubContext<StandInConfigHub>>().Clients.All
            .SendAsync(OpsConsoleClient.ConfigChangedMethod, "support-reply-draft", 2L, Ct);
        await UntilAsync(() => Volatile.Read(ref requests) >= 3, "the fetch the push caused");
        Assert.True(client.IsEnabled("support-reply-draft", "customer-1"));

        // That instance catches up; only a further fetch of the client's own can find out.
        Volatile.Write(ref served, 2);
        await ClientTestTime.UntilAsync(() => !client.IsEnabled("support-reply-draft", "customer-1"), clock, TimeSpan.FromMilliseconds(100), "the client to ask again");
        Assert.Equal("v2", client.SnapshotVersion);

        // Caught up: no more fetches than the periodic refresh asks for.
        var settled = Volatile.Read(ref requests);
        clock.Advance(TimeSpan.FromSeconds(5));
        await Task.Delay(200, Ct);
        Assert.Equal(settled, Volatile.Read(ref requests));
    }

    /// <summary>Real-time polling: SignalR's transports run on real timers, so the fake clock cannot hurry them.</summary>
    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var giveUp = DateTime.UtcNow.AddSeconds(8);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < giveUp, "Timed out waiting for " + what);
            await Task.Delay(10, Ct);
        }
    }
}
