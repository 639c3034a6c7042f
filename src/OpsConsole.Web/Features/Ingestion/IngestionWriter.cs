using System.Data;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Features.Review;

namespace OpsConsole.Web.Features.Ingestion;

/// <summary>An accepted-for-storage event: validated, redacted and routed.</summary>
public sealed record EventRow(
    int PathId, EventFields Fields, DateTime ReceivedAt, int RedactedCount, RouteDecision? Route, DateTime DueAt, int? ApiKeyId)
{
    /// <summary>When the row replays a quarantined item, that item is removed in the same transaction.</summary>
    public long? ReplayOf { get; init; }

    /// <summary>The event's value of the path's breakdown attribute, rolled up as its own segment.</summary>
    public string? Segment { get; init; }

    /// <summary>The release the event counts for (<see cref="Events.InferenceEvent.ReleaseId"/>).</summary>
    public string? ReleaseId { get; init; }
}

/// <summary>A rejected item to keep (or, on replay, an existing one to update).</summary>
public sealed record QuarantineRow(string? PathSlug, string? EventId, string RawJson, string Reason, int? ApiKeyId, string? ApiKeyName, DateTime At)
{
    public long? ExistingId { get; init; }
}

public enum WriteStatus
{
    Inserted,
    Duplicate,
}

/// <summary>Thrown when the database stays locked by another writer for longer than the bounded wait.</summary>
public sealed class IngestionBusyException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The writer of events. Requests validate in parallel and hand their rows here; the writer
/// commits whatever has queued up in one transaction (group commit), so concurrent batches share
/// one fsync, and answers each request only after its rows are durable. On SQLite one writer
/// settles idempotency races inside this process; the unique index settles them across processes.
/// Raw prepared SQLite commands: this is the hot path the ingestion benchmark measures. On
/// PostgreSQL the same group commit runs through <see cref="PostgresStatements"/>, by
/// <see cref="IngestionOptions.PostgresWriters"/> writers side by side (several instances may
/// write at once there too, and the unique index settles both alike).
/// </summary>
public sealed partial class IngestionWriter : BackgroundService
{
    private readonly Channel<PendingWrite> _queue = Channel.CreateBounded<PendingWrite>(new BoundedChannelOptions(256)
    {
        SingleReader = false,
        FullMode = BoundedChannelFullMode.Wait,
    });
    private readonly string _connectionString;
    private readonly bool _postgres;
    private readonly IngestionOptions _options;
    private readonly ILogger<IngestionWriter> _log;

    private readonly Review.ReviewNotifier _notifier;
    private readonly Events.EventsNotifier _events;

    public IngestionWriter(
        Microsoft.EntityFrameworkCore.IDbContextFactory<Data.AppDbContext> dbFactory, IOptions<IngestionOptions> options,
        Review.ReviewNotifier notifier, Events.EventsNotifier events, ILogger<IngestionWriter> log)
    {
        _notifier = notifier;
        _events = events;
        using var db = dbFactory.CreateDbContext();
        _connectionString = Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.GetConnectionString(db.Database)!;
        _postgres = Microsoft.EntityFrameworkCore.NpgsqlDatabaseFacadeExtensions.IsNpgsql(db.Database);
        _options = options.Value;
        _log = log;
    }

    private sealed class PendingWrite(IReadOnlyList<EventRow> events, IReadOnlyList<QuarantineRow> quarantine)
    {
        public IReadOnlyList<EventRow> Events { get; } = events;
        public IReadOnlyList<QuarantineRow> Quarantine { get; } = quarantine;
        public WriteStatus[] Results { get; } = new WriteStatus[events.Count];
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        /// <summary>Set when the request stopped waiting; the writer skips it if it has not started.</summary>
        public volatile bool Abandoned;
    }

    /// <summary>
    /// Stores the rows and returns, per event, whether it was new or already stored. Throws
    /// <see cref="IngestionBusyException"/> when the commit could not happen within the bounded wait.
    /// </summary>
    public async Task<WriteStatus[]> WriteAsync(IReadOnlyList<EventRow> events, IReadOnlyList<QuarantineRow> quarantine, CancellationToken ct)
    {
        if (events.Count == 0 && quarantine.Count == 0)
        {
            return [];
        }
        var pending = new PendingWrite(events, quarantine);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.MaxWaitMs);
        try
        {
            await _queue.Writer.WriteAsync(pending, timeout.Token);
            await pending.Done.Task.WaitAsync(timeout.Token);
            return pending.Results;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            pending.Abandoned = true;
            // The writer may have committed in the instant between the timeout and the flag; the
            // client retries and hears "duplicate", which loses nothing.
            throw new IngestionBusyException($"The events could not be committed within {_options.MaxWaitMs} ms.");
        }
    }

    /// <summary>How many group commits run side by side: one on SQLite (one write lock), the setting on PostgreSQL.</summary>
    internal int WriterCount => _postgres ? Math.Clamp(_options.PostgresWriters, 1, 16) : 1;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // On PostgreSQL several writers take turns at the queue, each with its own connection: while one
        // waits for the server, another prepares its group (and a pause of this process no longer stops
        // the server's work). They settle a key written by two of them at once as two instances do: the
        // unique index makes the second wait for the first and then count as a duplicate.
        try
        {
            await Task.WhenAll(Enumerable.Range(0, WriterCount).Select(_ => Task.Run(() => WriteLoopAsync(stoppingToken), CancellationToken.None)));
        }
        finally
        {
            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out var left))
            {
                left.Done.TrySetException(new IngestionBusyException("The console is shutting down."));
            }
        }
    }

    private IIngestionStore Open() => _postgres
        ? PostgresStatements.Open(_connectionString, _options.BusyTimeoutMs, PostgresCopy)
        : Statements.Open(_connectionString, _options.BusyTimeoutMs);

    private IIngestionStore? TryOpen()
    {
        try
        {
            return Open();
        }
        catch (Exception ex) when (ex is SqliteException || PostgresStatements.IsBusy(ex))
        {
            _log.LogWarning(ex, "The ingestion writer could not connect yet; it tries again with the first batch");
            return null;
        }
    }

    /// <summary>One writer: takes whatever has queued up (up to the row limit) and commits it in one transaction, until shutdown.</summary>
    private async Task WriteLoopAsync(CancellationToken stoppingToken)
    {
        var group = new List<PendingWrite>();
        IIngestionStore? statements = null;
        try
        {
            // Connected before the first request, so every writer's connection is there from the start (and a
            // lost one is found by the next group it writes); if the database cannot be reached now, the first
            // group tries again and answers 503 if it still cannot.
            statements = TryOpen();
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                group.Clear();
                var rows = 0;
                while (rows < _options.MaxRowsPerTransaction && _queue.Reader.TryRead(out var next))
                {
                    if (!next.Abandoned)
                    {
                        group.Add(next);
                        rows += next.Events.Count + next.Quarantine.Count;
                    }
                }
                if (group.Count == 0)
                {
                    continue;
                }
                try
                {
                    statements ??= Open();
                    var (added, paths) = statements.Commit(group);
                    foreach (var p in group)
                    {
                        p.Done.TrySetResult();
                    }
                    // New review items reach open queues only once committed, never before; At is the commit time.
                    var committedAt = DateTime.UtcNow;
                    _notifier.Publish(added.ConvertAll(c => c with { At = committedAt }));
                    _events.Publish(paths);
                }
                catch (Exception ex)
                {
                    // SQLITE_BUSY, SQLITE_LOCKED; on PostgreSQL a lost connection, a lock wait past the limit, a deadlock.
                    var busy = ex is SqliteException { SqliteErrorCode: 5 or 6 } || PostgresStatements.IsBusy(ex);
                    _log.Log(busy ? LogLevel.Warning : LogLevel.Error, ex, "Ingestion commit of {Batches} batches failed", group.Count);
                    var error = busy ? new IngestionBusyException("The database is busy; retry shortly.", ex) : ex;
                    foreach (var p in group)
                    {
                        p.Done.TrySetException(error);
                    }
                    statements?.Dispose();
                    statements = null;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            statements?.Dispose();
        }
    }

    // Named so RawSqlColumnsTests can hold their column lists against the EF model.
    // Review owns the row and its statement; it runs here, in the ingest transaction.
    internal const string InsertReviewItemSql = Review.ReviewItemRows.Insert;

    internal const string InsertQuarantinedSql =
        "INSERT INTO QuarantinedEvents (PathSlug, EventId, RawJson, Reason, ApiKeyId, ApiKeyName, ReceivedAt, ReplayCount) VALUES ($s, $e, $j, $r, $k, $kn, $t, 0)";

    /// <summary>The writer's connection on one provider; <see cref="Commit"/> writes one group in one transaction.</summary>
    private interface IIngestionStore : IDisposable
    {
        /// <summary>Writes the group in one transaction; returns the review items it created and the paths that have new events.</summary>
        (List<Review.ReviewChange> Added, HashSet<int> Paths) Commit(List<PendingWrite> group);
    }

    /// <summary>The writer's SQLite connection and its prepared statements.</summary>
    private sealed class Statements : IIngestionStore
    {
        private readonly SqliteConnection _connection;
        private readonly RawStatement _insertEvent;
        private readonly RawStatement _insertReview;
        private readonly SqliteCommand _insertQuarantine;
        private readonly SqliteCommand _updateQuarantine;
        private readonly SqliteCommand _deleteQuarantine;

        private Statements(SqliteConnection connection)
        {
            _connection = connection;
            _insertEvent = new RawStatement(connection, EventSql.Insert);
            _insertReview = new RawStatement(connection, InsertReviewItemSql);
            _insertQuarantine = Prepare(InsertQuarantinedSql, "$s", "$e", "$j", "$r", "$k", "$kn", "$t");
            _updateQuarantine = Prepare(
                "UPDATE QuarantinedEvents SET Reason = $r, ReplayCount = ReplayCount + 1, LastReplayAt = $t WHERE Id = $id",
                "$r", "$t", "$id");
            _deleteQuarantine = Prepare("DELETE FROM QuarantinedEvents WHERE Id = $id", "$id");
        }

        public static Statements Open(string connectionString, int busyTimeoutMs)
        {
            var csb = new SqliteConnectionStringBuilder(connectionString)
            {
                DefaultTimeout = Math.Max(1, (busyTimeoutMs + 999) / 1000),
                Pooling = false,
            };
            var connection = new SqliteConnection(csb.ToString());
            connection.Open();
            using (var pragma = connection.CreateCommand())
            {
                // FULL: a commit is on disk before the client hears "accepted", even across a power cut.
                pragma.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout={busyTimeoutMs};";
                pragma.ExecuteNonQuery();
            }
            return new Statements(connection);
        }

        private SqliteCommand Prepare(string sql, params string[] parameters)
        {
            var cmd = _connection.CreateCommand();
            cmd.CommandText = sql;
            foreach (var p in parameters)
            {
                cmd.Parameters.Add(new SqliteParameter { ParameterName = p });
            }
            cmd.Prepare();
            return cmd;
        }

        /// <summary>Writes the group in one transaction; returns the review items it created and the paths that have new events.</summary>
        public (List<Review.ReviewChange> Added, HashSet<int> Paths) Commit(List<PendingWrite> group)
        {
            var added = new List<Review.ReviewChange>();
            var rollups = new Dictionary<Metrics.RollupKey, Metrics.RollupDelta>();
            var failures = new Dictionary<Metrics.FailurePatternStore.Key, Metrics.FailurePatternStore.Delta>();
            var spends = new Metrics.SpendDeltas();
            using var tx = _connection.BeginTransaction(IsolationLevel.Serializable, deferred: false);
            foreach (var cmd in new[] { _insertQuarantine, _updateQuarantine, _deleteQuarantine })
            {
                cmd.Transaction = tx;
            }
            foreach (var pending in group)
            {
                for (var i = 0; i < pending.Events.Count; i++)
                {
                    pending.Results[i] = Insert(pending.Events[i], added);
                    if (pending.Results[i] == WriteStatus.Inserted)
                    {
                        var row = pending.Events[i];
                        Count(rollups, failures, row);
                        spends.Add(row.PathId, row.ReceivedAt, row.Fields.CostUsd, row.Fields.InputTokens, row.Fields.OutputTokens);
                    }
                }
                foreach (var q in pending.Quarantine)
                {
                    Quarantine(q);
                }
            }
            // The buckets change in the transaction that stores the events they count: a crash keeps both or neither.
            Metrics.RollupStore.Apply(_connection, tx, rollups);
            Metrics.FailurePatternStore.Apply(_connection, tx, failures);
            Metrics.SpendStore.Apply(_connection, tx, spends);
            tx.Commit();
            // Every new event is counted in a bucket of its path, so the buckets name the paths.
            return (added, rollups.Keys.Select(k => k.PathId).ToHashSet());
        }

        internal static void Count(
            Dictionary<Metrics.RollupKey, Metrics.RollupDelta> rollups,
            Dictionary<Metrics.FailurePatternStore.Key, Metrics.FailurePatternStore.Delta> failures, EventRow row)
        {
            var f = row.Fields;
            if (f.ShadowOf is not null)
            {
                // Shadow outputs reached no user: they count in no metric, dashboard or drift check (their cost
                // does count toward the budget, in SpendDeltas: the money was spent all the same).
                return;
            }
            var key = Metrics.RollupKey.For(row.PathId, f.ModelVersion, f.OccurredAt);
            Metrics.RollupCounting.AddEvent(Metrics.RollupCounting.At(rollups, key), f.Outcome, f.CostUsd, f.InputTokens, f.OutputTokens, f.LatencyMs, f.Confidence, row.Route?.Reason);
            if (row.Segment is { } segment)
            {
                Metrics.RollupCounting.AddEvent(Metrics.RollupCounting.At(rollups, key.ForSegment(segment)), f.Outcome, f.CostUsd, f.InputTokens, f.OutputTokens, f.LatencyMs, f.Confidence, row.Route?.Reason);
            }
            if (f.Outcome is Outcomes.Error or Outcomes.Timeout)
            {
                Metrics.FailurePatternStore.Add(failures,
                    Metrics.FailurePatternStore.ErrorKey(row.PathId, f.OccurredAt, f.Outcome, f.ErrorCode, f.ErrorMessage), f.OccurredAt);
            }
        }

        private WriteStatus Insert(EventRow row, List<Review.ReviewChange> added)
        {
            // ON CONFLICT DO NOTHING changes no row for a stored (path, eventId): that is the duplicate.
            var inserted = EventSql.Execute(_insertEvent, row) == 1;
            if (row.ReplayOf is { } replayed)
            {
                _deleteQuarantine.Parameters[0].Value = replayed;
                _deleteQuarantine.ExecuteNonQuery();
            }
            if (!inserted)
            {
                return WriteStatus.Duplicate;
            }
            if (row.Route is { } route)
            {
                var r = _insertReview;
                r.Bind(1, row.PathId);
                r.Bind(2, _insertEvent.LastInsertRowId);
                r.Bind(3, route.Reason);
                r.Bind(4, route.Priority);
                r.Bind(5, row.ReceivedAt);
                r.Bind(6, row.DueAt);
                r.Execute();
                added.Add(new Review.ReviewChange(row.PathId, r.LastInsertRowId, Review.ReviewChange.Added, Events.ReviewStatuses.Pending, At: row.ReceivedAt));
            }
            return WriteStatus.Inserted;
        }

        private void Quarantine(QuarantineRow q)
        {
            if (q.ExistingId is { } existing)
            {
                var u = _updateQuarantine.Parameters;
                u[0].Value = q.Reason;
                u[1].Value = q.At;
                u[2].Value = existing;
                _updateQuarantine.ExecuteNonQuery();
                return;
            }
            var p = _insertQuarantine.Parameters;
            p[0].Value = (object?)q.PathSlug ?? DBNull.Value;
            p[1].Value = (object?)q.EventId ?? DBNull.Value;
            p[2].Value = q.RawJson;
            p[3].Value = q.Reason;
            p[4].Value = (object?)q.ApiKeyId ?? DBNull.Value;
            p[5].Value = (object?)q.ApiKeyName ?? DBNull.Value;
            p[6].Value = q.At;
            _insertQuarantine.ExecuteNonQuery();
        }

        public void Dispose()
        {
            _insertEvent.Dispose();
            _insertReview.Dispose();
            foreach (var cmd in new[] { _insertQuarantine, _updateQuarantine, _deleteQuarantine })
            {
                cmd.Dispose();
            }
            _connection.Dispose();
        }
    }
}

/// <summary>The event insert: the same columns the ingestion benchmark's raw baseline writes.</summary>
public static class EventSql
{
    public const string Insert =
        "INSERT INTO InferenceEvents (PathId, EventId, OccurredAt, ReceivedAt, ModelVersion, PromptVersion, Unit, Input, Output, " +
        "Confidence, LatencyMs, InputTokens, OutputTokens, CostUsd, Outcome, ErrorCode, ErrorMessage, TraceId, SourcesJson, " +
        "AttributesJson, RedactedCount, ReviewReason, ApiKeyId, ReleaseId, ShadowOf) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, " +
        "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25) ON CONFLICT (PathId, EventId) DO NOTHING";

    /// <summary>Binds and runs the insert; returns the number of rows written (0 for a duplicate).</summary>
    public static int Execute(RawStatement s, EventRow row)
    {
        var f = row.Fields;
        s.Bind(1, row.PathId);
        s.Bind(2, f.EventId);
        s.Bind(3, f.OccurredAt);
        s.Bind(4, row.ReceivedAt);
        s.Bind(5, f.ModelVersion);
        s.Bind(6, f.PromptVersion);
        s.Bind(7, f.Unit);
        s.Bind(8, f.Input);
        s.Bind(9, f.Output);
        s.Bind(10, f.Confidence);
        s.Bind(11, f.LatencyMs);
        s.Bind(12, f.InputTokens);
        s.Bind(13, f.OutputTokens);
        s.Bind(14, f.CostUsd);
        s.Bind(15, f.Outcome);
        s.Bind(16, f.ErrorCode);
        s.Bind(17, f.ErrorMessage);
        s.Bind(18, f.TraceId);
        s.Bind(19, f.SourcesJson);
        s.Bind(20, f.AttributesJson);
        s.Bind(21, row.RedactedCount);
        s.Bind(22, row.Route?.Reason);
        s.Bind(23, row.ApiKeyId);
        s.Bind(24, row.ReleaseId);
        s.Bind(25, f.ShadowOf);
        return s.Execute();
    }
}

/// <summary>
/// A statement prepared once on the writer's connection and bound by position through SQLitePCL,
/// the layer under Microsoft.Data.Sqlite. The ingestion benchmark showed Microsoft.Data.Sqlite
/// spending about half of the writer's time looking up parameters by name on every execution;
/// binding by position removes that. Values are stored exactly as Microsoft.Data.Sqlite (and so
/// EF Core) stores them: DateTime as "yyyy-MM-dd HH:mm:ss.FFFFFFF" text.
/// </summary>
public sealed class RawStatement : IDisposable
{
    private readonly SQLitePCL.sqlite3 _db;
    private readonly SQLitePCL.sqlite3_stmt _stmt;

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle!;
        Check(SQLitePCL.raw.sqlite3_prepare_v2(_db, sql, out _stmt));
    }

    public long LastInsertRowId => SQLitePCL.raw.sqlite3_last_insert_rowid(_db);

    public void Bind(int index, string? value) =>
        Check(value is null ? SQLitePCL.raw.sqlite3_bind_null(_stmt, index) : SQLitePCL.raw.sqlite3_bind_text(_stmt, index, value));

    public void Bind(int index, Utf8Text value)
    {
        if (value.Utf8 is { } utf8)
        {
            Check(SQLitePCL.raw.sqlite3_bind_text(_stmt, index, utf8.AsSpan()));
        }
        else
        {
            Bind(index, value.ToString());
        }
    }

    public void Bind(int index, long? value) =>
        Check(value is { } v ? SQLitePCL.raw.sqlite3_bind_int64(_stmt, index, v) : SQLitePCL.raw.sqlite3_bind_null(_stmt, index));

    public void Bind(int index, int? value) => Bind(index, (long?)value);

    public void Bind(int index, double? value) =>
        Check(value is { } v ? SQLitePCL.raw.sqlite3_bind_double(_stmt, index, v) : SQLitePCL.raw.sqlite3_bind_null(_stmt, index));

    public void Bind(int index, DateTime value)
    {
        Span<byte> utf8 = stackalloc byte[40];
        if (!value.TryFormat(utf8, out var written, @"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFF", System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new FormatException("DateTime did not fit its buffer.");
        }
        Check(SQLitePCL.raw.sqlite3_bind_text(_stmt, index, utf8[..written]));
    }

    /// <summary>Runs the statement to completion and resets it; returns the rows it changed.</summary>
    public int Execute()
    {
        try
        {
            var rc = SQLitePCL.raw.sqlite3_step(_stmt);
            if (rc != SQLitePCL.raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
            return SQLitePCL.raw.sqlite3_changes(_db);
        }
        finally
        {
            SQLitePCL.raw.sqlite3_reset(_stmt);
        }
    }

    private void Check(int rc)
    {
        if (rc != SQLitePCL.raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }

    public void Dispose() => _stmt.Dispose();
}
