namespace OpsConsole.Web.Features.Ingestion;

/// <summary>Settings under <c>OpsConsole:Ingestion</c>.</summary>
public sealed class IngestionOptions
{
    public const string Section = "OpsConsole:Ingestion";

    /// <summary>Longest a request waits for its events to be committed before it answers 503.</summary>
    public int MaxWaitMs { get; set; } = 10_000;
    /// <summary>Longest the writer waits for the database's write lock (held by another writer) per transaction.</summary>
    public int BusyTimeoutMs { get; set; } = 5_000;
    /// <summary>Requests per second each key may make (token bucket refill).</summary>
    public int RequestsPerSecond { get; set; } = 50;
    /// <summary>Requests a key may make in a burst (bucket size).</summary>
    public int Burst { get; set; } = 100;
    public int QuarantineRetentionDays { get; set; } = 14;
    /// <summary>Events the writer commits in one transaction at most when requests queue up.</summary>
    public int MaxRowsPerTransaction { get; set; } = 5_000;
    /// <summary>
    /// Writer connections committing groups side by side on PostgreSQL (1–16); SQLite has one writer
    /// whatever this says, because it has one write lock.
    /// </summary>
    public int PostgresWriters { get; set; } = 2;
}
