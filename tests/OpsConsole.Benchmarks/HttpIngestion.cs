using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace OpsConsole.Benchmarks;

/// <summary>What one HTTP ingestion phase measured.</summary>
public sealed record HttpResult(
    int Events, int Batches, TimeSpan Elapsed, double P50Ms, double P99Ms, double MaxMs,
    long Accepted, long Duplicates, long Rejected, int Retries, IReadOnlyList<string> RetryReasons, IReadOnlyList<string> RejectionSamples)
{
    public double EventsPerSecond => Events / Elapsed.TotalSeconds;

    /// <summary>Set by the caller, which knows the app process.</summary>
    public CpuUsage? Cpu { get; init; }
}

/// <summary>
/// Sends pre-serialised batches to <c>POST /api/v1/events</c> from several concurrent workers over
/// one keep-alive HTTP/1.1 connection each, the way a fleet of SDK senders would.
/// </summary>
public static class HttpIngestion
{
    private static readonly MediaTypeHeaderValue _json = new("application/json");

    public static HttpClient CreateClient(Uri baseAddress, int clients)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = clients,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        };
        var client = new HttpClient(handler)
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(120),
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AppProcess.DemoApiKey);
        return client;
    }

    /// <summary>
    /// Sends every body once (plus retries after 429/503) and returns the timings. Fails when the
    /// app answers anything else, or when it did not accept exactly <paramref name="expectedEvents"/>.
    /// </summary>
    public static async Task<HttpResult> RunAsync(HttpClient client, byte[][] bodies, int expectedEvents, int clients, CancellationToken ct)
    {
        var latencies = new double[bodies.Length];
        var next = -1;
        long accepted = 0, duplicates = 0, rejected = 0;
        var retries = 0;
        var retryReasons = new List<string>();
        var rejections = new List<string>();

        var stopwatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int b;
            while ((b = Interlocked.Increment(ref next)) < bodies.Length)
            {
                var started = Stopwatch.GetTimestamp();
                while (true)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/events")
                    {
                        Content = new ByteArrayContent(bodies[b]) { Headers = { ContentType = _json } },
                    };
                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
                    if (response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests)
                    {
                        // The app asks for the same batch again; idempotent event ids make that safe.
                        var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                        var text = await response.Content.ReadAsStringAsync(ct);
                        lock (retryReasons)
                        {
                            retries++;
                            if (retryReasons.Count < 5)
                            {
                                retryReasons.Add($"{(int)response.StatusCode} after {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms, Retry-After {wait.TotalSeconds:0} s: {Shorten(text)}");
                            }
                        }
                        await Task.Delay(wait, ct);
                        continue;
                    }
                    var body = await response.Content.ReadAsByteArrayAsync(ct);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        throw new BenchmarkFailedException(
                            $"Batch {b} answered {(int)response.StatusCode} {response.ReasonPhrase}: {Shorten(System.Text.Encoding.UTF8.GetString(body))}");
                    }
                    latencies[b] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    Count(body, ref accepted, ref duplicates, ref rejected, rejections);
                    break;
                }
            }
        }, ct)).ToArray();
        await Task.WhenAll(workers);
        stopwatch.Stop();

        Array.Sort(latencies);
        var result = new HttpResult(
            expectedEvents, bodies.Length, stopwatch.Elapsed, Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies[^1],
            accepted, duplicates, rejected, retries, retryReasons, rejections);
        if (accepted != expectedEvents)
        {
            throw new BenchmarkFailedException(
                $"The app accepted {accepted:N0} of {expectedEvents:N0} events ({duplicates:N0} duplicates, {rejected:N0} rejected). " +
                "A benchmark that loses events measures nothing." +
                (rejections.Count > 0 ? "\nFirst rejections:\n  " + string.Join("\n  ", rejections) : ""));
        }
        return result;
    }

    private static void Count(byte[] body, ref long accepted, ref long duplicates, ref long rejected, List<string> rejections)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        var a = root.GetProperty("accepted").GetInt32();
        var d = root.GetProperty("duplicates").GetInt32();
        var r = root.GetProperty("rejected").GetInt32();
        Interlocked.Add(ref accepted, a);
        Interlocked.Add(ref duplicates, d);
        Interlocked.Add(ref rejected, r);
        if (r == 0 && d == 0)
        {
            return;
        }
        lock (rejections)
        {
            foreach (var item in root.GetProperty("results").EnumerateArray())
            {
                if (rejections.Count >= 5)
                {
                    break;
                }
                var status = item.TryGetProperty("status", out var s) ? s.ToString() : "";
                if (!status.Equals("accepted", StringComparison.OrdinalIgnoreCase))
                {
                    rejections.Add(item.GetRawText());
                }
            }
        }
    }

    /// <summary>Nearest-rank percentile of an ascending array.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static string Shorten(string text) => text.Length <= 400 ? text : text[..400] + "…";
}
