namespace OpsConsole.Client;

/// <summary>
/// What became of the tracked events so far. Every event ends in exactly one of the final counts,
/// so <c>Tracked == Accepted + Duplicates + Rejected + Dropped + DroppedPermanently + DroppedOnShutdown + Pending</c>
/// holds in every snapshot.
/// </summary>
public sealed record EventSenderStats
{
    /// <summary>Events handed to <see cref="OpsConsoleClient.Track"/>.</summary>
    public long Tracked { get; init; }

    /// <summary>Stored by the console.</summary>
    public long Accepted { get; init; }

    /// <summary>Already stored (a resend after a lost answer): as good as accepted.</summary>
    public long Duplicates { get; init; }

    /// <summary>Refused one by one by the console (a field out of range, an unknown path…); never resent.</summary>
    public long Rejected { get; init; }

    /// <summary>The console's reason for the latest rejection, e.g. <c>invalid_field:confidence: …</c>.</summary>
    public string? LastRejectReason { get; init; }

    /// <summary>Thrown away, oldest first, because the buffer was full while the console could not take them.</summary>
    public long Dropped { get; init; }

    /// <summary>In batches the console refused as a whole (400, 401, 403, 413, 415…): resending would not help.</summary>
    public long DroppedPermanently { get; init; }

    /// <summary>Why the latest batch was refused, e.g. <c>http_401: …</c>.</summary>
    public string? LastDropReason { get; init; }

    /// <summary>Still unsent when the client was disposed and the shutdown flush ran out of time (or tracked after that).</summary>
    public long DroppedOnShutdown { get; init; }

    /// <summary>Requests sent again after a transient failure (network, 5xx, 429).</summary>
    public long Retries { get; init; }

    /// <summary>The latest transient failure, e.g. <c>http_503</c> or a network error; null once a batch gets through again.</summary>
    public string? LastError { get; init; }

    /// <summary>Buffered or being sent.</summary>
    public long Pending { get; init; }

    /// <summary>Every event with a final outcome.</summary>
    public long Settled => Accepted + Duplicates + Rejected + Dropped + DroppedPermanently + DroppedOnShutdown;
}
