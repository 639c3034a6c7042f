using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace OpsConsole.Web.Features.Demo;

/// <summary>Settings under <c>OpsConsole:Demo:Traffic</c>.</summary>
public sealed class DemoTrafficOptions
{
    public bool Enabled { get; set; } = true;
    public double EventsPerSecond { get; set; } = 4;
    /// <summary>When ticket-triage switches to its new model version, counted from the start.</summary>
    public int DriftAfterMinutes { get; set; } = 10;
    /// <summary>Now and then one path fails a third of its calls for half a minute (what error-spike checks are for).</summary>
    public bool ErrorBursts { get; set; } = true;
    /// <summary>Days of past traffic posted when the demo database is fresh (0: none).</summary>
    public int HistoryDays { get; set; } = 8;
    /// <summary>One past event per path every this many minutes.</summary>
    public int HistoryEveryMinutes { get; set; } = 10;
}

/// <summary>
/// With the demo on, sends simulated events through the real HTTP API with the demo key, so a
/// new user sees a live console within a minute and the whole ingestion path is exercised.
/// </summary>
public sealed class DemoTraffic(
    IServer server, IHostApplicationLifetime lifetime, IOptions<DemoOptions> demo, DemoHistory history, Paths.PathCatalog catalog, TimeProvider time, ILogger<DemoTraffic> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = demo.Value.Traffic;
        if (!await WaitForStartAsync(stoppingToken))
        {
            return;
        }
        var address = LocalAddress();
        if (address is null)
        {
            log.LogInformation("Demo traffic is off: the console listens on no HTTP address it can call itself.");
            return;
        }
        var key = demo.Value.ApiKey;
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var startedAt = time.GetUtcNow().UtcDateTime;
        // Each event's unit and release come from the decision the console gives (refreshed every tick), as a real service's would.
        var paths = await catalog.GetAllAsync(stoppingToken);
        OpsConsole.Client.Decision? Decide(string path, string unit) =>
            paths.TryGetValue(path, out var routing) ? OpsConsole.Client.Rollout.Decide(routing.Decision, unit) : null;
        var generator = new DemoTrafficGenerator(new Random(), time, startedAt, TimeSpan.FromMinutes(options.DriftAfterMinutes), options.ErrorBursts, Decide);
        await PostHistoryAsync(http, generator, options, startedAt, stoppingToken);
        log.LogInformation("Demo traffic: about {Rate} events/s to {Address} (OpsConsole:Demo:Traffic:Enabled=false turns it off)", options.EventsPerSecond, address);

        var random = new Random();
        var lastWarning = DateTime.MinValue;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        var owed = 0.0;
        var ticks = 0;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            paths = await catalog.GetAllAsync(stoppingToken);
            if (demo.Value.Canary && ++ticks % 10 == 0)
            {
                await ReviewCanaryAsync(random, stoppingToken);
            }
            // Vary the per-second count (±50 %) so the volume chart is not a flat line.
            owed += options.EventsPerSecond * (0.5 + random.NextDouble());
            var count = (int)owed;
            owed -= count;
            if (count == 0)
            {
                continue;
            }
            try
            {
                var body = generator.Batch(Math.Min(count, 500)).ToJsonString();
                using var response = await http.PostAsync("/api/v1/events", new StringContent(body, Encoding.UTF8, "application/json"), stoppingToken);
                if (!response.IsSuccessStatusCode)
                {
                    throw new HttpRequestException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(stoppingToken)}");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                if (time.GetUtcNow().UtcDateTime - lastWarning > TimeSpan.FromMinutes(1))
                {
                    lastWarning = time.GetUtcNow().UtcDateTime;
                    log.LogWarning("Demo traffic could not post events: {Message}", ex.Message);
                }
            }
        }
    }

    /// <summary>The demo reviewer decides the canary path's open items every ten seconds (see <see cref="DemoHistory.ReviewCanaryAsync"/>).</summary>
    private async Task ReviewCanaryAsync(Random random, CancellationToken ct)
    {
        try
        {
            await history.ReviewCanaryAsync(random, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogWarning(ex, "The demo reviewer could not decide the canary's review items");
        }
    }

    private async Task PostHistoryAsync(HttpClient http, DemoTrafficGenerator generator, DemoTrafficOptions options, DateTime startedAt, CancellationToken ct)
    {
        if (options.HistoryDays <= 0 || !await history.IsFreshAsync(ct))
        {
            return;
        }
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            // Past traffic ran the stable release: the candidate did not exist then.
            var paths = await catalog.GetAllAsync(ct);
            var events = generator.History(startedAt, TimeSpan.FromDays(options.HistoryDays), TimeSpan.FromMinutes(Math.Max(1, options.HistoryEveryMinutes)))
                .Select(e =>
                {
                    if (paths.TryGetValue((string)e["path"]!, out var routing) && routing.Decision.Stable is { } stable)
                    {
                        e["release"] = stable.Id;
                    }
                    return e;
                });
            var accepted = await DemoHistory.PostAsync(http, events, ct);
            var decided = await history.ClearBacklogAsync(startedAt, seed: 7, ct);
            log.LogInformation("Demo history: {Accepted} past events over {Days} days posted, {Decided} of their review items decided by the demo reviewer, in {Seconds:0.0} s",
                accepted, options.HistoryDays, decided, clock.Elapsed.TotalSeconds);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            log.LogWarning("Demo history could not be posted: {Message}", ex.Message);
        }
    }

    private async Task<bool> WaitForStartAsync(CancellationToken ct)
    {
        var started = new TaskCompletionSource();
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        try
        {
            await started.Task.WaitAsync(ct);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>An address of this process reachable on loopback (wildcards become 127.0.0.1).</summary>
    private Uri? LocalAddress()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var http = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ?? addresses.FirstOrDefault();
        if (http is null || !Uri.TryCreate(http.Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1").Replace("://[::]", "://127.0.0.1").Replace("://0.0.0.0", "://127.0.0.1"), UriKind.Absolute, out var uri))
        {
            return null;
        }
        return uri;
    }
}

public static class DemoTrafficFeature
{
    public static WebApplicationBuilder AddDemoTraffic(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(DemoOptions.Section);
        builder.Services.AddOptions<DemoOptions>().Bind(section);
        var options = section.Get<DemoOptions>() ?? new();
        builder.Services.AddSingleton<DemoHistory>();
        // The demo users and paths, seeded at start (Host/AppInitializer) when the demo is on.
        builder.Services.AddScoped<DemoSeeder>();
        if (options.IsEnabled(builder.Environment) && options.Traffic.Enabled)
        {
            builder.Services.AddHostedService<DemoTraffic>();
        }
        return builder;
    }
}
