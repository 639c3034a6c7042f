using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using OpsConsole.Web.Data;
using StackExchange.Redis;

namespace OpsConsole.Web.Realtime;

/// <summary>
/// SignalR, its Redis backplane and the cluster bus; each feature maps its own hub and registers its
/// own notifier (<see cref="AddNotifier{TNotifier}"/>), and names the hubs whose clients may be
/// connected to any instance (<see cref="AddClusterHub{THub}"/>).
/// </summary>
public static class RealtimeFeature
{
    public const string RedisSetting = "OpsConsole:Redis:Connection";

    /// <summary>
    /// The prefix of every Redis channel the console uses (backplane and bus) unless the configuration
    /// string names another (<c>channelPrefix=…</c>): two consoles sharing one Redis need different ones.
    /// </summary>
    public const string ChannelPrefix = "opsconsole";

    public static WebApplicationBuilder AddRealtime(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var signalR = services.AddSignalR();
        if (RedisOptions(builder.Configuration) is { } redis)
        {
            signalR.AddStackExchangeRedis(o => o.Configuration = redis.Clone());
            // Only the hubs named by AddClusterHub use the backplane. Blazor's own circuit hub stays in
            // process: a circuit lives on one instance (sticky sessions), and a Redis outage must not
            // stop people from opening the console.
            services.AddSingleton(typeof(HubLifetimeManager<>), typeof(DefaultHubLifetimeManager<>));
            services.AddSingleton<ClusterBus>(sp => new RedisClusterBus(redis.Clone(), sp.GetRequiredService<ILogger<RedisClusterBus>>()));
        }
        else if (DatabaseSetup.Provider(builder.Configuration) == DatabaseProvider.Postgres)
        {
            var connectionString = DatabaseSetup.PostgresConnectionString(builder.Configuration);
            services.AddSingleton<ClusterBus>(sp => new PostgresClusterBus(connectionString, sp.GetRequiredService<ILogger<PostgresClusterBus>>()));
        }
        else
        {
            services.AddSingleton<ClusterBus, InProcessBus>();
        }
        services.AddHostedService<ClusterBusService>();
        return builder;
    }

    /// <summary>
    /// A hub whose clients may be connected to any instance: with Redis configured its sends and
    /// groups go through the backplane, so a push from one instance reaches the clients of all.
    /// </summary>
    public static WebApplicationBuilder AddClusterHub<THub>(this WebApplicationBuilder builder)
        where THub : Hub
    {
        if (RedisOptions(builder.Configuration) is not null)
        {
            builder.Services.AddSingleton<HubLifetimeManager<THub>, RedisHubLifetimeManager<THub>>();
        }
        return builder;
    }

    /// <summary>A change feed: one per process, joined to the cluster bus at start (before any view subscribes).</summary>
    public static IServiceCollection AddNotifier<TNotifier>(this IServiceCollection services)
        where TNotifier : class, IClusterListener
    {
        services.AddSingleton<TNotifier>();
        services.AddSingleton<IClusterListener>(sp => sp.GetRequiredService<TNotifier>());
        return services;
    }

    /// <summary>
    /// The Redis client settings from <c>OpsConsole:Redis:Connection</c> (a StackExchange.Redis
    /// configuration string); null when not set. A Redis that is down at start or later is waited
    /// for, never fatal (<c>AbortOnConnectFail=false</c>).
    /// </summary>
    public static ConfigurationOptions? RedisOptions(IConfiguration config)
    {
        if (config[RedisSetting] is not { Length: > 0 } value)
        {
            return null;
        }
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(value);
        }
        catch (ArgumentException ex)
        {
            throw new StartupRefusedException($"{RedisSetting} is not a valid StackExchange.Redis configuration: {ex.Message}");
        }
        if (options.EndPoints.Count == 0)
        {
            throw new StartupRefusedException($"{RedisSetting} names no Redis server; give e.g. 'redis:6379' or 'redis:6379,password=…'.");
        }
        options.AbortOnConnectFail = false;
        options.ClientName ??= "opsconsole";
        if (options.ChannelPrefix.IsNullOrEmpty)
        {
            options.ChannelPrefix = RedisChannel.Literal(ChannelPrefix);
        }
        return options;
    }

    /// <summary>The servers of a Redis configuration as people write them (no password), for log lines.</summary>
    public static string Servers(ConfigurationOptions options) =>
        string.Join(", ", options.EndPoints.Select(e => e is System.Net.DnsEndPoint d ? $"{d.Host}:{d.Port}" : e.ToString()));
}

/// <summary>
/// Starts the cluster bus with the host and says once which one runs. Every notifier is created
/// here, so each joins the bus before the first change arrives, even those no view has asked for yet
/// (the config notifier must drop this instance's path snapshot whatever is open).
/// </summary>
internal sealed class ClusterBusService(ClusterBus bus, IEnumerable<IClusterListener> notifiers, IConfiguration config, ILogger<ClusterBusService> log)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var joined = notifiers.Count();
        if (bus.HubsShared)
        {
            var redis = RealtimeFeature.RedisOptions(config)!;
            log.LogInformation("Redis backplane on ({Redis}): hub pushes reach the clients of every instance; {Count} change feeds share changes through {Transport}",
                RealtimeFeature.Servers(redis), joined, bus.Transport);
        }
        else if (bus.IsShared)
        {
            log.LogWarning("{Setting} is not set, so the SignalR backplane is off. Instances on this PostgreSQL database still share changes " +
                "through {Transport}, and each pushes them to its own hub clients", RealtimeFeature.RedisSetting, bus.Transport);
        }
        else
        {
            log.LogInformation("{Setting} is not set, so the SignalR backplane is off (one instance on SQLite needs none)", RealtimeFeature.RedisSetting);
        }
        return bus.StartAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => bus.StopAsync(cancellationToken);
}
