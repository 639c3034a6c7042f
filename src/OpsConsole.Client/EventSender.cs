using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace OpsConsole.Client;

/// <summary>
/// Buffers tracked events and sends them in batches from one background loop. Callers never wait
/// for the network: <see cref="Track"/> only enqueues. When the console cannot take events the
/// buffer keeps the newest ones (the oldest are dropped and counted), a batch is resent as a whole
/// after transient failures (safe: the event id is the idempotency key), and every event ends up
/// in exactly one count of <see cref="EventSenderStats"/>.
/// </summary>
internal sealed partial class EventSender : IAsyncDisposable
{
    // {"events":[ … ]} around the items, and a comma between them.
    private static readonly byte[] EnvelopeStart = "{\"events\":["u8.ToArray();
    private static readonly byte[] EnvelopeEnd = "]}"u8.ToArray();
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(10);

    private readonly HttpClient _http;
    private readonly Uri _eventsUri;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly int _maxBuffered;
    private readonly int _maxBatchSize;
    private readonly int _maxRequestBytes;
    private readonly TimeSpan _flushInterval;
    private readonly TimeSpan _initialRetryDelay;
    private readonly TimeSpan _maxRetryDelay;
    private readonly TimeSpan _shutdownFlushTimeout;

    private readonly Lock _lock = new();
    private readonly Queue<Entry> _queue = new();
    private readonly List<(long Through, TaskCompletionSource Done)> _flushWaiters = [];
    private readonly WakeSignal _wake = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    // Guarded by _lock, so a stats snapshot always adds up.
    private long _lastSeq;
    private int _inFlight;
    private long _inFlightFirstSeq;
    private bool _closed;
    private long _tracked, _accepted, _duplicates, _rejected, _dropped, _droppedPermanently, _droppedOnShutdown, _retries;
    private string? _lastRejectReason, _lastDropReason, _lastError;

    private readonly record struct Entry(InferenceEvent Event, long Seq);

    public EventSender(HttpClient http, Uri eventsUri, OpsConsoleClientOptions options, ILogger log, int maxRequestBytes = OpsConsoleClientOptions.MaxRequestBytes)
    {
        _http = http;
        _eventsUri = eventsUri;
        _time = options.TimeProvider;
        _log = log;
        _maxBuffered = options.MaxBufferedEvents;
        _maxBatchSize = options.MaxBatchSize;
        _maxRequestBytes = maxRequestBytes;
        _flushInterval = options.FlushInterval;
        _initialRetryDelay = options.InitialRetryDelay;
        _maxRetryDelay = options.MaxRetryDelay;
        _shutdownFlushTimeout = options.ShutdownFlushTimeout;
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public EventSenderStats Stats
    {
        get
        {
            lock (_lock)
            {
                return new EventSenderStats
                {
                    Tracked = _tracked,
                    Accepted = _accepted,
                    Duplicates = _duplicates,
                    Rejected = _rejected,
                    LastRejectReason = _lastRejectReason,
                    Dropped = _dropped,
                    DroppedPermanently = _droppedPermanently,
                    LastDropReason = _lastDropReason,
                    DroppedOnShutdown = _droppedOnShutdown,
                    Retries = _retries,
                    LastError = _lastError,
                    Pending = _queue.Count + _inFlight,
                };
            }
        }
    }

    public void Track(InferenceEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.OccurredAt is null)
        {
            e = e with { OccurredAt = _time.GetUtcNow() };
        }
        bool wake;
        lock (_lock)
        {
            _tracked++;
            if (_closed)
            {
                _droppedOnShutdown++;
                return;
            }
            if (_queue.Count >= _maxBuffered)
            {
                // The newest events say the most about the service now; keep those.
                _queue.Dequeue();
                _dropped++;
                if (_flushWaiters.Count > 0)
                {
                    CompleteFlushWaiters();
                }
            }
            _queue.Enqueue(new Entry(e, ++_lastSeq));
            wake = _queue.Count == _maxBatchSize;
        }
        if (wake)
        {
            _wake.Set();
        }
    }

    /// <summary>Completes when every event tracked before the call has a final outcome.</summary>
    public Task FlushAsync(CancellationToken ct)
    {
        TaskCompletionSource done;
        lock (_lock)
        {
            if (OldestUnsettledSeq() > _lastSeq)
            {
                return Task.CompletedTask;
            }
            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _flushWaiters.Add((_lastSeq, done));
        }
        _wake.Set();
        return done.Task.WaitAsync(ct);
    }

    /// <summary>Sends what is buffered for up to the shutdown timeout, then stops; anything left is counted as dropped on shutdown.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }
            _closed = true;
        }
        try
        {
            await FlushAsync(CancellationToken.None).WaitAsync(_shutdownFlushTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogShutdownTimeout(_log, _shutdownFlushTimeout);
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        lock (_lock)
        {
            _droppedOnShutdown += _queue.Count;
            _queue.Clear();
            foreach (var (_, waiter) in _flushWaiters)
            {
                waiter.TrySetResult();
            }
            _flushWaiters.Clear();
        }
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        // A partial batch goes out once the flush interval has passed since the last send; a full
        // batch or a flush request sends at once.
        var deadline = _time.GetUtcNow() + _flushInterval;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var now = _time.GetUtcNow();
                if (!ShouldSendNow() && now < deadline)
                {
                    await _wake.WaitAsync(deadline - now, _time, ct).ConfigureAwait(false);
                    continue;
                }
                var batch = TakeBatch();
                if (batch is not null)
                {
                    await SendBatchAsync(batch, ct).ConfigureAwait(false);
                }
                deadline = _time.GetUtcNow() + _flushInterval;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A bug must not end the loop: everything tracked later would pile up unsent.
                LogLoopFailed(_log, ex);
                deadline = _time.GetUtcNow() + _flushInterval;
            }
        }
    }

    private bool ShouldSendNow()
    {
        lock (_lock)
        {
            return _queue.Count >= _maxBatchSize || (_queue.Count > 0 && (_flushWaiters.Count > 0 || _closed));
        }
    }

    private List<Entry>? TakeBatch()
    {
        lock (_lock)
        {
            if (_queue.Count == 0)
            {
                return null;
            }
            var batch = new List<Entry>(Math.Min(_queue.Count, _maxBatchSize));
            while (batch.Count < _maxBatchSize && _queue.TryDequeue(out var entry))
            {
                batch.Add(entry);
            }
            _inFlight = batch.Count;
            _inFlightFirstSeq = batch[0].Seq;
            return batch;
        }
    }

    private async Task SendBatchAsync(List<Entry> batch, CancellationToken ct)
    {
        try
        {
            foreach (var chunk in Chunk(Serialize(batch)))
            {
                await SendChunkAsync(chunk, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            SettleRemaining(ref _droppedOnShutdown, null);
            throw;
        }
        catch (Exception ex)
        {
            SettleRemaining(ref _droppedPermanently, "client_error: " + ex.Message);
            throw;
        }
        finally
        {
            lock (_lock)
            {
                _inFlight = 0;
                CompleteFlushWaiters();
            }
        }
    }

    /// <summary>Each event's JSON, once per batch, so a resend costs no serialization.</summary>
    private List<byte[]> Serialize(List<Entry> batch)
    {
        var items = new List<byte[]>(batch.Count);
        foreach (var entry in batch)
        {
            try
            {
                items.Add(JsonSerializer.SerializeToUtf8Bytes(entry.Event, ClientJson.Default.InferenceEvent));
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException or JsonException)
            {
                // NaN or infinity in a number, for instance: the console could not read it either.
                Settle(ref _rejected, 1, "not_serializable: " + ex.Message, ref _lastRejectReason);
            }
        }
        return items;
    }

    /// <summary>Splits items into request bodies within the console's size limit.</summary>
    private IEnumerable<List<byte[]>> Chunk(List<byte[]> items)
    {
        var budget = _maxRequestBytes - EnvelopeStart.Length - EnvelopeEnd.Length;
        var chunk = new List<byte[]>();
        var size = 0;
        foreach (var item in items)
        {
            if (item.Length > budget)
            {
                Settle(ref _droppedPermanently, 1, $"event_too_large: {item.Length:N0} bytes, more than one request may carry", ref _lastDropReason);
                continue;
            }
            var added = item.Length + (chunk.Count > 0 ? 1 : 0);
            if (size + added > budget)
            {
                yield return chunk;
                chunk = [];
                size = 0;
                added = item.Length;
            }
            chunk.Add(item);
            size += added;
        }
        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }

    private async Task SendChunkAsync(List<byte[]> chunk, CancellationToken ct)
    {
        var body = Envelope(chunk);
        for (var attempt = 0; ; attempt++)
        {
            var result = await PostAsync(body, ct).ConfigureAwait(false);
            if (result.Response is { } response)
            {
                Apply(response, chunk.Count);
                return;
            }
            if (result.PermanentReason is { } reason)
            {
                Settle(ref _droppedPermanently, chunk.Count, reason, ref _lastDropReason);
                LogBatchRefused(_log, chunk.Count, reason);
                return;
            }
            var delay = result.RetryAfter ?? Backoff.FullJitter(attempt, _initialRetryDelay, _maxRetryDelay);
            lock (_lock)
            {
                _retries++;
                _lastError = result.Error;
            }
            LogRetrying(_log, chunk.Count, result.Error, delay);
            await Task.Delay(delay, _time, ct).ConfigureAwait(false);
        }
    }

    private static byte[] Envelope(List<byte[]> items)
    {
        var length = EnvelopeStart.Length + EnvelopeEnd.Length + Math.Max(items.Count - 1, 0);
        foreach (var item in items)
        {
            length += item.Length;
        }
        var body = new byte[length];
        var at = 0;
        EnvelopeStart.CopyTo(body, at);
        at += EnvelopeStart.Length;
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                body[at++] = (byte)',';
            }
            items[i].CopyTo(body, at);
            at += items[i].Length;
        }
        EnvelopeEnd.CopyTo(body, at);
        return body;
    }

    private readonly record struct PostResult(IngestResponse? Response, string? PermanentReason, string? Error, TimeSpan? RetryAfter);

    private async Task<PostResult> PostAsync(byte[] body, CancellationToken ct)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = JsonContentType;
        using var request = new HttpRequestMessage(HttpMethod.Post, _eventsUri) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            // Includes HttpClient's own timeout, which surfaces as a cancellation the caller did not ask for.
            return new PostResult(null, null, "network: " + ex.Message, null);
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                try
                {
                    var parsed = await response.Content.ReadFromJsonAsync(ClientJson.Default.IngestResponse, ct).ConfigureAwait(false);
                    if (parsed is not null)
                    {
                        return new PostResult(parsed, null, null, null);
                    }
                }
                catch (Exception ex) when (ex is JsonException or HttpRequestException or IOException or NotSupportedException)
                {
                }
                // Something between us and the console answered; the console may or may not have stored
                // the batch, and resending is safe because stored events come back as duplicates.
                return new PostResult(null, null, $"http_{status}: the answer was not the events API's", null);
            }
            if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
            {
                return new PostResult(null, null, $"http_{status}", RetryAfter(response));
            }
            if (status >= 500 || response.StatusCode == HttpStatusCode.RequestTimeout)
            {
                return new PostResult(null, null, $"http_{status}", null);
            }
            // 400, 401, 403, 413, 415 and any other refusal: the same batch would be refused again.
            return new PostResult(null, await ProblemAsync(response, status, ct).ConfigureAwait(false), null, null);
        }
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var wait = header?.Delta ?? (header?.Date is { } date ? date - _time.GetUtcNow() : null);
        // A clock skew or a typo in the header must not park the sender for hours.
        return wait is null ? null : TimeSpan.FromTicks(Math.Clamp(wait.Value.Ticks, 0, MaxRetryAfter.Ticks));
    }

    private static async Task<string> ProblemAsync(HttpResponseMessage response, int status, CancellationToken ct)
    {
        var reason = $"http_{status}";
        try
        {
            var problem = await response.Content.ReadFromJsonAsync(ClientJson.Default.ProblemBody, ct).ConfigureAwait(false);
            var text = string.Join(": ", new[] { problem?.Title, problem?.Detail }.Where(s => !string.IsNullOrWhiteSpace(s)));
            return text.Length == 0 ? reason : reason + ": " + text;
        }
        catch (Exception ex) when (ex is JsonException or HttpRequestException or IOException or NotSupportedException)
        {
            return reason;
        }
    }

    private void Apply(IngestResponse response, int count)
    {
        lock (_lock)
        {
            int accepted = 0, duplicates = 0, rejected = 0;
            if (response.Results is { } results && results.Count == count)
            {
                foreach (var r in results)
                {
                    switch (r.Status)
                    {
                        case "accepted":
                            accepted++;
                            break;
                        case "duplicate":
                            duplicates++;
                            break;
                        default:
                            rejected++;
                            _lastRejectReason = r.Detail is null ? r.Reason ?? r.Status : $"{r.Reason ?? r.Status}: {r.Detail}";
                            break;
                    }
                }
            }
            else
            {
                // Without one result per item, trust the totals, and count what they leave out as rejected.
                accepted = Math.Clamp(response.Accepted, 0, count);
                duplicates = Math.Clamp(response.Duplicates, 0, count - accepted);
                rejected = count - accepted - duplicates;
                if (rejected > 0)
                {
                    _lastRejectReason = "no_result: the console's answer did not list every item";
                }
            }
            _accepted += accepted;
            _duplicates += duplicates;
            _lastError = null;
            _rejected += rejected;
            _inFlight -= count;
            if (rejected > 0)
            {
                LogRejected(_log, rejected, _lastRejectReason);
            }
        }
    }

    /// <summary>Gives what is left of the batch in flight a final outcome when sending it ended early.</summary>
    private void SettleRemaining(ref long counter, string? dropReason)
    {
        lock (_lock)
        {
            counter += _inFlight;
            if (_inFlight > 0 && dropReason is not null)
            {
                _lastDropReason = dropReason;
            }
            _inFlight = 0;
        }
    }

    private void Settle(ref long counter, int count, string reason, ref string? lastReason)
    {
        lock (_lock)
        {
            counter += count;
            _inFlight -= count;
            lastReason = reason;
        }
    }

    private long OldestUnsettledSeq()
    {
        var oldest = long.MaxValue;
        if (_inFlight > 0)
        {
            oldest = _inFlightFirstSeq;
        }
        if (_queue.TryPeek(out var head))
        {
            oldest = Math.Min(oldest, head.Seq);
        }
        return oldest;
    }

    private void CompleteFlushWaiters()
    {
        var oldest = OldestUnsettledSeq();
        _flushWaiters.RemoveAll(w =>
        {
            if (w.Through >= oldest)
            {
                return false;
            }
            w.Done.TrySetResult();
            return true;
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "OpsConsole refused a batch of {Count} events for good: {Reason}")]
    private static partial void LogBatchRefused(ILogger log, int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OpsConsole rejected {Count} events: {Reason}")]
    private static partial void LogRejected(ILogger log, int count, string? reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sending {Count} events failed ({Error}); next attempt in {Delay}")]
    private static partial void LogRetrying(ILogger log, int count, string? error, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Events still unsent after the shutdown flush timeout of {Timeout} are counted as dropped")]
    private static partial void LogShutdownTimeout(ILogger log, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Error, Message = "The event sender's loop failed; it carries on")]
    private static partial void LogLoopFailed(ILogger log, Exception ex);
}
