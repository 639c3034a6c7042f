using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Decisions;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Realtime;

namespace OpsConsole.Tests.Realtime;

/// <summary>Which bus and hub managers a console gets from its settings, and what it says about them at start.</summary>
[Trait("Category", "Integration")]
public sealed class RealtimeSetupTests : IAsyncLifetime
{
    private readonly ClusterInstance _console = new(null, redis: null);

    public ValueTask InitializeAsync()
    {
        _console.CreateClient().Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _console.DisposeAsync();

    private static IConfiguration Config(string? redis) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [RealtimeFeature.RedisSetting] = redis }).Build();

    [Fact]
    public void WithoutRedis_BusFitsTheProvider_HubsStayInProcess_BackplaneOffLoggedOnce()
    {
        Assert.IsType<DefaultHubLifetimeManager<ConfigHub>>(_console.Get<HubLifetimeManager<ConfigHub>>());
        Assert.IsType<DefaultHubLifetimeManager<OpsHub>>(_console.Get<HubLifetimeManager<OpsHub>>());
        Assert.False(_console.Bus.HubsShared);
        if (TestDatabase.IsPostgres)
        {
            // Several instances may share this database: the bus is on, and the missing backplane is worth a warning.
            Assert.IsType<PostgresClusterBus>(_console.Bus);
            Assert.Equal(1, _console.Logs.Count(LogLevel.Warning, "backplane is off"));
        }
        else
        {
            // One instance: nothing leaves the process.
            Assert.IsType<InProcessBus>(_console.Bus);
            Assert.False(_console.Bus.IsShared);
            Assert.Equal(1, _console.Logs.Count(LogLevel.Information, "backplane is off"));
            Assert.Equal(0, _console.Logs.Count(LogLevel.Warning, "backplane"));
        }
    }

    [Fact]
    public void RedisOptions_Unset_Null()
    {
        Assert.Null(RealtimeFeature.RedisOptions(Config(null)));
        Assert.Null(RealtimeFeature.RedisOptions(Config("")));
    }

    [Fact]
    public void RedisOptions_Set_NeverAbortsOnAFailedConnectAndPrefixesChannels()
    {
        var options = RealtimeFeature.RedisOptions(Config("redis.internal:6380,password=secret"))!;

        Assert.False(options.AbortOnConnectFail);
        Assert.Equal("opsconsole", options.ChannelPrefix.ToString());
        Assert.Equal("redis.internal:6380", RealtimeFeature.Servers(options));
        Assert.DoesNotContain("secret", RealtimeFeature.Servers(options));
        // A console sharing the Redis with another chooses its own prefix.
        Assert.Equal("team-b", RealtimeFeature.RedisOptions(Config("redis:6379,channelPrefix=team-b"))!.ChannelPrefix.ToString());
    }

    [Theory]
    [InlineData("password=only")]
    [InlineData("redis:6379,nonsense=1")]
    [InlineData("redis:6379,connectTimeout=soon")]
    public void RedisOptions_Unusable_StartRefusedWithTheSettingNamed(string value)
    {
        var ex = Assert.Throws<StartupRefusedException>(() => RealtimeFeature.RedisOptions(Config(value)));
        Assert.Contains(RealtimeFeature.RedisSetting, ex.Message);
    }
}
