using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace OpsConsole.Benchmarks;

/// <summary>Requests per second and latency percentiles of one endpoint under the load generator.</summary>
public sealed record EndpointResult(string Name, long Requests, double Seconds, double P50Ms, double P99Ms, long Failures)
{
    public double PerSecond => Requests / Seconds;
}

/// <summary>
/// Issue 6 (a)/(b): the decision endpoint against a constant small-JSON endpoint of the same app,
/// driven by the same closed-loop load generator at the same concurrency, in alternating rounds
/// so drift on the machine falls on both. The console runs as its own process on 127.0.0.1.
/// </summary>
public sealed class DecisionBenchmark(BenchOptions options, string work)
{
    public const int Concurrency = 32;
    internal const int Rounds = 3;
    internal static readonly TimeSpan RoundLength = TimeSpan.FromSeconds(8);
    internal static readonly TimeSpan Warmup = TimeSpan.FromSeconds(4);
    private const double GoalRatio = 0.9;
    private const double GoalP99Ms = 5;

    private static void Progress(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] decision: {message}");

    public async Task<(EndpointResult Constant, EndpointResult Decision)> RunAsync(CancellationToken ct)
    {
        Progress("copying the web app's build output");
        var build = AppBuild.Locate(Path.Combine(work, "decision-app"), options.AppConfiguration);
        var databaseFile = Path.Combine(work, "decision", "decision.db");
        Directory.CreateDirectory(Path.GetDirectoryName(databaseFile)!);
        using var app = await AppProcess.StartAsync(build, databaseFile, "decision", ct);

        // Every request is built from ready Uris: the generator's own work is the same for both endpoints.
        var random = new Random(6);
        var decisionUris = Enumerable.Range(0, 10_000)
            .Select(i => new Uri(app.BaseAddress, $"api/v1/paths/support-reply-draft/decision?unit=user-{random.Next(1_000_000)}")).ToArray();
        var pingUris = new[] { new Uri(app.BaseAddress, "api/v1/ping") };
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(10) });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AppProcess.DemoApiKey);

        // Both answer correctly before anything is timed.
        var check = await http.GetStringAsync(decisionUris[0], ct);
        if (!check.Contains("\"enabled\"", StringComparison.Ordinal))
        {
            throw new BenchmarkFailedException("The decision endpoint did not answer a decision: " + check);
        }
        Progress($"warm-up, {Warmup.TotalSeconds:0} s per endpoint at {Concurrency} concurrent requests");
        await LoadAsync(http, pingUris, "ping", Warmup, ct);
        await LoadAsync(http, decisionUris, "decision", Warmup, ct);

        var constant = new List<EndpointResult>();
        var decision = new List<EndpointResult>();
        for (var round = 1; round <= Rounds; round++)
        {
            Progress($"round {round} of {Rounds}: {RoundLength.TotalSeconds:0} s each, constant endpoint then decision endpoint");
            constant.Add(await LoadAsync(http, pingUris, "constant (GET /api/v1/ping)", RoundLength, ct));
            decision.Add(await LoadAsync(http, decisionUris, "decision (GET /api/v1/paths/{slug}/decision)", RoundLength, ct));
        }
        var a = Combine(constant);
        var b = Combine(decision);
        Report(a, b, constant, decision, app);
        return (a, b);
    }

    /// <summary>A closed loop: each of <see cref="Concurrency"/> workers sends its next request when the last one is answered.</summary>
    internal static async Task<EndpointResult> LoadAsync(HttpClient http, Uri[] uris, string name, TimeSpan length, CancellationToken ct)
    {
        var latencies = new List<double>[Concurrency];
        long failures = 0;
        var stop = Stopwatch.GetTimestamp() + (long)(length.TotalSeconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(200_000);
            var i = w;
            while (Stopwatch.GetTimestamp() < stop && !ct.IsCancellationRequested)
            {
                var t = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(uris[i++ % uris.Length], HttpCompletionOption.ResponseContentRead, ct);
                mine.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }, ct)));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        return new EndpointResult(name, all.Length, seconds, Percentile(all, 0.50), Percentile(all, 0.99), failures);
    }

    private static double Percentile(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[(int)Math.Floor(q * (sorted.Length - 1))];

    internal static EndpointResult Combine(List<EndpointResult> rounds) => new(
        rounds[0].Name, rounds.Sum(r => r.Requests), rounds.Sum(r => r.Seconds),
        rounds.Average(r => r.P50Ms), rounds.Max(r => r.P99Ms), rounds.Sum(r => r.Failures));

    private static void Report(EndpointResult a, EndpointResult b, List<EndpointResult> constant, List<EndpointResult> decision, AppProcess app)
    {
        var ratio = b.PerSecond / a.PerSecond;
        Console.WriteLine();
        Console.WriteLine("== Decision endpoint benchmark (issue 6 a/b) ==");
        Console.WriteLine($"load: closed loop, {Concurrency} concurrent requests over HTTP/1.1 keep-alive, {Rounds} alternating rounds of {RoundLength.TotalSeconds:0} s per endpoint; generator and console on the same 2-core machine");
        foreach (var (r, i) in constant.Zip(decision).SelectMany((p, i) => new[] { (p.First, i), (p.Second, i) }))
        {
            Console.WriteLine($"  round {i + 1}: {r.Name,-48} {r.PerSecond,9:N0} req/s  p50 {r.P50Ms:N2} ms  p99 {r.P99Ms:N2} ms");
        }
        Console.WriteLine($"(a) constant endpoint: {a.PerSecond:N0} req/s, p99 {a.P99Ms:N2} ms (worst round), {a.Failures} non-200");
        Console.WriteLine($"(b) decision endpoint, API key checked on every request: {b.PerSecond:N0} req/s, p99 {b.P99Ms:N2} ms (worst round), {b.Failures} non-200");
        Console.WriteLine($"ratio (b)/(a): {ratio:N3}   goal ≥ {GoalRatio}: {(ratio >= GoalRatio ? "met" : "NOT met")}");
        Console.WriteLine($"decision p99 {b.P99Ms:N2} ms   goal ≤ {GoalP99Ms} ms: {(b.P99Ms <= GoalP99Ms ? "met" : "NOT met")}");
        if (app.ProblemCount > 0)
        {
            Console.WriteLine($"app log: {app.ProblemCount} warning/error lines");
        }
    }
}
