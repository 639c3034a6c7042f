using System.Net;
using OpsConsole.Client;

namespace OpsConsole.Tests.Features.Client;

/// <summary>Decisions from the config snapshot: cold start, refresh, ETag, and the console going away.</summary>
public sealed class OpsConsoleClientConfigTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly PathConfig Quarter = new("support-reply-draft", false, 25, 3, "route-away");
    private static readonly PathConfig Full = new("invoice-field-extraction", false, 100, 7, "rules");
    private static readonly PathConfig Off = new("ticket-triage", false, 0, 2, "capture-only");

    private static readonly string[] Units = Enumerable.Range(0, 400).Select(i => "customer-" + i).ToArray();

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task StartAsync_ConsoleUnreachable_DoesNotThrowAndEveryPathIsOff()
    {
        var clock = ClientTestTime.NewClock();
        var console = new FakeConsole(clock) { Config = _ => throw new HttpRequestException("Connection refused (console.test:80)") };

        await using var client = await OpsConsoleClient.StartAsync(console.Options(clock), Ct);

        Assert.False(client.HasSnapshot);
        Assert.Null(client.SnapshotVersion);
        Assert.Null(client.LastRefreshAt);
        Assert.Contains("Connection refused", client.LastRefreshError);
        Assert.Single(console.ConfigRequests);
        foreach (var slug in new[] { Quarter.Slug, Full.Slug, "no-such-path" })
        {
            Assert.False(client.IsEnabled(slug, "customer-1"));
            Assert.False(client.IsEnabled(slug, null));
            Assert.Equal(new Decision(slug, false, DecisionReasons.NoConfig, null, 0, 0, "rules"), client.Decide(slug, "customer-1"));
        }
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task StartAsync_ConfigLoaded_DecisionsFollowSnapshot()
    {
        var clock = ClientTestTime.NewClock();
        var console = new FakeConsole(clock) { Config = _ => FakeConsole.ConfigDocument("v1", Quarter, Full, Off) };

        await using var client = await OpsConsoleClient.StartAsync(console.Options(clock), Ct);

        Assert.True(client.HasSnapshot);
        Assert.Equal("v1", client.SnapshotVersion);
        Assert.Equal(clock.GetUtcNow(), client.LastRefreshAt);
        Assert.Null(client.LastRefreshError);
        var request = Assert.Single(console.ConfigRequests);
        Assert.Equal("Bearer " + FakeConsole.ApiKey, request.Authorization);
        Assert.Null(request.IfNoneMatch);

        var on = 0;
        foreach (var unit in Units)
        {
            var expected = Rollout.Decide(Quarter, unit);
            Assert.Equal(expected, client.Decide(Quarter.Slug, unit));
            Assert.Equal(expected.Enabled, client.IsEnabled(Quarter.Slug, unit));
            on += expected.Enabled ? 1 : 0;
            Assert.True(client.IsEnabled(Full.Slug, unit));
            Assert.False(client.IsEnabled(Off.Slug, unit));
        }
        // A quarter of 400 units, give or take: the snapshot's percentage is what decides.
        Assert.InRange(on, 60, 140);

        var decision = client.Decide(Quarter.Slug, "customer-1");
        Assert.Equal(3, decision.ConfigVersion);
        Assert.Equal("route-away", decision.Fallback);
        Assert.True(client.IsEnabled(Full.Slug, null));
        Assert.False(client.IsEnabled(Quarter.Slug, null));
        Assert.False(client.IsEnabled("no-such-path", "customer-1"));
        Assert.Equal(new Decision("no-such-path", false, DecisionReasons.UnknownPath, null, 0, 0, "rules"), client.Decide("no-such-path", "customer-1"));
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task IsEnabled_KillSwitchOn_FalseForEveryUnit()
    {
        var clock = ClientTestTime.NewClock();
        var killed = Full with { KillSwitch = true, Fallback = "route-away" };
        var console = new FakeConsole(clock) { Config = _ => FakeConsole.ConfigDocument("v1", killed) };

        await using var client = await OpsConsoleClient.StartAsync(console.Options(clock), Ct);

        Assert.True(client.HasSnapshot);
        Assert.All(Units, unit => Assert.False(client.IsEnabled(killed.Slug, unit)));
        Assert.False(client.IsEnabled(killed.Slug, null));
        var decision = client.Decide(killed.Slug, "customer-1");
        Assert.Equal(DecisionReasons.KillSwitch, decision.Reason);
        Assert.Equal("route-away", decision.Fallback);
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task RefreshAsync_ConsoleFailsAfterLoad_LastSnapshotKept()
    {
        var clock = ClientTestTime.NewClock();
        var console = new FakeConsole(clock) { Config = _ => FakeConsole.ConfigDocument("v1", Quarter, Full) };
        await using var client = await OpsConsoleClient.StartAsync(console.Options(clock), Ct);
        var before = Units.Select(u => client.IsEnabled(Quarter.Slug, u)).ToList();
        var loadedAt = client.LastRefreshAt;
        clock.Advance(TimeSpan.FromMinutes(1));

        console.Config = _ => FakeConsole.Status(HttpStatusCode.InternalServerError);
        var serverError = await Assert.ThrowsAsync<HttpRequestException>(() => client.RefreshAsync(Ct));
        Assert.Equal(HttpStatusCode.InternalServerError, serverError.StatusCode);
        AssertStillV1();

        console.Config = _ => throw new HttpRequestException("Connection refused");
        await Assert.ThrowsAsync<HttpRequestException>(() => client.RefreshAsync(Ct));
        AssertStillV1();
        Assert.Contains("Connection refused", client.LastRefreshError);

        console.Config = _ => FakeConsole.Json(HttpStatusCode.OK, "<html>proxy error</html>");
        await Assert.ThrowsAsync<InvalidDataException>(() => client.RefreshAsync(Ct));
        AssertStillV1();

        console.Config = _ => FakeConsole.Json(HttpStatusCode.OK, """{"version":"v9"}""");
        await Assert.ThrowsAsync<InvalidDataException>(() => client.RefreshAsync(Ct));
        AssertStillV1();

        void AssertStillV1()
        {
            Assert.Equal("v1", client.SnapshotVersion);
            Assert.Equal(before, Units.Select(u => client.IsEnabled(Quarter.Slug, u)).ToList());
            Assert.True(client.IsEnabled(Full.Slug, "customer-1"));
            Assert.Equal(loadedAt, client.LastRefreshAt);
        }
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task RefreshLoop_IntervalPassesWhileConsoleDown_KeepsSnapshotThenPicksUpNewVersion()
    {
        var clock = ClientTestTime.NewClock();
        var console = new FakeConsole(clock) { Config = _ => FakeConsole.ConfigDocument("v1", Quarter) };
        var options = console.Options(clock);
        options.RefreshInterval = TimeSpan.FromSeconds(30);
        await using var client = await OpsConsoleClient.StartAsync(options, Ct);

        console.Config = _ => throw new HttpRequestException("Connection refused");
        await ClientTestTime.UntilAsync(() => console.ConfigRequests.Count >= 2, clock, TimeSpan.FromSeconds(5), "the periodic refresh");
        Assert.Equal("v1", client.SnapshotVersion);
        Assert.NotNull(client.LastRefreshError);
        Assert.False(client.IsEnabled(Full.Slug, "customer-1"));

        console.Config = _ => FakeConsole.ConfigDocument("v2", Quarter, Full);
        await ClientTestTime.UntilAsync(() => client.SnapshotVersion == "v2", clock, TimeSpan.FromSeconds(5), "version v2");
        Assert.True(client.IsEnabled(Full.Slug, "customer-1"));
        Assert.Null(client.LastRefreshError);
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task RefreshLoop_429WithRetryAfter_AsksAgainOnlyAfterTheWait()
    {
        var clock = ClientTestTime.NewClock();
        // Over the key's decision budget: without the wait the first-load retry would ask again within a second.
        var console = new FakeConsole(clock) { Config = _ => FakeConsole.Status(HttpStatusCode.TooManyRequests, retryAfterSeconds: 120) };
        await using var client = await OpsConsoleClient.StartAsync(console.Options(clock), Ct);
        Assert.Contains("429", client.LastRefreshError);
        var refusedAt = console.ConfigRequests.Single().At;

        console.Config = _ => FakeConsole.ConfigDocument("v1", Full);
        await ClientTestTime.UntilAsync(() => client.SnapshotVersion == "v1", clock, TimeSpan.FromSeconds(5), "the load after the wait");

        Assert.Equal(2, console.ConfigRequests.Count);
        Assert.True(console.ConfigRequests[1].At - refusedAt >= TimeSpan.FromSeconds(120), $"asked again after {console.ConfigRequests[1].At - refusedAt}");
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task RefreshAsync_SecondRefresh_SendsIfNoneMatchAnd304KeepsSnapshot()
    {
        var clock = ClientTestTime.NewClock();
        var console = new FakeConsole(clock)
        {
            Config = seen => seen.IfNoneMatch == "\"v1\"" ? new HttpResponseMessage(HttpStatusCode.NotModified) : FakeConsole.ConfigDocument("v1", Quarter),
        };
        await using var client = await OpsConsoleClient.StartAsync(console.Options(clock), Ct);
        var changes = 0;
        client.SnapshotChanged += (_, _) => changes++;
        clock.Advance(TimeSpan.FromSeconds(45));

        await client.RefreshAsync(Ct);

        Assert.Equal(2, console.ConfigRequests.Count);
        Assert.Equal("\"v1\"", console.ConfigRequests[1].IfNoneMatch);
        Assert.Equal("v1", client.SnapshotVersion);
        Assert.Equal(Rollout.Decide(Quarter, "customer-7"), client.Decide(Quarter.Slug, "customer-7"));
        Assert.Equal(clock.GetUtcNow(), client.LastRefreshAt);
        Assert.Equal(0, changes);
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task RefreshAsync_NewVersion_AppliesAndRaisesSnapshotChanged()
    {
        var clock = ClientTestTime.NewClock();
        var console = new FakeConsole(clock) { Config = _ => FakeConsole.ConfigDocument("v1", Off) };
        await using var client = await OpsConsoleClient.StartAsync(console.Options(clock), Ct);
        var seen = new List<string?>();
        // A failing handler must not keep the others from hearing of the change.
        client.SnapshotChanged += (_, _) => throw new InvalidOperationException("handler bug");
        client.SnapshotChanged += (sender, _) => seen.Add(((OpsConsoleClient)sender!).SnapshotVersion);
        Assert.False(client.IsEnabled(Off.Slug, "customer-1"));

        console.Config = _ => FakeConsole.ConfigDocument("v2", Off with { RolloutPercent = 100, ConfigVersion = 3 });
        await client.RefreshAsync(Ct);

        Assert.Equal(["v2"], seen);
        Assert.True(client.IsEnabled(Off.Slug, "customer-1"));
        Assert.Equal(3, client.Decide(Off.Slug, "customer-1").ConfigVersion);
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task StartAsync_ContractSampleDocument_ParsedAsSent()
    {
        var clock = ClientTestTime.NewClock();
        var console = new FakeConsole(clock)
        {
            Config = _ => FakeConsole.Json(HttpStatusCode.OK,
                """{"version":"41","paths":[{"slug":"support-reply-draft","killSwitch":false,"rolloutPercent":25,"configVersion":3,"fallback":"route-away"}]}"""),
        };

        await using var client = await OpsConsoleClient.StartAsync(console.Options(clock), Ct);

        Assert.Equal("41", client.SnapshotVersion);
        Assert.Equal(Rollout.Decide(new PathConfig("support-reply-draft", false, 25, 3, "route-away"), "u-1"), client.Decide("support-reply-draft", "u-1"));
        // Without an ETag header the version stands in for it.
        await Assert.ThrowsAsync<HttpRequestException>(() =>
        {
            console.Config = _ => FakeConsole.Status(HttpStatusCode.Forbidden);
            return client.RefreshAsync(Ct);
        });
        Assert.Equal("\"41\"", console.ConfigRequests[1].IfNoneMatch);
        Assert.Contains("decisions:read", client.LastRefreshError);
    }

    [Theory(Timeout = ClientTestTime.TimeoutMs)]
    [InlineData("http://console.test/ops")]
    [InlineData("http://console.test/ops/")]
    public async Task StartAsync_BaseUrlWithPathPrefix_PrefixKeptForEveryRequest(string baseUrl)
    {
        var clock = ClientTestTime.NewClock();
        var console = new FakeConsole(clock) { Config = _ => FakeConsole.ConfigDocument("v1", Quarter) };
        var options = console.Options(clock);
        options.BaseUrl = new Uri(baseUrl);
        await using var client = await OpsConsoleClient.StartAsync(options, Ct);

        client.Track(new InferenceEvent { Path = Quarter.Slug });
        await client.FlushAsync(Ct).WaitAsync(TimeSpan.FromSeconds(1.5), Ct);

        Assert.True(client.HasSnapshot);
        Assert.Equal(["/ops/api/v1/config", "/ops/api/v1/events"], console.Requests.Select(r => r.Path));
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task IsEnabled_HotPath_AllocatesNothing()
    {
        var clock = ClientTestTime.NewClock();
        var console = new FakeConsole(clock) { Config = _ => FakeConsole.ConfigDocument("v1", Quarter, Full, Off) };
        await using var client = await OpsConsoleClient.StartAsync(console.Options(clock), Ct);
        string[] slugs = [Quarter.Slug, Full.Slug, Off.Slug, "no-such-path"];
        var on = 0;
        for (var i = 0; i < 1_000; i++)
        {
            on += client.IsEnabled(slugs[i % 4], Units[i % Units.Length]) ? 1 : 0;
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100_000; i++)
        {
            on += client.IsEnabled(slugs[i % 4], Units[i % Units.Length]) ? 1 : 0;
            on += client.IsEnabled(slugs[i % 4], null) ? 1 : 0;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(on > 0);
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public void RolloutIsEnabled_EveryPercentUnitAndKillSwitch_SameAsDecide()
    {
        int[] percents = [-5, 0, 1, 10, 25, 50, 99, 100, 150];
        string?[] units = [null, "", .. Units];
        foreach (var percent in percents)
        {
            foreach (var kill in new[] { false, true })
            {
                var path = new PathConfig("ticket-triage", kill, percent, 1, "rules");
                foreach (var unit in units)
                {
                    Assert.Equal(Rollout.Decide(path, unit).Enabled, Rollout.IsEnabled(path, unit));
                }
            }
        }
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task StartAsync_PushChannelUnreachable_ReturnsAndTriesToConnectWithTheKey()
    {
        var clock = ClientTestTime.NewClock();
        var console = new FakeConsole(clock) { Config = _ => FakeConsole.ConfigDocument("v1", Quarter) };
        var options = console.Options(clock);
        options.UsePush = true;

        var client = await OpsConsoleClient.StartAsync(options, Ct);

        Assert.True(client.HasSnapshot);
        await ClientTestTime.UntilAsync(() => console.Requests.Any(r => r.Path == "/hubs/config/negotiate"), what: "a negotiate request");
        var negotiate = console.Requests.First(r => r.Path == "/hubs/config/negotiate");
        Assert.Equal("Bearer " + FakeConsole.ApiKey, negotiate.Authorization);
        var dispose = client.DisposeAsync().AsTask();
        await ClientTestTime.UntilAsync(() => dispose.IsCompleted, what: "DisposeAsync");
        await dispose;
    }

    /// <summary>Ways to spoil the options, named "setting: how".</summary>
    private static readonly Dictionary<string, Action<OpsConsoleClientOptions>> Spoilers = new()
    {
        ["BaseUrl: missing"] = o => o.BaseUrl = null,
        ["BaseUrl: not http"] = o => o.BaseUrl = new Uri("ftp://console.test"),
        ["ApiKey: blank"] = o => o.ApiKey = " ",
        ["ApiKey: with a space"] = o => o.ApiKey = "ocs_abc def",
        ["RefreshInterval: zero"] = o => o.RefreshInterval = TimeSpan.Zero,
        ["FlushInterval: negative"] = o => o.FlushInterval = TimeSpan.FromSeconds(-1),
        ["MaxBatchSize: above the console's 1,000"] = o => o.MaxBatchSize = 1001,
        ["MaxBatchSize: zero"] = o => o.MaxBatchSize = 0,
        ["MaxBufferedEvents: zero"] = o => o.MaxBufferedEvents = 0,
        ["MaxRetryDelay: below InitialRetryDelay"] = o => o.MaxRetryDelay = TimeSpan.FromMilliseconds(50),
        ["RequestTimeout: zero"] = o => o.RequestTimeout = TimeSpan.Zero,
    };

    public static TheoryData<string> InvalidOptions() => new(Spoilers.Keys);

    [Theory(Timeout = ClientTestTime.TimeoutMs)]
    [MemberData(nameof(InvalidOptions))]
    public async Task StartAsync_InvalidOptions_ThrowsArgumentExceptionNamingTheSetting(string spoiler)
    {
        var clock = ClientTestTime.NewClock();
        var console = new FakeConsole(clock);
        var options = console.Options(clock);
        Spoilers[spoiler](options);
        var setting = spoiler[..spoiler.IndexOf(':')];

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => OpsConsoleClient.StartAsync(options, Ct));

        Assert.Equal(setting, ex.ParamName);
        Assert.StartsWith(setting, ex.Message);
        Assert.Empty(console.Requests);
    }
}
