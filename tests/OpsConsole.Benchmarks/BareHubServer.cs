using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OpsConsole.Benchmarks;

/// <summary>
/// The push baseline: a bare SignalR server with nothing but a hub at <c>/hubs/ops</c> whose
/// <c>JoinReview</c> joins a group, on the same Redis backplane the console uses, run as its own
/// process like the console (<c>dotnet OpsConsole.Benchmarks.dll --bare-hub --redis host:port --urls …</c>).
/// <c>POST /broadcast</c> sends <c>ReviewChanged</c> messages of the console's shape, each stamped with
/// its send time in <c>at</c>, on a fixed schedule; the clients measure receive time minus <c>at</c>
/// exactly as they do for the console, where <c>at</c> is the commit time.
/// </summary>
public static class BareHubServer
{
    public const string Argument = "--bare-hub";
    // Its own channel prefix, so the bare servers' messages never reach a console sharing the Redis.
    private const string ChannelPrefix = "barebench";

    public static async Task<int> RunAsync(string[] args)
    {
        string? redis = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--redis" && i + 1 < args.Length)
            {
                redis = args[++i];
            }
            else if (args[i] != Argument)
            {
                rest.Add(args[i]);
            }
        }
        var builder = WebApplication.CreateSlimBuilder(rest.ToArray());
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var signalR = builder.Services.AddSignalR();
        if (redis is not null)
        {
            signalR.AddStackExchangeRedis(redis, o => o.Configuration.ChannelPrefix = StackExchange.Redis.RedisChannel.Literal(ChannelPrefix));
        }
        var app = builder.Build();
        app.MapHub<BareHub>("/hubs/ops");
        app.MapGet("/health/ready", () => Results.Ok());
        app.MapPost("/broadcast", async (string slug, int messages, int items, int perSecond, long firstId, IHubContext<BareHub> hub, CancellationToken ct) =>
        {
            var interval = TimeSpan.FromSeconds(1.0 / perSecond);
            using var timer = new PeriodicTimer(interval / 10);
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            var group = hub.Clients.Group(BareHub.GroupOf(slug));
            var sends = new List<Task>(messages);
            var next = 0;
            var sent = 0L;
            while (next < messages)
            {
                var due = (int)Math.Min(messages, Math.Floor(System.Diagnostics.Stopwatch.GetElapsedTime(start) / interval) + 1);
                for (; next < due; next++)
                {
                    // Message k carries the items a batch of the console's run would have routed on average.
                    var upTo = (long)(next + 1) * items / messages;
                    var batch = new List<ReviewChangeMessage>();
                    for (; sent < upTo; sent++)
                    {
                        batch.Add(new ReviewChangeMessage { PathId = 1, ItemId = firstId + sent, Kind = "added", Status = "Open", At = DateTime.UtcNow });
                    }
                    if (batch.Count > 0)
                    {
                        // Not awaited one by one: the console's notifier does not wait for one send before the next either.
                        sends.Add(group.SendAsync("ReviewChanged", batch.ToArray(), ct));
                    }
                }
                if (next < messages)
                {
                    await timer.WaitForNextTickAsync(ct);
                }
            }
            await Task.WhenAll(sends);
            return Results.Ok(new { sent });
        });
        await app.RunAsync();
        return 0;
    }
}

/// <summary>The bare hub: joining a review group is all it does.</summary>
public sealed class BareHub : Hub
{
    public static string GroupOf(string slug) => "review:" + slug;

    public async Task<bool> JoinReview(string slug)
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, GroupOf(slug));
        return true;
    }
}
