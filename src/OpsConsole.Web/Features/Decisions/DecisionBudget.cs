using System.Collections.Concurrent;
using System.Globalization;
using OpsConsole.Web.Features.ApiKeys;

namespace OpsConsole.Web.Features.Decisions;

/// <summary>
/// Each key's decision API budget (<see cref="ApiKey.DecisionRequestsPerMinute"/>) on this instance:
/// a token bucket holding a minute's worth of requests and refilled at budget/60 per second, kept
/// as the generic cell rate algorithm's one "theoretical arrival time" per key. That is a single
/// long changed by compare-and-swap, so the decision hot path takes no lock and allocates nothing
/// once a key has been seen. Instances do not share counts: with several, a key may make up to
/// its budget on each.
/// </summary>
public sealed class DecisionBudget(TimeProvider time)
{
    public const string ExceededCode = "decision_budget_exceeded";

    private readonly ConcurrentDictionary<int, Cell> _cells = new();
    private readonly long _window = (long)(time.TimestampFrequency * 60);

    private sealed class Cell
    {
        // The timestamp at which the bucket is full again; before that, (Tat - now) / interval tokens are spent.
        public long Tat;
    }

    /// <summary>
    /// Takes one request from the caller's budget: true when it may go on (or the key has no
    /// budget); otherwise false and how long until a request would be allowed.
    /// </summary>
    public bool TryTake(ApiCaller caller, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (caller.DecisionRequestsPerMinute is not { } perMinute || perMinute <= 0)
        {
            return true;
        }
        var interval = Math.Max(1, _window / perMinute);
        // Measured in whole intervals so rounding can never let a (perMinute + 1)th request through.
        var capacity = interval * perMinute;
        var cell = _cells.GetOrAdd(caller.KeyId, static _ => new Cell());
        var now = time.GetTimestamp();
        while (true)
        {
            var tat = Volatile.Read(ref cell.Tat);
            var next = Math.Max(tat, now) + interval;
            var over = next - now - capacity;
            if (over > 0)
            {
                retryAfter = TimeSpan.FromSeconds((double)over / time.TimestampFrequency);
                return false;
            }
            if (Interlocked.CompareExchange(ref cell.Tat, next, tat) == tat)
            {
                return true;
            }
        }
    }

    /// <summary>The 429 for a caller over its budget: whole seconds in <c>Retry-After</c> and a <c>code</c> clients can branch on.</summary>
    public static IResult Exceeded(HttpContext http, ApiCaller caller, TimeSpan retryAfter)
    {
        var seconds = RetryAfterSeconds(retryAfter);
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Decision budget exceeded",
            detail: string.Create(CultureInfo.InvariantCulture,
                $"API key '{caller.Name}' may make {caller.DecisionRequestsPerMinute:N0} decision API requests per minute. Retry after {seconds} s."),
            extensions: new Dictionary<string, object?> { ["code"] = ExceededCode });
    }

    /// <summary>Whole seconds, rounded up and at least 1: a client that waits that long is let through.</summary>
    public static int RetryAfterSeconds(TimeSpan retryAfter) => (int)Math.Clamp(Math.Ceiling(retryAfter.TotalSeconds), 1, 60);
}
