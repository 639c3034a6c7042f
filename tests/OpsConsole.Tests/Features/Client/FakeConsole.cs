using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using OpsConsole.Client;

namespace OpsConsole.Tests.Features.Client;

/// <summary>
/// The console's config and events APIs as an <see cref="HttpMessageHandler"/>: no network, every
/// request recorded with the fake time it arrived at, and each API's answer swappable mid-test.
/// </summary>
internal sealed class FakeConsole(TimeProvider time) : HttpMessageHandler
{
    public const string ApiKey = "ocs_test_0123456789abcdef";

    public sealed record Seen(HttpMethod Method, string Path, string? Authorization, string? IfNoneMatch, string? ContentType, string? Body, DateTimeOffset At)
    {
        public string[] EventIds() => Events().Select(e => e.GetProperty("eventId").GetString()!).ToArray();

        public JsonElement[] Events()
        {
            using var doc = JsonDocument.Parse(Body!);
            return doc.RootElement.GetProperty("events").EnumerateArray().Select(e => e.Clone()).ToArray();
        }
    }

    public ConcurrentQueue<Seen> Requests { get; } = new();

    /// <summary>Answers <c>GET /api/v1/config</c>; throw from it to play an unreachable console.</summary>
    public Func<Seen, HttpResponseMessage> Config { get; set; } = _ => Status(HttpStatusCode.ServiceUnavailable);

    /// <summary>Answers <c>POST /api/v1/events</c>; accepts every item unless replaced.</summary>
    public Func<Seen, HttpResponseMessage> Events { get; set; } = AcceptAll;

    public List<Seen> ConfigRequests => Requests.Where(r => r.Path.EndsWith("/api/v1/config", StringComparison.Ordinal)).ToList();

    public List<Seen> EventRequests => Requests.Where(r => r.Path.EndsWith("/api/v1/events", StringComparison.Ordinal)).ToList();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var seen = new Seen(request.Method, request.RequestUri!.AbsolutePath, request.Headers.Authorization?.ToString(),
            request.Headers.TryGetValues("If-None-Match", out var tags) ? string.Join(",", tags) : null,
            request.Content?.Headers.ContentType?.MediaType, body, time.GetUtcNow());
        Requests.Enqueue(seen);
        // Matched by ending, so a console behind a path prefix (https://host/ops/) is served too.
        return seen.Path.EndsWith("/api/v1/config", StringComparison.Ordinal) ? Config(seen)
            : seen.Path.EndsWith("/api/v1/events", StringComparison.Ordinal) ? Events(seen)
            : Status(HttpStatusCode.NotFound);
    }

    /// <summary>A config document written out by hand, so the wire format of the contract is what is tested.</summary>
    public static HttpResponseMessage ConfigDocument(string version, params PathConfig[] paths)
    {
        var items = paths.Select(p =>
            $$"""{"slug":"{{p.Slug}}","killSwitch":{{(p.KillSwitch ? "true" : "false")}},"rolloutPercent":{{p.RolloutPercent}},"configVersion":{{p.ConfigVersion}},"fallback":"{{p.Fallback}}"}""");
        var response = Json(HttpStatusCode.OK, $$"""{"version":"{{version}}","paths":[{{string.Join(",", items)}}]}""");
        response.Headers.ETag = new System.Net.Http.Headers.EntityTagHeaderValue("\"" + version + "\"");
        return response;
    }

    public static HttpResponseMessage AcceptAll(Seen seen) => Answer(seen, _ => "accepted");

    /// <summary>The events API's 200 answer with the status <paramref name="statusOf"/> gives each item (by index).</summary>
    public static HttpResponseMessage Answer(Seen seen, Func<int, string> statusOf, string reason = "invalid_field:confidence")
    {
        var ids = seen.EventIds();
        var results = ids.Select((id, i) => new Dictionary<string, object?>
        {
            ["index"] = i,
            ["eventId"] = id,
            ["status"] = statusOf(i),
            ["reason"] = statusOf(i) == "rejected" ? reason : null,
            ["detail"] = statusOf(i) == "rejected" ? "confidence must be a number between 0 and 1." : null,
        }).ToList();
        var body = new
        {
            accepted = results.Count(r => (string)r["status"]! == "accepted"),
            duplicates = results.Count(r => (string)r["status"]! == "duplicate"),
            rejected = results.Count(r => (string)r["status"]! == "rejected"),
            results,
        };
        return Json(HttpStatusCode.OK, JsonSerializer.Serialize(body));
    }

    public static HttpResponseMessage Status(HttpStatusCode status, int? retryAfterSeconds = null)
    {
        var response = new HttpResponseMessage(status)
        {
            Content = new StringContent($$"""{"title":"Refused","status":{{(int)status}},"detail":"Answer {{(int)status}} from the fake console."}""",
                Encoding.UTF8, "application/problem+json"),
        };
        if (retryAfterSeconds is { } seconds)
        {
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(seconds));
        }
        return response;
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    /// <summary>
    /// Options for a client of this fake: no push, fake time, and intervals long enough that moving
    /// the clock does not refresh or send unless a test shortens them.
    /// </summary>
    public OpsConsoleClientOptions Options(FakeTimeProvider clock) => new()
    {
        BaseUrl = new Uri("http://console.test"),
        ApiKey = ApiKey,
        UsePush = false,
        HttpMessageHandler = this,
        TimeProvider = clock,
        FlushInterval = TimeSpan.FromMinutes(10),
        RefreshInterval = TimeSpan.FromHours(1),
        // The fake clock stands still unless a test moves it, so any other timeout would never end.
        ShutdownFlushTimeout = TimeSpan.Zero,
    };
}

internal static class ClientTestTime
{
    /// <summary>A safety net: a client that never settles fails its test instead of hanging the run.</summary>
    public const int TimeoutMs = 10_000;

    public static FakeTimeProvider NewClock() => new(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));

    /// <summary>
    /// Waits for <paramref name="condition"/> in real time (bounded, so a broken client fails the test
    /// instead of hanging it), moving the fake clock on by <paramref name="step"/> between looks.
    /// </summary>
    public static async Task UntilAsync(Func<bool> condition, FakeTimeProvider? clock = null, TimeSpan? step = null, string? what = null)
    {
        var giveUp = DateTime.UtcNow.AddSeconds(1.5);
        while (!condition())
        {
            if (DateTime.UtcNow > giveUp)
            {
                Assert.Fail("Timed out waiting for " + (what ?? "the condition"));
            }
            if (clock is not null)
            {
                clock.Advance(step ?? TimeSpan.FromMilliseconds(500));
            }
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }
}
