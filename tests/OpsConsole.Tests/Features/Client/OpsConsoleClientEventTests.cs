using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using OpsConsole.Client;

namespace OpsConsole.Tests.Features.Client;

/// <summary>The batching event sender: wire format, retries, permanent refusals, overflow and shutdown.</summary>
public sealed class OpsConsoleClientEventTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static InferenceEvent Event(int i) => new() { Path = "support-reply-draft", Unit = "customer-" + i, Outcome = EventOutcomes.Ok };

    private static async Task<(OpsConsoleClient Client, FakeConsole Console, FakeTimeProvider Clock)> StartAsync(Action<OpsConsoleClientOptions>? configure = null)
    {
        var clock = ClientTestTime.NewClock();
        var console = new FakeConsole(clock) { Config = _ => FakeConsole.ConfigDocument("v1", new PathConfig("support-reply-draft", false, 100, 1, "rules")) };
        var options = console.Options(clock);
        configure?.Invoke(options);
        return (await OpsConsoleClient.StartAsync(options, Ct), console, clock);
    }

    /// <summary>A flush that fails the test instead of hanging it when the sender never settles.</summary>
    private static Task FlushBoundedAsync(OpsConsoleClient client) => client.FlushAsync(Ct).WaitAsync(TimeSpan.FromSeconds(1.5), Ct);

    private static void AssertEveryEventSettled(EventSenderStats stats)
    {
        Assert.Equal(0, stats.Pending);
        Assert.Equal(stats.Tracked, stats.Accepted + stats.Duplicates + stats.Rejected + stats.Dropped + stats.DroppedPermanently + stats.DroppedOnShutdown);
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task Track_ConsoleAccepts_SendsCamelCaseEnvelopeWithoutNulls()
    {
        var (client, console, _) = await StartAsync();
        await using var __ = client;
        var explicitAt = new DateTimeOffset(2026, 11, 23, 9, 59, 30, TimeSpan.FromHours(1));

        client.Track(new InferenceEvent
        {
            Path = "support-reply-draft",
            Unit = "customer-42",
            ModelVersion = "gpt-x-2026-10",
            Confidence = 0.82,
            LatencyMs = 412.5,
            InputTokens = 310,
            OutputTokens = 95,
            CostUsd = 0.0031,
            Sources = [new EventSource("Refund policy", "https://kb.example/refunds"), new EventSource("Ticket", System: "Ticket", SourceUpdatedAt: explicitAt)],
            Attributes = new Dictionary<string, string> { ["Channel"] = "email" },
        });
        client.Track(new InferenceEvent { EventId = "evt-2", Path = "support-reply-draft", OccurredAt = explicitAt, Outcome = EventOutcomes.Fallback });
        await FlushBoundedAsync(client);

        var request = Assert.Single(console.EventRequests);
        Assert.Equal("Bearer " + FakeConsole.ApiKey, request.Authorization);
        Assert.Equal("application/json", request.ContentType);
        var events = request.Events();
        Assert.Equal(2, events.Length);
        var first = events[0];
        Assert.Matches("^[0-9a-f]{32}$", first.GetProperty("eventId").GetString());
        Assert.Equal("support-reply-draft", first.GetProperty("path").GetString());
        // Stamped from the client's clock when tracked, RFC 3339 with an offset.
        Assert.Equal("2026-11-23T10:00:00+00:00", first.GetProperty("occurredAt").GetString());
        Assert.Equal("ok", first.GetProperty("outcome").GetString());
        Assert.Equal(0.82, first.GetProperty("confidence").GetDouble());
        Assert.Equal(310, first.GetProperty("inputTokens").GetInt64());
        Assert.Equal("https://kb.example/refunds", first.GetProperty("sources")[0].GetProperty("url").GetString());
        Assert.False(first.GetProperty("sources")[0].TryGetProperty("snippet", out JsonElement _));
        Assert.False(first.GetProperty("sources")[0].TryGetProperty("system", out JsonElement _));
        Assert.Equal("Ticket", first.GetProperty("sources")[1].GetProperty("system").GetString());
        Assert.Equal("2026-11-23T09:59:30+01:00", first.GetProperty("sources")[1].GetProperty("sourceUpdatedAt").GetString());
        Assert.False(first.GetProperty("sources")[1].TryGetProperty("retrievedAt", out JsonElement _));
        Assert.Equal("email", first.GetProperty("attributes").GetProperty("Channel").GetString());
        Assert.False(first.TryGetProperty("errorCode", out JsonElement _));
        Assert.False(first.TryGetProperty("input", out JsonElement _));
        Assert.Equal("evt-2", events[1].GetProperty("eventId").GetString());
        Assert.Equal("2026-11-23T09:59:30+01:00", events[1].GetProperty("occurredAt").GetString());
        Assert.Equal("fallback", events[1].GetProperty("outcome").GetString());
        var stats = client.Stats;
        Assert.Equal(2, stats.Accepted);
        AssertEveryEventSettled(stats);
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task Track_429WithRetryAfterThen200_AllAcceptedAfterTheWait()
    {
        var (client, console, clock) = await StartAsync();
        await using var _ = client;
        var calls = 0;
        console.Events = seen => Interlocked.Increment(ref calls) == 1 ? FakeConsole.Status(HttpStatusCode.TooManyRequests, retryAfterSeconds: 5) : FakeConsole.AcceptAll(seen);
        for (var i = 0; i < 5; i++)
        {
            client.Track(Event(i));
        }

        var flush = client.FlushAsync(Ct);
        await ClientTestTime.UntilAsync(() => client.Stats.Retries == 1, what: "the 429");
        var waiting = client.Stats;
        Assert.Equal("http_429", waiting.LastError);
        Assert.Equal(5, waiting.Pending);
        await ClientTestTime.UntilAsync(() => flush.IsCompleted, clock, TimeSpan.FromMilliseconds(500), "the flush");
        await flush;

        var posts = console.EventRequests;
        Assert.Equal(2, posts.Count);
        // Back-off alone would have come back within 200 ms; the header asked for 5 s.
        Assert.InRange(posts[1].At - posts[0].At, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5.5));
        Assert.Equal(posts[0].EventIds(), posts[1].EventIds());
        var stats = client.Stats;
        Assert.Equal(5, stats.Accepted);
        Assert.Equal(1, stats.Retries);
        Assert.Null(stats.LastError);
        AssertEveryEventSettled(stats);
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task Track_TransientFailuresThen200_NothingLostAndBatchResentWhole()
    {
        var (client, console, clock) = await StartAsync();
        await using var _ = client;
        var calls = 0;
        console.Events = seen => Interlocked.Increment(ref calls) switch
        {
            1 => FakeConsole.Status(HttpStatusCode.ServiceUnavailable),
            2 => throw new HttpRequestException("Connection reset by peer"),
            3 => FakeConsole.Status(HttpStatusCode.BadGateway),
            _ => FakeConsole.AcceptAll(seen),
        };
        for (var i = 0; i < 20; i++)
        {
            client.Track(Event(i));
        }

        var flush = client.FlushAsync(Ct);
        await ClientTestTime.UntilAsync(() => flush.IsCompleted, clock, TimeSpan.FromMilliseconds(250), "the flush");
        await flush;

        var posts = console.EventRequests;
        Assert.Equal(4, posts.Count);
        Assert.All(posts, p => Assert.Equal(posts[0].EventIds(), p.EventIds()));
        Assert.Equal(20, posts[0].EventIds().Distinct().Count());
        var stats = client.Stats;
        Assert.Equal(20, stats.Accepted);
        Assert.Equal(3, stats.Retries);
        AssertEveryEventSettled(stats);
    }

    [Theory(Timeout = ClientTestTime.TimeoutMs)]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.RequestEntityTooLarge)]
    [InlineData(HttpStatusCode.UnsupportedMediaType)]
    public async Task Track_BatchRefused_CountedDroppedPermanentlyWithReasonAndNotRetried(HttpStatusCode status)
    {
        var (client, console, clock) = await StartAsync();
        await using var _ = client;
        console.Events = _ => FakeConsole.Status(status);
        for (var i = 0; i < 7; i++)
        {
            client.Track(Event(i));
        }

        await FlushBoundedAsync(client);
        clock.Advance(TimeSpan.FromMinutes(5));
        await Task.Delay(20, Ct);

        Assert.Single(console.EventRequests);
        var stats = client.Stats;
        Assert.Equal(7, stats.DroppedPermanently);
        Assert.Equal(0, stats.Accepted);
        Assert.Equal(0, stats.Retries);
        Assert.StartsWith($"http_{(int)status}: Refused", stats.LastDropReason);
        Assert.Contains($"Answer {(int)status} from the fake console.", stats.LastDropReason);
        AssertEveryEventSettled(stats);
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task Track_BufferOverflows_OldestDroppedAndEveryEventAccountedFor()
    {
        var (client, console, _) = await StartAsync(o => o.MaxBufferedEvents = 10);
        await using var __ = client;
        var tracked = Enumerable.Range(0, 25).Select(Event).ToList();

        tracked.ForEach(client.Track);
        var beforeFlush = client.Stats;
        await FlushBoundedAsync(client);

        Assert.Equal(15, beforeFlush.Dropped);
        Assert.Equal(10, beforeFlush.Pending);
        var sent = console.EventRequests.SelectMany(r => r.EventIds()).ToList();
        Assert.Equal(tracked.Skip(15).Select(e => e.EventId), sent);
        var stats = client.Stats;
        Assert.Equal(25, stats.Tracked);
        Assert.Equal(10, stats.Accepted);
        Assert.Equal(15, stats.Dropped);
        Assert.Equal(25, stats.Accepted + stats.Duplicates + stats.Rejected + stats.Dropped);
        AssertEveryEventSettled(stats);
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task Track_DuplicateAndRejectedResults_DuplicatesCountAsSuccessNothingResent()
    {
        var (client, console, clock) = await StartAsync();
        await using var _ = client;
        console.Events = seen => FakeConsole.Answer(seen, i => i switch { 0 => "accepted", 1 or 2 => "duplicate", _ => "rejected" });
        for (var i = 0; i < 4; i++)
        {
            client.Track(Event(i));
        }

        await FlushBoundedAsync(client);
        clock.Advance(TimeSpan.FromMinutes(5));
        await Task.Delay(20, Ct);

        Assert.Single(console.EventRequests);
        var stats = client.Stats;
        Assert.Equal(1, stats.Accepted);
        Assert.Equal(2, stats.Duplicates);
        Assert.Equal(1, stats.Rejected);
        Assert.Equal(0, stats.Retries);
        Assert.Equal("invalid_field:confidence: confidence must be a number between 0 and 1.", stats.LastRejectReason);
        AssertEveryEventSettled(stats);
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task FlushAsync_MoreThanMaxBatchSize_SplitIntoBatchesOfAtMostMaxBatchSize()
    {
        var (client, console, _) = await StartAsync(o => o.MaxBatchSize = 100);
        await using var __ = client;
        var tracked = Enumerable.Range(0, 250).Select(Event).ToList();

        tracked.ForEach(client.Track);
        await FlushBoundedAsync(client);

        var posts = console.EventRequests;
        Assert.True(posts.Count >= 3, $"{posts.Count} requests");
        Assert.All(posts, p => Assert.InRange(p.EventIds().Length, 1, 100));
        Assert.Equal(tracked.Select(e => e.EventId), posts.SelectMany(p => p.EventIds()));
        Assert.Equal(250, client.Stats.Accepted);
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task Track_BatchFills_SentWithoutWaitingForTheFlushInterval()
    {
        var (client, console, _) = await StartAsync(o => o.MaxBatchSize = 10);
        await using var __ = client;

        for (var i = 0; i < 10; i++)
        {
            client.Track(Event(i));
        }

        // The flush interval is 10 minutes of a clock that stands still: only a full batch sends now.
        await ClientTestTime.UntilAsync(() => client.Stats.Accepted == 10, what: "the full batch to be sent");
        Assert.Equal(10, Assert.Single(console.EventRequests).EventIds().Length);
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task Track_FlushIntervalPasses_PartialBatchSent()
    {
        var (client, console, clock) = await StartAsync(o => o.FlushInterval = TimeSpan.FromSeconds(1));
        await using var _ = client;

        client.Track(Event(1));
        await Task.Delay(20, Ct);
        Assert.Empty(console.EventRequests);

        await ClientTestTime.UntilAsync(() => client.Stats.Accepted == 1, clock, TimeSpan.FromMilliseconds(250), "the interval flush");
        Assert.Single(console.EventRequests);
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task DisposeAsync_PendingEvents_FlushedBeforeClosing()
    {
        var (client, console, clock) = await StartAsync(o => o.ShutdownFlushTimeout = TimeSpan.FromSeconds(5));
        for (var i = 0; i < 3; i++)
        {
            client.Track(Event(i));
        }
        Assert.Equal(3, client.Stats.Pending);

        var dispose = client.DisposeAsync().AsTask();
        await ClientTestTime.UntilAsync(() => dispose.IsCompleted, clock, TimeSpan.FromMilliseconds(100), "DisposeAsync");
        await dispose;
        client.Track(Event(99));

        Assert.Equal(3, Assert.Single(console.EventRequests).EventIds().Length);
        var stats = client.Stats;
        Assert.Equal(3, stats.Accepted);
        Assert.Equal(1, stats.DroppedOnShutdown);
        AssertEveryEventSettled(stats);
    }

    [Fact(Timeout = ClientTestTime.TimeoutMs)]
    public async Task DisposeAsync_ConsoleDownPastShutdownTimeout_UnsentCountedAsDroppedOnShutdown()
    {
        var (client, console, clock) = await StartAsync(o => o.ShutdownFlushTimeout = TimeSpan.FromSeconds(5));
        console.Events = _ => FakeConsole.Status(HttpStatusCode.ServiceUnavailable, retryAfterSeconds: 60);
        for (var i = 0; i < 4; i++)
        {
            client.Track(Event(i));
        }

        var dispose = client.DisposeAsync().AsTask();
        await ClientTestTime.UntilAsync(() => dispose.IsCompleted, clock, TimeSpan.FromSeconds(1), "DisposeAsync");
        await dispose;

        Assert.NotEmpty(console.EventRequests);
        var stats = client.Stats;
        Assert.Equal(4, stats.DroppedOnShutdown);
        Assert.Equal(0, stats.Accepted);
        AssertEveryEventSettled(stats);
    }
}
