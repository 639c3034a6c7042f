namespace OpsConsole.Client;

/// <summary>
/// One model call (or its fallback) as the console's events API takes it. Only <see cref="Path"/>
/// must be set: <see cref="EventId"/> is a fresh id per instance (the console's idempotency key, so
/// a resent event counts once) and <see cref="OccurredAt"/> is stamped when the event is tracked.
/// </summary>
public sealed record InferenceEvent
{
    /// <summary>The idempotency key, 1–128 characters. Default: a new GUID without dashes.</summary>
    public string EventId { get; init; } = Guid.NewGuid().ToString("N");

    /// <summary>The slug of the operating path, e.g. <c>support-reply-draft</c>.</summary>
    public required string Path { get; init; }

    /// <summary>When the call happened; null means "when tracked" (from the client's <see cref="TimeProvider"/>).</summary>
    public DateTimeOffset? OccurredAt { get; init; }

    public string? ModelVersion { get; init; }
    public string? PromptVersion { get; init; }

    /// <summary>The rollout unit (user, tenant, ticket…) the decision was made for.</summary>
    public string? Unit { get; init; }

    /// <summary>The model's input (at most 32 KB of UTF-8; the console masks personal data it recognises).</summary>
    public string? Input { get; init; }
    public string? Output { get; init; }

    /// <summary>The model's confidence, 0 to 1.</summary>
    public double? Confidence { get; init; }
    public double? LatencyMs { get; init; }
    public long? InputTokens { get; init; }
    public long? OutputTokens { get; init; }
    public double? CostUsd { get; init; }

    /// <summary>One of <see cref="EventOutcomes"/>. Default <c>ok</c>.</summary>
    public string Outcome { get; init; } = EventOutcomes.Ok;

    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }
    public string? TraceId { get; init; }

    /// <summary>The id of the release that produced the output (<see cref="Decision.Release"/>); without it the console counts the event for its unit's arm.</summary>
    public string? Release { get; init; }

    /// <summary>
    /// For an output of the candidate run in shadow (<see cref="Decision.Shadow"/>): the id of the primary
    /// event, the output the user got. Shadow events count in no metric; paired with their primary they become pairwise review items.
    /// </summary>
    public string? ShadowOf { get; init; }

    /// <summary>Documents the answer was grounded on (at most 20).</summary>
    public IReadOnlyList<EventSource>? Sources { get; init; }

    /// <summary>Free-form labels (at most 50, values up to 256 characters).</summary>
    public IReadOnlyDictionary<string, string>? Attributes { get; init; }
}

/// <summary>A document an answer was grounded on.</summary>
/// <param name="System">The context source's name in the path's registry: with <paramref name="SourceUpdatedAt"/>, the console measures how fresh the context was (README "Context freshness").</param>
/// <param name="RetrievedAt">When the service read the document.</param>
/// <param name="SourceUpdatedAt">When the document was last updated in its system of record.</param>
public sealed record EventSource(string? Title, string? Url = null, string? Snippet = null, string? System = null, DateTimeOffset? RetrievedAt = null, DateTimeOffset? SourceUpdatedAt = null);

/// <summary>The outcomes the console knows.</summary>
public static class EventOutcomes
{
    public const string Ok = "ok";
    public const string Error = "error";
    public const string Timeout = "timeout";
    /// <summary>The path was off (or the model failed) and the caller's fallback answered.</summary>
    public const string Fallback = "fallback";
}
