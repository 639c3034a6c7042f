using Npgsql;
using NpgsqlTypes;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Infrastructure;

namespace OpsConsole.Web.Features.Ingestion;

public sealed partial class IngestionWriter
{
    private const string EventColumns =
        "\"PathId\", \"EventId\", \"OccurredAt\", \"ReceivedAt\", \"ModelVersion\", \"PromptVersion\", \"Unit\", \"Input\", \"Output\", " +
        "\"Confidence\", \"LatencyMs\", \"InputTokens\", \"OutputTokens\", \"CostUsd\", \"Outcome\", \"ErrorCode\", \"ErrorMessage\", \"TraceId\", \"SourcesJson\", " +
        "\"AttributesJson\", \"RedactedCount\", \"ReviewReason\", \"ApiKeyId\", \"ReleaseId\", \"ShadowOf\"";

    /// <summary>
    /// The events of a group commit in one statement, one array per column (the columns of
    /// <see cref="EventSql.Insert"/>). A key another transaction is inserting is waited for and, if
    /// that one commits, skipped. Returns the rows it inserted: the others are duplicates. Rows go in
    /// arrival order, so within a group row ids follow it as on SQLite (the explorer breaks time ties
    /// by id; groups committed side by side interleave, as concurrent requests may); two writers or
    /// instances inserting the same ids in opposite orders at once deadlock, and PostgreSQL then
    /// fails one of them, which answers 503 and is retried: a duplicate then.
    /// </summary>
    internal const string PostgresInsertEventsSql =
        "INSERT INTO \"InferenceEvents\" (" + EventColumns + ") " +
        "SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25) " +
        "AS u(p, eid, occ, rec, mv, pv, unit, inp, outp, conf, lat, itok, otok, cost, outc, ecode, emsg, trace, src, attrs, red, reason, kid, rel, shadow) " +
        "ON CONFLICT (\"PathId\", \"EventId\") DO NOTHING RETURNING \"Id\", \"PathId\", \"EventId\"";

    /// <summary>
    /// The fast way in: the group's rows with ids taken from the column's own sequence beforehand
    /// (arrival order, as the insert gives them), in one binary COPY. COPY cannot skip a duplicate, so
    /// a key already stored fails it, and the commit then runs again with <see cref="PostgresInsertEventsSql"/>.
    /// </summary>
    internal const string PostgresCopyEventsSql = "COPY \"InferenceEvents\" (\"Id\", " + EventColumns + ") FROM STDIN (FORMAT BINARY)";

    /// <summary>After a COPY failed on a duplicate, this many commits insert with ON CONFLICT before COPY is tried again (retries come in bursts).</summary>
    internal const int CommitsWithoutCopyAfterDuplicate = 32;

    internal const string PostgresInsertReviewItemsSql = Review.ReviewItemRows.InsertPostgres;

    internal const string PostgresInsertQuarantinedSql =
        "INSERT INTO \"QuarantinedEvents\" (\"PathSlug\", \"EventId\", \"RawJson\", \"Reason\", \"ApiKeyId\", \"ApiKeyName\", \"ReceivedAt\", \"ReplayCount\") " +
        "SELECT u.s, u.e, u.j, u.r, u.k, u.kn, u.t, 0 FROM unnest($1, $2, $3, $4, $5, $6, $7) AS u(s, e, j, r, k, kn, t)";

    private const string PostgresUpdateQuarantinedSql =
        "UPDATE \"QuarantinedEvents\" AS q SET \"Reason\" = u.r, \"ReplayCount\" = q.\"ReplayCount\" + u.n, \"LastReplayAt\" = u.t " +
        "FROM unnest($1, $2, $3, $4) AS u(id, r, t, n) WHERE q.\"Id\" = u.id";

    private const string PostgresDeleteQuarantinedSql = "DELETE FROM \"QuarantinedEvents\" WHERE \"Id\" = ANY($1)";

    /// <summary>
    /// The writer on PostgreSQL: the group commit of <see cref="Statements"/> with a statement per
    /// kind of row instead of one per row (a round trip costs more than a SQLite call), and the
    /// same answers: the first of several writes of one (path, eventId) wins, in this group, in an
    /// earlier one or on another instance, and every other is a duplicate.
    /// </summary>
    private sealed class PostgresStatements : IIngestionStore
    {
        private readonly NpgsqlConnection _connection;
        private readonly string _nextIdsSql;
        private readonly CopyCounters _counters;
        private int _commitsWithoutCopy;

        private PostgresStatements(NpgsqlConnection connection, string eventIdSequence, CopyCounters counters)
        {
            _connection = connection;
            _counters = counters;
            _nextIdsSql = $"SELECT nextval('{eventIdSequence.Replace("'", "''", StringComparison.Ordinal)}') FROM generate_series(1, $1)";
        }


        public static PostgresStatements Open(string connectionString, int busyTimeoutMs, CopyCounters counters)
        {
            var csb = new NpgsqlConnectionStringBuilder(connectionString)
            {
                // The writer's own long-lived connection, as on SQLite; named so an operator (and a test) can find it.
                Pooling = false,
                ApplicationName = WriterApplicationName,
                // The writer sends the same few statements on every commit: prepared once per connection,
                // the server stops parsing and planning them each time (a profile showed the parser and planner).
                MaxAutoPrepare = 16,
                AutoPrepareMinUsages = 2,
            };
            var connection = new NpgsqlConnection(csb.ConnectionString);
            try
            {
                connection.Open();
                using var setup = connection.CreateCommand();
                // Waiting for another instance's row locks is bounded like SQLite's busy timeout; past it the
                // commit fails as busy (503, the client retries) instead of holding every queued request.
                setup.CommandText = $"SET lock_timeout = {Math.Max(1, busyTimeoutMs)}";
                setup.ExecuteNonQuery();
                setup.CommandText = "SELECT pg_get_serial_sequence('\"InferenceEvents\"', 'Id')";
                var sequence = setup.ExecuteScalar() as string
                    ?? throw new InvalidOperationException("InferenceEvents.Id has no sequence: is the database migrated?");
                return new PostgresStatements(connection, sequence, counters);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        /// <summary>
        /// A failure the client should retry: the server unreachable or gone mid-commit, a lock wait
        /// past the limit, a deadlock or serialization failure. Nothing of the group was acknowledged;
        /// a retry of rows that did commit (a connection lost during COMMIT) answers "duplicate".
        /// </summary>
        public static bool IsBusy(Exception ex) => ex is NpgsqlException { IsTransient: true } || Data.DatabaseSetup.IsUnreachable(ex);

        /// <summary>
        /// The group with COPY; if a key of it is stored already (a client's retry, another instance),
        /// the transaction is rolled back and the group committed again with the insert that skips
        /// duplicates, which the next <see cref="CommitsWithoutCopyAfterDuplicate"/> commits use too.
        /// </summary>
        public (List<Review.ReviewChange> Added, HashSet<int> Paths) Commit(List<PendingWrite> group)
        {
            if (_commitsWithoutCopy > 0)
            {
                _commitsWithoutCopy--;
                return Commit(group, copy: false);
            }
            try
            {
                var result = Commit(group, copy: true);
                Interlocked.Increment(ref _counters.Copied);
                return result;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == EventKeyIndex)
            {
                Interlocked.Increment(ref _counters.FellBack);
                _commitsWithoutCopy = CommitsWithoutCopyAfterDuplicate;
                return Commit(group, copy: false);
            }
        }

        private (List<Review.ReviewChange> Added, HashSet<int> Paths) Commit(List<PendingWrite> group, bool copy)
        {
            var rollups = new Dictionary<Metrics.RollupKey, Metrics.RollupDelta>();
            var failures = new Dictionary<Metrics.FailurePatternStore.Key, Metrics.FailurePatternStore.Delta>();
            var spends = new Metrics.SpendDeltas();

            // The first write of a key in the group is sent; later ones are duplicates whatever the
            // first one's fate (stored now, or already stored). Keys as PostgreSQL will hold them.
            var first = new HashSet<(int PathId, string EventId)>();
            var sent = new List<(PendingWrite Pending, int Index, string EventId)>();
            var replayed = new List<long>();
            foreach (var pending in group)
            {
                for (var i = 0; i < pending.Events.Count; i++)
                {
                    var row = pending.Events[i];
                    var eventId = PostgresValues.Text(row.Fields.EventId)!;
                    pending.Results[i] = WriteStatus.Duplicate;
                    if (first.Add((row.PathId, eventId)))
                    {
                        sent.Add((pending, i, eventId));
                    }
                    if (row.ReplayOf is { } q)
                    {
                        replayed.Add(q);
                    }
                }
            }

            using var tx = _connection.BeginTransaction();
            var ids = new Dictionary<(int PathId, string EventId), long>();
            using (var batch = new NpgsqlBatch(_connection, tx))
            {
                if (sent.Count > 0)
                {
                    batch.BatchCommands.Add(copy ? NextIds(sent.Count) : InsertEvents(sent));
                }
                AddQuarantine(batch, group, replayed);
                if (batch.BatchCommands.Count > 0)
                {
                    using var reader = batch.ExecuteReader();
                    if (sent.Count > 0)
                    {
                        var j = 0;
                        while (reader.Read())
                        {
                            if (copy)
                            {
                                var (pending, i, eventId) = sent[j++];
                                ids[(pending.Events[i].PathId, eventId)] = reader.GetInt64(0);
                            }
                            else
                            {
                                ids[(reader.GetInt32(1), reader.GetString(2))] = reader.GetInt64(0);
                            }
                        }
                    }
                    // The quarantine statements' errors surface here, not unseen in Dispose.
                    while (reader.NextResult())
                    {
                    }
                }
            }
            if (copy && sent.Count > 0)
            {
                CopyEvents(sent, ids);
            }

            var routed = new List<(EventRow Row, long EventRowId)>();
            foreach (var (pending, i, eventId) in sent)
            {
                var row = pending.Events[i];
                if (!ids.TryGetValue((row.PathId, eventId), out var id))
                {
                    continue;
                }
                pending.Results[i] = WriteStatus.Inserted;
                Statements.Count(rollups, failures, row);
                spends.Add(row.PathId, row.ReceivedAt, row.Fields.CostUsd, row.Fields.InputTokens, row.Fields.OutputTokens);
                if (row.Route is not null)
                {
                    routed.Add((row, id));
                }
            }

            var added = new List<Review.ReviewChange>(routed.Count);
            var before = new List<NpgsqlBatchCommand>(2);
            if (routed.Count > 0)
            {
                before.Add(InsertReviewItems(routed));
            }
            // Failure patterns before rollups, in every writer (the review service too): one lock order.
            if (Metrics.PostgresFailurePatternStore.Command(failures) is { } upsert)
            {
                before.Add(upsert);
            }
            // Spend after failure patterns and before rollups: only this writer touches it, in key order.
            if (Metrics.SpendStore.PostgresCommand(spends) is { } spend)
            {
                before.Add(spend);
            }
            // The buckets change in the transaction that stores the events they count: a crash keeps both or neither.
            // The review items and failure patterns go in the rollups' first round trip.
            Metrics.PostgresRollupStore.Apply(_connection, tx, rollups, before, reader =>
            {
                if (routed.Count == 0)
                {
                    return;
                }
                var items = new Dictionary<long, long>(routed.Count);
                while (reader.Read())
                {
                    items[reader.GetInt64(1)] = reader.GetInt64(0);
                }
                foreach (var (row, eventRowId) in routed)
                {
                    added.Add(new Review.ReviewChange(row.PathId, items[eventRowId], Review.ReviewChange.Added, ReviewStatuses.Pending, At: row.ReceivedAt));
                }
                reader.NextResult();
            });
            tx.Commit();
            return (added, rollups.Keys.Select(k => k.PathId).ToHashSet());
        }

        private NpgsqlBatchCommand NextIds(int count)
        {
            var command = new NpgsqlBatchCommand(_nextIdsSql);
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count, NpgsqlDbType = NpgsqlDbType.Integer });
            return command;
        }

        /// <summary>The rows of <see cref="InsertEvents"/>, with their ids, in one binary COPY.</summary>
        private void CopyEvents(List<(PendingWrite Pending, int Index, string EventId)> sent, Dictionary<(int PathId, string EventId), long> ids)
        {
            using var copy = _connection.BeginBinaryImport(PostgresCopyEventsSql);
            foreach (var (pending, i, eventId) in sent)
            {
                var row = pending.Events[i];
                var f = row.Fields;
                copy.StartRow();
                copy.Write(ids[(row.PathId, eventId)], NpgsqlDbType.Bigint);
                copy.Write(row.PathId, NpgsqlDbType.Integer);
                copy.Write(eventId, NpgsqlDbType.Varchar);
                copy.Write(PostgresValues.Utc(f.OccurredAt), NpgsqlDbType.TimestampTz);
                copy.Write(PostgresValues.Utc(row.ReceivedAt), NpgsqlDbType.TimestampTz);
                Text(copy, f.ModelVersion);
                Text(copy, f.PromptVersion);
                Text(copy, f.Unit);
                Text(copy, f.Input.ToString());
                Text(copy, f.Output.ToString());
                Nullable(copy, f.Confidence, NpgsqlDbType.Double);
                Nullable(copy, f.LatencyMs, NpgsqlDbType.Double);
                Nullable(copy, f.InputTokens, NpgsqlDbType.Bigint);
                Nullable(copy, f.OutputTokens, NpgsqlDbType.Bigint);
                Nullable(copy, f.CostUsd, NpgsqlDbType.Double);
                copy.Write(PostgresValues.Text(f.Outcome)!, NpgsqlDbType.Varchar);
                Text(copy, f.ErrorCode);
                Text(copy, f.ErrorMessage);
                Text(copy, f.TraceId);
                Text(copy, f.SourcesJson);
                Text(copy, f.AttributesJson);
                copy.Write(row.RedactedCount, NpgsqlDbType.Integer);
                Text(copy, row.Route?.Reason);
                Nullable(copy, row.ApiKeyId, NpgsqlDbType.Integer);
                Text(copy, row.ReleaseId);
                Text(copy, f.ShadowOf);
            }
            copy.Complete();
        }

        private static void Text(NpgsqlBinaryImporter copy, string? value)
        {
            if (PostgresValues.Text(value) is { } text)
            {
                copy.Write(text, NpgsqlDbType.Text);
            }
            else
            {
                copy.WriteNull();
            }
        }

        private static void Nullable<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type) where T : struct
        {
            if (value is { } v)
            {
                copy.Write(v, type);
            }
            else
            {
                copy.WriteNull();
            }
        }

        private static NpgsqlBatchCommand InsertEvents(List<(PendingWrite Pending, int Index, string EventId)> sent)
        {
            var n = sent.Count;
            var pathId = new int[n];
            var eventId = new string[n];
            var occurredAt = new DateTime[n];
            var receivedAt = new DateTime[n];
            var modelVersion = new string?[n];
            var promptVersion = new string?[n];
            var unit = new string?[n];
            var input = new string?[n];
            var output = new string?[n];
            var confidence = new double?[n];
            var latency = new double?[n];
            var inputTokens = new long?[n];
            var outputTokens = new long?[n];
            var cost = new double?[n];
            var outcome = new string[n];
            var errorCode = new string?[n];
            var errorMessage = new string?[n];
            var traceId = new string?[n];
            var sources = new string?[n];
            var attributes = new string?[n];
            var redacted = new int[n];
            var reason = new string?[n];
            var apiKey = new int?[n];
            var release = new string?[n];
            var shadowOf = new string?[n];
            for (var j = 0; j < n; j++)
            {
                var (pending, i, id) = sent[j];
                var row = pending.Events[i];
                var f = row.Fields;
                pathId[j] = row.PathId;
                eventId[j] = id;
                occurredAt[j] = PostgresValues.Utc(f.OccurredAt);
                receivedAt[j] = PostgresValues.Utc(row.ReceivedAt);
                modelVersion[j] = PostgresValues.Text(f.ModelVersion);
                promptVersion[j] = PostgresValues.Text(f.PromptVersion);
                unit[j] = PostgresValues.Text(f.Unit);
                input[j] = PostgresValues.Text(f.Input.ToString());
                output[j] = PostgresValues.Text(f.Output.ToString());
                confidence[j] = f.Confidence;
                latency[j] = f.LatencyMs;
                inputTokens[j] = f.InputTokens;
                outputTokens[j] = f.OutputTokens;
                cost[j] = f.CostUsd;
                outcome[j] = PostgresValues.Text(f.Outcome)!;
                errorCode[j] = PostgresValues.Text(f.ErrorCode);
                errorMessage[j] = PostgresValues.Text(f.ErrorMessage);
                traceId[j] = PostgresValues.Text(f.TraceId);
                sources[j] = PostgresValues.Text(f.SourcesJson);
                attributes[j] = PostgresValues.Text(f.AttributesJson);
                redacted[j] = row.RedactedCount;
                reason[j] = row.Route?.Reason;
                apiKey[j] = row.ApiKeyId;
                release[j] = row.ReleaseId;
                shadowOf[j] = PostgresValues.Text(f.ShadowOf);
            }
            var command = new NpgsqlBatchCommand(PostgresInsertEventsSql);
            var p = command.Parameters;
            p.Add(PostgresValues.Array(pathId, NpgsqlDbType.Integer));
            p.Add(PostgresValues.Array(eventId, NpgsqlDbType.Text));
            p.Add(PostgresValues.Array(occurredAt, NpgsqlDbType.TimestampTz));
            p.Add(PostgresValues.Array(receivedAt, NpgsqlDbType.TimestampTz));
            p.Add(PostgresValues.Array(modelVersion, NpgsqlDbType.Text));
            p.Add(PostgresValues.Array(promptVersion, NpgsqlDbType.Text));
            p.Add(PostgresValues.Array(unit, NpgsqlDbType.Text));
            p.Add(PostgresValues.Array(input, NpgsqlDbType.Text));
            p.Add(PostgresValues.Array(output, NpgsqlDbType.Text));
            p.Add(PostgresValues.Array(confidence, NpgsqlDbType.Double));
            p.Add(PostgresValues.Array(latency, NpgsqlDbType.Double));
            p.Add(PostgresValues.Array(inputTokens, NpgsqlDbType.Bigint));
            p.Add(PostgresValues.Array(outputTokens, NpgsqlDbType.Bigint));
            p.Add(PostgresValues.Array(cost, NpgsqlDbType.Double));
            p.Add(PostgresValues.Array(outcome, NpgsqlDbType.Text));
            p.Add(PostgresValues.Array(errorCode, NpgsqlDbType.Text));
            p.Add(PostgresValues.Array(errorMessage, NpgsqlDbType.Text));
            p.Add(PostgresValues.Array(traceId, NpgsqlDbType.Text));
            p.Add(PostgresValues.Array(sources, NpgsqlDbType.Text));
            p.Add(PostgresValues.Array(attributes, NpgsqlDbType.Text));
            p.Add(PostgresValues.Array(redacted, NpgsqlDbType.Integer));
            p.Add(PostgresValues.Array(reason, NpgsqlDbType.Text));
            p.Add(PostgresValues.Array(apiKey, NpgsqlDbType.Integer));
            p.Add(PostgresValues.Array(release, NpgsqlDbType.Text));
            p.Add(PostgresValues.Array(shadowOf, NpgsqlDbType.Text));
            return command;
        }

        private static NpgsqlBatchCommand InsertReviewItems(List<(EventRow Row, long EventRowId)> routed)
        {
            var command = new NpgsqlBatchCommand(PostgresInsertReviewItemsSql);
            var p = command.Parameters;
            p.Add(PostgresValues.Array(routed.ConvertAll(r => r.Row.PathId).ToArray(), NpgsqlDbType.Integer));
            p.Add(PostgresValues.Array(routed.ConvertAll(r => r.EventRowId).ToArray(), NpgsqlDbType.Bigint));
            p.Add(PostgresValues.Array(routed.ConvertAll(r => r.Row.Route!.Value.Reason).ToArray(), NpgsqlDbType.Text));
            p.Add(PostgresValues.Array(routed.ConvertAll(r => r.Row.Route!.Value.Priority).ToArray(), NpgsqlDbType.Integer));
            p.Add(PostgresValues.Array(routed.ConvertAll(r => PostgresValues.Utc(r.Row.ReceivedAt)).ToArray(), NpgsqlDbType.TimestampTz));
            p.Add(PostgresValues.Array(routed.ConvertAll(r => PostgresValues.Utc(r.Row.DueAt)).ToArray(), NpgsqlDbType.TimestampTz));
            return command;
        }

        /// <summary>
        /// New rejects are inserted; re-rejected replays update their row (once per replay, the last
        /// reason wins, as row by row on SQLite); stored or duplicate replays delete theirs. The
        /// update goes before the delete: an item both re-rejected and stored in one group is gone,
        /// whichever came first.
        /// </summary>
        private static void AddQuarantine(NpgsqlBatch batch, List<PendingWrite> group, List<long> replayed)
        {
            var inserts = new List<QuarantineRow>();
            var updates = new Dictionary<long, (string Reason, DateTime At, int Count)>();
            foreach (var pending in group)
            {
                foreach (var q in pending.Quarantine)
                {
                    if (q.ExistingId is { } existing)
                    {
                        updates[existing] = (q.Reason, q.At, updates.TryGetValue(existing, out var u) ? u.Count + 1 : 1);
                    }
                    else
                    {
                        inserts.Add(q);
                    }
                }
            }
            if (inserts.Count > 0)
            {
                var command = new NpgsqlBatchCommand(PostgresInsertQuarantinedSql);
                var p = command.Parameters;
                p.Add(PostgresValues.Array(inserts.ConvertAll(q => PostgresValues.Text(q.PathSlug)).ToArray(), NpgsqlDbType.Text));
                p.Add(PostgresValues.Array(inserts.ConvertAll(q => PostgresValues.Text(q.EventId)).ToArray(), NpgsqlDbType.Text));
                p.Add(PostgresValues.Array(inserts.ConvertAll(q => PostgresValues.Text(q.RawJson)!).ToArray(), NpgsqlDbType.Text));
                p.Add(PostgresValues.Array(inserts.ConvertAll(q => PostgresValues.Text(q.Reason)!).ToArray(), NpgsqlDbType.Text));
                p.Add(PostgresValues.Array(inserts.ConvertAll(q => q.ApiKeyId).ToArray(), NpgsqlDbType.Integer));
                p.Add(PostgresValues.Array(inserts.ConvertAll(q => PostgresValues.Text(q.ApiKeyName)).ToArray(), NpgsqlDbType.Text));
                p.Add(PostgresValues.Array(inserts.ConvertAll(q => PostgresValues.Utc(q.At)).ToArray(), NpgsqlDbType.TimestampTz));
                batch.BatchCommands.Add(command);
            }
            if (updates.Count > 0)
            {
                var command = new NpgsqlBatchCommand(PostgresUpdateQuarantinedSql);
                var p = command.Parameters;
                p.Add(PostgresValues.Array(updates.Keys.ToArray(), NpgsqlDbType.Bigint));
                p.Add(PostgresValues.Array(updates.Values.Select(u => PostgresValues.Text(u.Reason)!).ToArray(), NpgsqlDbType.Text));
                p.Add(PostgresValues.Array(updates.Values.Select(u => PostgresValues.Utc(u.At)).ToArray(), NpgsqlDbType.TimestampTz));
                p.Add(PostgresValues.Array(updates.Values.Select(u => u.Count).ToArray(), NpgsqlDbType.Integer));
                batch.BatchCommands.Add(command);
            }
            if (replayed.Count > 0)
            {
                var command = new NpgsqlBatchCommand(PostgresDeleteQuarantinedSql);
                command.Parameters.Add(PostgresValues.Array(replayed.ToArray(), NpgsqlDbType.Bigint));
                batch.BatchCommands.Add(command);
            }
        }

        public void Dispose() => _connection.Dispose();
    }

    /// <summary>Commits on PostgreSQL that went in by COPY, and that fell back from it on a stored key (tests read them).</summary>
    internal sealed class CopyCounters
    {
        public long Copied;
        public long FellBack;
    }

    internal CopyCounters PostgresCopy { get; } = new();

    /// <summary>The unique index of (PathId, EventId): the one a COPY of a stored key fails on.</summary>
    internal const string EventKeyIndex = "IX_InferenceEvents_PathId_EventId";

    /// <summary>The writer's connection's application_name on PostgreSQL (pg_stat_activity).</summary>
    public const string WriterApplicationName = "OpsConsole ingestion writer";
}
