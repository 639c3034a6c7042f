using StackExchange.Redis;

namespace OpsConsole.Web.Realtime;

/// <summary>
/// The cluster bus on Redis pub/sub (one channel, <c>opsconsole:bus</c> with the default prefix), used whenever Redis is
/// configured: the SignalR backplane needs Redis anyway. Its own connection, apart from the
/// backplane's, so neither can close the other's. StackExchange.Redis reconnects by itself
/// (<c>AbortOnConnectFail=false</c>) and restores the subscription; a lost connection is logged once.
/// </summary>
public sealed class RedisClusterBus(ConfigurationOptions options, ILogger<RedisClusterBus> log) : ClusterBus(log, hubsShared: true)
{
    /// <summary>The bus channel after the configured channel prefix (which the connection adds).</summary>
    public static readonly RedisChannel Channel = RedisChannel.Literal(":bus");

    private static readonly TimeSpan RetryPause = TimeSpan.FromSeconds(1);

    private ConnectionMultiplexer? _redis;
    private ChannelMessageQueue? _queue;
    private Task _connecting = Task.CompletedTask;

    public override bool IsShared => true;

    public override string Transport => "Redis pub/sub";

    /// <summary>Redis takes far more; a bound keeps one hostile message from costing much to parse.</summary>
    protected override int MaxMessageBytes => 64 * 1024;

    protected override Task ConnectAsync(CancellationToken stop)
    {
        _connecting = Task.Run(() => ConnectLoopAsync(stop), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task ConnectLoopAsync(CancellationToken stop)
    {
        try
        {
            // Returns without a connection when Redis is unreachable, and keeps trying in the background.
            ConnectionMultiplexer? redis = null;
            while (redis is null)
            {
                try
                {
                    redis = await ConnectionMultiplexer.ConnectAsync(options);
                }
                catch (Exception ex) when (!stop.IsCancellationRequested)
                {
                    MarkDown(ex.Message);
                    await Task.Delay(RetryPause, stop);
                }
            }
            _redis = redis;
            redis.ConnectionFailed += (_, e) => MarkDown($"{e.FailureType} on {e.EndPoint} ({e.ConnectionType})");
            redis.ConnectionRestored += (_, _) =>
            {
                if (_queue is not null && redis.IsConnected)
                {
                    MarkUp();
                }
            };
            while (!redis.IsConnected)
            {
                MarkDown("Redis is not reachable at " + RealtimeFeature.Servers(options));
                await Task.Delay(RetryPause, stop);
            }
            // Subscribed once; StackExchange.Redis subscribes again after every reconnect.
            var queue = await redis.GetSubscriber().SubscribeAsync(Channel);
            queue.OnMessage(m => Receive((byte[]?)m.Message ?? []));
            _queue = queue;
            MarkUp();
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            MarkDown(ex.Message);
        }
    }

    protected override async Task PublishAsync(IReadOnlyList<byte[]> messages, CancellationToken ct)
    {
        var redis = _redis ?? throw new InvalidOperationException("Not connected to Redis yet.");
        var subscriber = redis.GetSubscriber();
        // Pipelined on one connection: Redis keeps their order.
        await Task.WhenAll(messages.Select(m => subscriber.PublishAsync(Channel, m)));
    }

    protected override async Task DisconnectAsync()
    {
        await _connecting;
        // Closing the connection ends the subscription too (an UNSUBSCRIBE would wait for a Redis that may be gone).
        if (_redis is { } redis)
        {
            await redis.CloseAsync(allowCommandsToComplete: false);
            await redis.DisposeAsync();
        }
    }
}
