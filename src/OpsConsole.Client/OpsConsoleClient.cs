using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OpsConsole.Client;

/// <summary>
/// The console as an AI service sees it: decisions answered locally from the last config snapshot
/// (kept fresh by push and by a periodic conditional GET), and inference events sent in batches in
/// the background. Nothing here waits for the console on the caller's path, and nothing throws when
/// it is down: before the first load every path is off, afterwards the last snapshot stays in force.
/// </summary>
public sealed partial class OpsConsoleClient : IAsyncDisposable
{
    /// <summary>The fallback a decision names when the console has not said one (no snapshot, unknown path).</summary>
    public const string DefaultFallback = "rules";

    /// <summary>The push channel's method the console calls when a path's decision inputs change.</summary>
    public const string ConfigChangedMethod = "ConfigChanged";

    private static readonly TimeSpan FirstLoadRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PushRetryCap = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CatchUpFirst = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan CatchUpCap = TimeSpan.FromSeconds(2);
    private const int CatchUpAttempts = 6;
    // A Retry-After beyond this is taken as a mistake (clock skew, a typo), not as a reason to stop refreshing for hours.
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(10);

    // Copied from the options at start, so changing the options object later has no effect.
    private readonly string _apiKey;
    private readonly TimeSpan _refreshInterval;
    private readonly HttpMessageHandler? _handler;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly HttpClient _http;
    private readonly Uri _configUri;
    private readonly Uri _hubUri;
    private readonly EventSender _sender;
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private readonly WakeSignal _refreshNow = new();
    private readonly CancellationTokenSource _stop = new();
    // Config versions announced by push that no fetched snapshot has shown yet, by path.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _announced = new(StringComparer.Ordinal);

    // Decisions read this without a lock; a refresh replaces the whole object.
    private volatile ConfigSnapshot? _snapshot;
    private long _lastRefreshUtcTicks;
    private volatile string? _lastRefreshError;
    private bool _refreshFailing;
    private HubConnection? _hub;
    private Task _refreshLoop = Task.CompletedTask;
    private volatile Task _connectLoop = Task.CompletedTask;
    private int _disposed;
    // The timestamp before which the background refresh sends nothing: the console said 429/503 with Retry-After.
    private long _holdUntil;

    private OpsConsoleClient(OpsConsoleClientOptions options)
    {
        _apiKey = options.ApiKey;
        _refreshInterval = options.RefreshInterval;
        _handler = options.HttpMessageHandler;
        _loggerFactory = options.LoggerFactory;
        _time = options.TimeProvider;
        _log = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<OpsConsoleClient>();

        // Relative paths resolve against the base only when it ends in '/', and a console behind a
        // path prefix (https://host/ops) must keep that prefix.
        var baseUrl = options.BaseUrl!.AbsoluteUri.EndsWith('/') ? options.BaseUrl : new Uri(options.BaseUrl.AbsoluteUri + "/");
        _configUri = new Uri(baseUrl, "api/v1/config");
        _hubUri = new Uri(baseUrl, "hubs/config");

        _http = options.HttpMessageHandler is { } handler
            ? new HttpClient(new NonDisposingHandler(handler))
            : new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        _http.Timeout = options.RequestTimeout;
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("OpsConsole.Client", typeof(OpsConsoleClient).Assembly.GetName().Version?.ToString(3)));

        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        _sender = new EventSender(_http, new Uri(baseUrl, "api/v1/events"), options, loggerFactory.CreateLogger<EventSender>());
    }

    /// <summary>
    /// Creates a client, tries one config load and starts the background refresh, push channel and
    /// event sender. Does not throw when the console is unreachable or refuses the key: the client
    /// then starts without a snapshot (every path off) and keeps trying. Throws
    /// <see cref="ArgumentException"/> for unusable options and <see cref="OperationCanceledException"/>
    /// when <paramref name="ct"/> is cancelled during the first load.
    /// </summary>
    public static async Task<OpsConsoleClient> StartAsync(OpsConsoleClientOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var client = new OpsConsoleClient(options);
        try
        {
            var loaded = await client.TryRefreshAsync(ct).ConfigureAwait(false);
            client._refreshLoop = Task.Run(() => client.RefreshLoopAsync(loaded, client._stop.Token), CancellationToken.None);
            if (options.UsePush)
            {
                client._hub = client.BuildHub();
                client._connectLoop = Task.Run(() => client.ConnectLoopAsync(client._stop.Token), CancellationToken.None);
            }
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Whether a config snapshot has ever been loaded.</summary>
    public bool HasSnapshot => _snapshot is not null;

    /// <summary>The version of the config in force; null before the first load.</summary>
    public string? SnapshotVersion => _snapshot?.Version;

    /// <summary>When the console last answered a config request (a new document or "not modified").</summary>
    public DateTimeOffset? LastRefreshAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _lastRefreshUtcTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>Why the latest config request failed; null once one succeeds again.</summary>
    public string? LastRefreshError => _lastRefreshError;

    /// <summary>The push channel's state; <see cref="HubConnectionState.Disconnected"/> when push is off.</summary>
    public HubConnectionState PushState => _hub?.State ?? HubConnectionState.Disconnected;

    /// <summary>What became of the tracked events so far.</summary>
    public EventSenderStats Stats => _sender.Stats;

    /// <summary>
    /// Raised after a snapshot with a new version is in force (on a background thread). Handlers
    /// should be quick; an exception from one is logged and does not reach the others.
    /// </summary>
    public event EventHandler? SnapshotChanged;

    /// <summary>
    /// Whether <paramref name="path"/> is on for <paramref name="unit"/>: the rule of
    /// <see cref="Rollout.Decide"/> applied to the current snapshot, without allocating. False
    /// before the first load and for paths the snapshot does not have.
    /// </summary>
    public bool IsEnabled(string path, string? unit)
    {
        var snapshot = _snapshot;
        return snapshot is not null && snapshot.Paths.TryGetValue(path, out var config) && Rollout.IsEnabled(config, unit);
    }

    /// <summary>
    /// <see cref="IsEnabled"/> with the reasons: the bucket, the percentage, the config version and
    /// the fallback to run when off. Reason <see cref="DecisionReasons.NoConfig"/> before the first
    /// load, <see cref="DecisionReasons.UnknownPath"/> for paths the snapshot does not have.
    /// </summary>
    public Decision Decide(string path, string? unit)
    {
        var snapshot = _snapshot;
        if (snapshot is null)
        {
            return new Decision(path, false, DecisionReasons.NoConfig, null, 0, 0, DefaultFallback);
        }
        return snapshot.Paths.TryGetValue(path, out var config)
            ? Rollout.Decide(config, unit)
            : new Decision(path, false, DecisionReasons.UnknownPath, null, 0, 0, DefaultFallback);
    }

    /// <summary>Queues an event for the background sender; never blocks on the network.</summary>
    public void Track(InferenceEvent inferenceEvent) => _sender.Track(inferenceEvent);

    /// <summary>
    /// Completes when every event tracked before the call is accepted, a duplicate, rejected or
    /// dropped. While the console is unreachable that takes until it is back (or <paramref name="ct"/> ends the wait).
    /// </summary>
    public Task FlushAsync(CancellationToken ct) => _sender.FlushAsync(ct);

    /// <summary>
    /// Fetches the config now (conditionally: an unchanged config costs a 304). Throws when the
    /// console cannot be reached or refuses (<see cref="HttpRequestException"/>, with the status) or
    /// sends a document that cannot be used (<see cref="InvalidDataException"/>); the snapshot in force stays.
    /// </summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        var (previous, applied) = await FetchAsync(ct).ConfigureAwait(false);
        // Raised outside the gate so a handler may itself call RefreshAsync.
        if (applied is not null && applied.Version != previous?.Version)
        {
            LogSnapshotApplied(_log, applied.Version, applied.Paths.Count);
            RaiseSnapshotChanged();
        }
    }

    /// <summary>One conditional GET; returns the snapshot before and the one applied (null on 304).</summary>
    private async Task<(ConfigSnapshot? Previous, ConfigSnapshot? Applied)> FetchAsync(CancellationToken ct)
    {
        await _refreshGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var previous = _snapshot;
            using var request = new HttpRequestMessage(HttpMethod.Get, _configUri);
            if (previous is not null)
            {
                request.Headers.TryAddWithoutValidation("If-None-Match", previous.ETag);
            }
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotModified && previous is not null)
            {
                MarkRefreshed();
                return (previous, null);
            }
            if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && RetryAfter(response) is { } wait)
            {
                // Over the key's decision budget (or the console is busy): the next tries, pushes included, wait this long.
                Interlocked.Exchange(ref _holdUntil, _time.GetTimestamp() + (long)(wait.TotalSeconds * _time.TimestampFrequency));
            }
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new HttpRequestException(Explain(response.StatusCode), null, response.StatusCode);
            }
            ConfigDocument? document;
            try
            {
                document = await response.Content.ReadFromJsonAsync(ClientJson.Default.ConfigDocument, ct).ConfigureAwait(false);
            }
            catch (System.Text.Json.JsonException ex)
            {
                throw new InvalidDataException("The config document is not valid JSON: " + ex.Message, ex);
            }
            var applied = ConfigSnapshot.From(document, response.Headers.ETag?.ToString());
            _snapshot = applied;
            MarkRefreshed();
            return (previous, applied);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            _lastRefreshError = ex.Message;
            if (!_refreshFailing)
            {
                _refreshFailing = true;
                LogRefreshFailed(_log, _snapshot is { } kept ? "keeping version " + kept.Version : "no snapshot yet, every path is off", ex);
            }
            throw;
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    /// <summary>Stops the background work, sends buffered events for up to the shutdown timeout and releases the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        await Quietly(_refreshLoop).ConfigureAwait(false);
        await Quietly(_connectLoop).ConfigureAwait(false);
        if (_hub is not null)
        {
            await Quietly(_hub.DisposeAsync().AsTask()).ConfigureAwait(false);
        }
        // The sender still needs the HttpClient for its last flush.
        await _sender.DisposeAsync().ConfigureAwait(false);
        _http.Dispose();
        _stop.Dispose();
    }

    private void MarkRefreshed()
    {
        Interlocked.Exchange(ref _lastRefreshUtcTicks, _time.GetUtcNow().UtcTicks);
        _lastRefreshError = null;
        if (_refreshFailing)
        {
            _refreshFailing = false;
            LogRefreshRecovered(_log);
        }
    }

    private static string Explain(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => "The console refused the API key (401): it is unknown, revoked or expired.",
        HttpStatusCode.Forbidden => "The API key lacks the decisions:read scope (403).",
        HttpStatusCode.NotFound => "The console has no config API at this address (404): check BaseUrl.",
        HttpStatusCode.TooManyRequests => "The console refused the config request (429): this key is over its request budget; retrying after the console's Retry-After.",
        _ => $"The config request failed with {(int)status} {status}.",
    };

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var wait = header?.Delta ?? (header?.Date is { } date ? date - _time.GetUtcNow() : null);
        return wait is null ? null : TimeSpan.FromTicks(Math.Clamp(wait.Value.Ticks, 0, MaxRetryAfter.Ticks));
    }

    /// <summary>How long the console asked this client to wait still (zero when it did not, or the time is up).</summary>
    private TimeSpan HoldOff()
    {
        var left = Interlocked.Read(ref _holdUntil) - _time.GetTimestamp();
        return left > 0 ? TimeSpan.FromSeconds(left / (double)_time.TimestampFrequency) : TimeSpan.Zero;
    }

    private void RaiseSnapshotChanged()
    {
        if (SnapshotChanged is not { } handlers)
        {
            return;
        }
        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((EventHandler)handler)(this, EventArgs.Empty);
            }
            catch (Exception ex)
            {
                LogHandlerFailed(_log, ex);
            }
        }
    }

    /// <summary>A refresh for the background: failures are recorded, not thrown.</summary>
    private async Task<bool> TryRefreshAsync(CancellationToken ct)
    {
        try
        {
            await RefreshAsync(ct).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception)
        {
            // RefreshAsync recorded and logged it; the snapshot in force stays.
            return false;
        }
    }

    private async Task RefreshLoopAsync(bool loaded, CancellationToken ct)
    {
        var failures = loaded ? 0 : 1;
        var catchUp = 0;
        while (!ct.IsCancellationRequested)
        {
            // Until the first load succeeds every path is off, so try again sooner than the interval.
            var wait = _snapshot is null && failures > 0
                ? Backoff.EqualJitter(failures - 1, FirstLoadRetry, _refreshInterval)
                : _refreshInterval;
            if (catchUp > 0)
            {
                wait = Backoff.Ceiling(catchUp - 1, CatchUpFirst, CatchUpCap);
            }
            if (HoldOff() is var hold && hold > wait)
            {
                wait = hold;
            }
            try
            {
                await _refreshNow.WaitAsync(wait, _time, ct).ConfigureAwait(false);
                // A push during the hold-off is answered when it ends, not at once: asking again early would only be refused again.
                if (HoldOff() is var left && left > TimeSpan.Zero)
                {
                    await Task.Delay(left, _time, ct).ConfigureAwait(false);
                }
                failures = await TryRefreshAsync(ct).ConfigureAwait(false) ? 0 : failures + 1;
                if (!BehindAnnouncement())
                {
                    catchUp = 0;
                }
                else if (++catchUp > CatchUpAttempts)
                {
                    // The path may have left this key's reach; the periodic refresh takes over.
                    _announced.Clear();
                    catchUp = 0;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Whether the snapshot is older than a pushed change announced: with several console instances
    /// the fetch may reach one that has not heard of the change yet, so the client asks again shortly
    /// (a few times, with growing pauses) instead of waiting for the next periodic refresh.
    /// </summary>
    private bool BehindAnnouncement()
    {
        var snapshot = _snapshot;
        foreach (var (path, version) in _announced)
        {
            if (snapshot is not null && snapshot.Paths.TryGetValue(path, out var config) && config.ConfigVersion >= version)
            {
                _announced.TryRemove(new KeyValuePair<string, long>(path, version));
            }
        }
        return !_announced.IsEmpty;
    }

    private HubConnection BuildHub()
    {
        var key = _apiKey;
        var handler = _handler;
        var builder = new HubConnectionBuilder()
            .WithUrl(_hubUri, o =>
            {
                // The header covers negotiate and the HTTP transports; the token provider covers
                // WebSockets on every platform (browsers cannot set headers on a WebSocket).
                o.Headers["Authorization"] = "Bearer " + key;
                o.AccessTokenProvider = () => Task.FromResult<string?>(key);
                if (handler is not null)
                {
                    o.HttpMessageHandlerFactory = _ => new NonDisposingHandler(handler);
                }
            })
            .WithAutomaticReconnect(new ForeverRetryPolicy(FirstLoadRetry, PushRetryCap));
        if (_loggerFactory is { } loggerFactory)
        {
            builder.Services.AddSingleton(loggerFactory);
        }
        var hub = builder.Build();
        hub.On<string, long>(ConfigChangedMethod, (path, configVersion) =>
        {
            LogConfigChanged(_log, path, configVersion);
            // Version 0 names no change ("fetch again"): there is nothing to wait for.
            if (configVersion > 0)
            {
                _announced.AddOrUpdate(path, configVersion, (_, known) => Math.Max(known, configVersion));
            }
            _refreshNow.Set();
        });
        hub.Reconnecting += ex =>
        {
            LogPushReconnecting(_log, ex?.Message);
            return Task.CompletedTask;
        };
        hub.Reconnected += _ =>
        {
            // Changes pushed while the connection was down are lost; the fetch catches up on them.
            LogPushConnected(_log);
            _refreshNow.Set();
            return Task.CompletedTask;
        };
        hub.Closed += ex =>
        {
            // Reconnecting never gives up, so this means the server ended the connection for good
            // (or we are shutting down): start over as on the first connect.
            if (!_stop.IsCancellationRequested)
            {
                LogPushClosed(_log, ex?.Message);
                _connectLoop = Task.Run(() => ConnectLoopAsync(_stop.Token), CancellationToken.None);
            }
            return Task.CompletedTask;
        };
        return hub;
    }

    /// <summary>The first connect (automatic reconnect only covers connections that were up once).</summary>
    private async Task ConnectLoopAsync(CancellationToken ct)
    {
        for (var attempt = 0; !ct.IsCancellationRequested; attempt++)
        {
            try
            {
                await _hub!.StartAsync(ct).ConfigureAwait(false);
                LogPushConnected(_log);
                _refreshNow.Set();
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                if (attempt == 0)
                {
                    LogPushConnectFailed(_log, ex.Message);
                }
            }
            try
            {
                await Task.Delay(Backoff.EqualJitter(attempt, FirstLoadRetry, PushRetryCap), _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Shutting down: the loops' failures were logged where they happened.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Loading the OpsConsole config failed ({State}); retrying in the background")]
    private static partial void LogRefreshFailed(ILogger log, string state, Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loading the OpsConsole config works again")]
    private static partial void LogRefreshRecovered(ILogger log);

    [LoggerMessage(Level = LogLevel.Information, Message = "OpsConsole config version {Version} in force ({Count} paths)")]
    private static partial void LogSnapshotApplied(ILogger log, string version, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "OpsConsole pushed a change of {Path} (config version {ConfigVersion})")]
    private static partial void LogConfigChanged(ILogger log, string path, long configVersion);

    [LoggerMessage(Level = LogLevel.Information, Message = "OpsConsole push channel connected")]
    private static partial void LogPushConnected(ILogger log);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OpsConsole push channel cannot connect yet ({Error}); retrying in the background, the periodic refresh carries on")]
    private static partial void LogPushConnectFailed(ILogger log, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OpsConsole push channel lost ({Error}); reconnecting")]
    private static partial void LogPushReconnecting(ILogger log, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OpsConsole push channel closed by the server ({Error}); connecting again")]
    private static partial void LogPushClosed(ILogger log, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A SnapshotChanged handler failed")]
    private static partial void LogHandlerFailed(ILogger log, Exception ex);
}
