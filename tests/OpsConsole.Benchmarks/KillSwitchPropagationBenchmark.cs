using System.Diagnostics;
using System.Security.Claims;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Client;
using OpsConsole.Web.Features.Controls;

namespace OpsConsole.Benchmarks;

/// <summary>
/// Issue 6 (d): 50 client-library instances connected by push; the kill switch is flipped through
/// <see cref="ControlsService"/> (what the UI's button calls) in a console hosted in this process
/// on Kestrel, and each client's <c>IsEnabled</c> is watched until it answers the new state.
/// </summary>
public sealed class KillSwitchPropagationBenchmark(string work)
{
    public const int Clients = 50;
    private const int Flips = 20;
    private const double GoalP99Ms = 250;
    private const string Slug = "invoice-field-extraction"; // at 100 %: on for every unit until killed

    private static void Progress(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] propagation: {message}");

    /// <summary>The console in this process on a real socket, with the demo seeded and no background traffic.</summary>
    // Any type of the web assembly names its entry point (this program has its own Program).
    public sealed class HostedConsole : WebApplicationFactory<ControlsService>
    {
        private readonly string _dir;

        private HostedConsole(string dir) => _dir = dir;

        public Uri BaseUrl { get; private set; } = null!;

        public static HostedConsole Start(string dir)
        {
            Directory.CreateDirectory(dir);
            // The factory looks for the web project's folder beside a solution; this program runs from its own output.
            Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_OPSCONSOLE_WEB", AppContext.BaseDirectory);
            var console = new HostedConsole(dir);
            console.UseKestrel(0);
            console.StartServer();
            var address = console.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            console.BaseUrl = new Uri(address.Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1") + "/");
            return console;
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("ConnectionStrings:OpsConsole", $"Data Source={Path.Combine(_dir, "console.db")}");
            builder.UseSetting("OpsConsole:Demo:Enabled", "true");
            builder.UseSetting("OpsConsole:Demo:Traffic:Enabled", "false");
            builder.UseSetting("OpsConsole:Jobs:Enabled", "false");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TempFolder.Delete(_dir);
        }
    }

    public async Task RunAsync(CancellationToken ct)
    {
        await using var console = HostedConsole.Start(Path.Combine(work, "propagation"));
        var controls = console.Services.GetRequiredService<ControlsService>();
        var admin = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, "bench-admin"), new Claim(ClaimTypes.Name, "benchmark"), new Claim(ClaimTypes.Role, "Admin")], "bench"));

        Progress($"connecting {Clients} clients with push");
        var clients = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => OpsConsoleClient.StartAsync(new OpsConsoleClientOptions
        {
            BaseUrl = console.BaseUrl,
            ApiKey = AppProcess.DemoApiKey,
            UsePush = true,
            // Only push can bring the change within the measurement: the periodic refresh is far away.
            RefreshInterval = TimeSpan.FromMinutes(30),
        }, ct)));
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (clients.Any(c => !c.HasSnapshot || c.PushState != HubConnectionState.Connected))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new BenchmarkFailedException($"{clients.Count(c => c.PushState != HubConnectionState.Connected)} clients did not connect within 30 s");
                }
                await Task.Delay(50, ct);
            }

            var samples = new List<double>();
            var on = true;
            for (var flip = 0; flip < Flips + 2; flip++)
            {
                on = !on; // first flip kills, the next restores, …
                var wantEnabled = on;
                var seen = new double[Clients];
                // A flip is made from the state its person saw; read it outside the measured time.
                var lastFlip = (await controls.GetAsync(Slug, admin, ct))!.Path.KillSwitchAt;
                var started = Stopwatch.GetTimestamp();
                var result = await controls.SetKillSwitchAsync(Slug, !wantEnabled, lastFlip, $"propagation benchmark flip {flip}", admin, ct);
                if (!result.Succeeded)
                {
                    throw new BenchmarkFailedException("the kill switch did not flip: " + result.Error);
                }
                // Watch every client's answer; a client counts when IsEnabled first returns the new state.
                var pending = Enumerable.Range(0, Clients).ToHashSet();
                var limit = started + 5 * Stopwatch.Frequency;
                while (pending.Count > 0)
                {
                    foreach (var i in pending.ToArray())
                    {
                        if (clients[i].IsEnabled(Slug, "unit-" + i) == wantEnabled)
                        {
                            seen[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                            pending.Remove(i);
                        }
                    }
                    if (Stopwatch.GetTimestamp() > limit)
                    {
                        throw new BenchmarkFailedException($"{pending.Count} clients still answered the old state 5 s after flip {flip}");
                    }
                    await Task.Yield();
                }
                if (flip >= 2)
                {
                    samples.AddRange(seen); // the first two flips warm up the paths involved
                }
                await Task.Delay(100, ct);
            }
            samples.Sort();
            double P(double q) => samples[(int)Math.Floor(q * (samples.Count - 1))];
            Console.WriteLine();
            Console.WriteLine("== Kill-switch propagation (issue 6 d) ==");
            Console.WriteLine($"{Clients} client-library instances with push, {Flips} flips through ControlsService (+2 warm-up), console in process on Kestrel, 127.0.0.1");
            Console.WriteLine($"click → IsEnabled answers the new state: p50 {P(0.5):N1} ms, p95 {P(0.95):N1} ms, p99 {P(0.99):N1} ms, max {samples[^1]:N1} ms ({samples.Count} samples)");
            Console.WriteLine($"p99 goal ≤ {GoalP99Ms} ms: {(P(0.99) <= GoalP99Ms ? "met" : "NOT met")}");
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }
    }
}
