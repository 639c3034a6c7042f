using Microsoft.Extensions.Logging;

namespace OpsConsole.Client;

/// <summary>Settings of an <see cref="OpsConsoleClient"/>. Checked once by <see cref="Validate"/> when the client starts.</summary>
public sealed class OpsConsoleClientOptions
{
    /// <summary>The most events the console takes in one request.</summary>
    public const int MaxBatchSizeLimit = 1000;

    /// <summary>The largest request body the console takes.</summary>
    public const int MaxRequestBytes = 4 * 1024 * 1024;

    /// <summary>The console's address, e.g. <c>https://ops.example.com/</c>. Required; http or https.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>An API key of the console (<c>ocs_…</c>) with <c>decisions:read</c>, and <c>events:write</c> to send events.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>How often the config is fetched again (a conditional GET, cheap when nothing changed). Default 30 s.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Listen on the console's push channel so changes arrive within a second. Default true.</summary>
    public bool UsePush { get; set; } = true;

    /// <summary>A handler for every HTTP request of the client (tests, proxies). Not disposed by the client.</summary>
    public HttpMessageHandler? HttpMessageHandler { get; set; }

    /// <summary>Time for timers, back-off and event timestamps. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the client logs refresh failures and push connection changes. Default: nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>How long one HTTP request may take before it counts as failed. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Events held while the console cannot take them; beyond this the oldest are dropped (and counted). Default 10,000.</summary>
    public int MaxBufferedEvents { get; set; } = 10_000;

    /// <summary>Events per request, at most 1,000. Default 500.</summary>
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>The longest an event waits in the buffer before it is sent when batches do not fill up. Default 1 s.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The first back-off after a failed send; it doubles per attempt up to <see cref="MaxRetryDelay"/>. Default 200 ms.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The cap of the back-off between attempts (a server's Retry-After may ask for longer). Default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long <see cref="OpsConsoleClient.DisposeAsync"/> waits for buffered events to be sent. Default 5 s.</summary>
    public TimeSpan ShutdownFlushTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that cannot work.</summary>
    public void Validate()
    {
        if (BaseUrl is null)
        {
            throw new ArgumentException("BaseUrl is required: the console's address, e.g. https://ops.example.com/.", nameof(BaseUrl));
        }
        if (!BaseUrl.IsAbsoluteUri || (BaseUrl.Scheme != Uri.UriSchemeHttp && BaseUrl.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"BaseUrl must be an absolute http or https address; got '{BaseUrl}'.", nameof(BaseUrl));
        }
        if (string.IsNullOrWhiteSpace(ApiKey))
        {
            throw new ArgumentException("ApiKey is required: an API key of the console with the decisions:read scope.", nameof(ApiKey));
        }
        if (ApiKey.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new ArgumentException("ApiKey must not contain spaces or control characters (it goes into the Authorization header).", nameof(ApiKey));
        }
        if (TimeProvider is null)
        {
            throw new ArgumentException("TimeProvider must not be null; leave it at TimeProvider.System.", nameof(TimeProvider));
        }
        Positive(RefreshInterval, nameof(RefreshInterval));
        Positive(RequestTimeout, nameof(RequestTimeout));
        Positive(FlushInterval, nameof(FlushInterval));
        Positive(InitialRetryDelay, nameof(InitialRetryDelay));
        Positive(MaxRetryDelay, nameof(MaxRetryDelay));
        if (ShutdownFlushTimeout < TimeSpan.Zero)
        {
            throw new ArgumentException($"ShutdownFlushTimeout must be zero or more; got {ShutdownFlushTimeout}.", nameof(ShutdownFlushTimeout));
        }
        if (MaxRetryDelay < InitialRetryDelay)
        {
            throw new ArgumentException($"MaxRetryDelay ({MaxRetryDelay}) must not be shorter than InitialRetryDelay ({InitialRetryDelay}).", nameof(MaxRetryDelay));
        }
        if (MaxBatchSize is < 1 or > MaxBatchSizeLimit)
        {
            throw new ArgumentException($"MaxBatchSize must be between 1 and {MaxBatchSizeLimit:N0} (the console's limit per request); got {MaxBatchSize}.", nameof(MaxBatchSize));
        }
        if (MaxBufferedEvents < 1)
        {
            throw new ArgumentException($"MaxBufferedEvents must be at least 1; got {MaxBufferedEvents}.", nameof(MaxBufferedEvents));
        }
    }

    private static void Positive(TimeSpan value, string name)
    {
        // Timers reject anything beyond ~49 days, so that is the upper bound too.
        if (value <= TimeSpan.Zero || value.TotalMilliseconds > uint.MaxValue - 1)
        {
            throw new ArgumentException($"{name} must be more than zero and at most 49 days; got {value}.", name);
        }
    }
}
