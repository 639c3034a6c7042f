using Npgsql;
using NpgsqlTypes;
using OpsConsole.Web.Infrastructure;

namespace OpsConsole.Web.Features.Metrics;

/// <summary>
/// <see cref="RollupStore"/> on PostgreSQL, where several console instances add to the same buckets
/// at once. Counts could merge in SQL, but the latency sketch and the confidence histogram are
/// bytes that only C# can merge, so every bucket is read and rewritten under a row lock:
/// <list type="number">
/// <item>the buckets not yet stored are inserted with the whole delta (<c>ON CONFLICT DO NOTHING</c>
/// waits for another transaction inserting the same key and steps aside if it commits);</item>
/// <item>every bucket of the commit is locked (<c>FOR UPDATE</c>, in key order so two writers never
/// wait for each other in a circle) and read; the ones step 1 did not insert get the delta merged
/// in C# and written back in one <c>UPDATE</c>.</item>
/// </list>
/// A bucket deleted between the two steps (compaction, rebuild) is simply tried again. Steps 1 and 2
/// go in one round trip. Token sums saturate as in <see cref="RollupDelta.SaturatingAdd"/>.
/// </summary>
public static class PostgresRollupStore
{
    private const string Columns =
        "\"PathId\", \"ModelVersion\", \"Segment\", \"BucketStart\", \"BucketMinutes\", \"Events\", \"Ok\", \"Errors\", \"Timeouts\", \"Fallbacks\", " +
        "\"CostUsd\", \"InputTokens\", \"OutputTokens\", \"Latency\", \"Confidence\", \"RoutedLowConfidence\", \"RoutedError\", \"RoutedQaSample\", " +
        "\"Approved\", \"Corrected\", \"Rejected\", \"QaApproved\", \"QaDecided\"";

    /// <summary>
    /// Step 1: the new buckets with their whole delta; returns the ids it inserted. Named so
    /// RawSqlColumnsTests can hold its column list against the EF model.
    /// </summary>
    internal const string InsertSql =
        "INSERT INTO \"PathRollups\" (" + Columns + ") SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) " +
        "AS u(p, m, s, b, n, ev, ok, er, tmo, fb, cost, it, ot, lat, conf, rl, re, rq, ap, co, rj, qa, qd) " +
        "ORDER BY u.p, u.n, u.b, u.m COLLATE \"C\", u.s COLLATE \"C\" " +
        "ON CONFLICT (\"PathId\", \"BucketMinutes\", \"BucketStart\", \"ModelVersion\", \"Segment\") DO NOTHING RETURNING \"Id\"";

    /// <summary>Step 2: every bucket of the commit, locked in key order.</summary>
    internal const string LockSql =
        "SELECT r.\"Id\", r.\"PathId\", r.\"BucketMinutes\", r.\"BucketStart\", r.\"ModelVersion\", r.\"Segment\", r.\"Latency\", r.\"Confidence\" " +
        "FROM unnest($1, $2, $3, $4, $5) AS k(p, n, b, m, s) JOIN \"PathRollups\" AS r " +
        "ON r.\"PathId\" = k.p AND r.\"BucketMinutes\" = k.n AND r.\"BucketStart\" = k.b AND r.\"ModelVersion\" = k.m AND r.\"Segment\" = k.s " +
        "ORDER BY r.\"PathId\", r.\"BucketMinutes\", r.\"BucketStart\", r.\"ModelVersion\" COLLATE \"C\", r.\"Segment\" COLLATE \"C\" FOR UPDATE OF r";

    private const string Saturated = "LEAST(GREATEST(r.\"{0}\"::numeric + u.{1}, -9223372036854775808), 9223372036854775807)::bigint";

    /// <summary>Step 3: the delta added to the locked buckets that existed before, with their merged sketches.</summary>
    internal static readonly string UpdateSql =
        "UPDATE \"PathRollups\" AS r SET \"Events\" = r.\"Events\" + u.ev, \"Ok\" = r.\"Ok\" + u.ok, \"Errors\" = r.\"Errors\" + u.er, " +
        "\"Timeouts\" = r.\"Timeouts\" + u.tmo, \"Fallbacks\" = r.\"Fallbacks\" + u.fb, \"CostUsd\" = r.\"CostUsd\" + u.cost, " +
        "\"InputTokens\" = " + string.Format(System.Globalization.CultureInfo.InvariantCulture, Saturated, "InputTokens", "it") + ", " +
        "\"OutputTokens\" = " + string.Format(System.Globalization.CultureInfo.InvariantCulture, Saturated, "OutputTokens", "ot") + ", " +
        "\"Latency\" = u.lat, \"Confidence\" = u.conf, \"RoutedLowConfidence\" = r.\"RoutedLowConfidence\" + u.rl, \"RoutedError\" = r.\"RoutedError\" + u.re, " +
        "\"RoutedQaSample\" = r.\"RoutedQaSample\" + u.rq, \"Approved\" = r.\"Approved\" + u.ap, \"Corrected\" = r.\"Corrected\" + u.co, " +
        "\"Rejected\" = r.\"Rejected\" + u.rj, \"QaApproved\" = r.\"QaApproved\" + u.qa, \"QaDecided\" = r.\"QaDecided\" + u.qd " +
        "FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) " +
        "AS u(id, ev, ok, er, tmo, fb, cost, it, ot, lat, conf, rl, re, rq, ap, co, rj, qa, qd) WHERE r.\"Id\" = u.id";

    /// <summary>More rounds than this means buckets vanish faster than they can be written: a bug, not a race.</summary>
    private const int MaxRounds = 10;

    /// <summary>
    /// Adds the deltas inside <paramref name="tx"/>; the locks hold until it ends. The caller's
    /// <paramref name="before"/> commands go first in the same round trip (the writer's review items and
    /// failure patterns: fewer round trips while the contended locks are held); <paramref name="readBefore"/>
    /// reads their result sets and leaves the reader on the next one.
    /// </summary>
    public static void Apply(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyDictionary<RollupKey, RollupDelta> deltas,
        IReadOnlyList<NpgsqlBatchCommand>? before = null, Action<NpgsqlDataReader>? readBefore = null)
    {
        before ??= [];
        if (deltas.Count == 0)
        {
            if (before.Count > 0)
            {
                using var batch = new NpgsqlBatch(connection, tx);
                foreach (var command in before)
                {
                    batch.BatchCommands.Add(command);
                }
                using var reader = batch.ExecuteReader();
                readBefore?.Invoke(reader);
                while (reader.NextResult())
                {
                }
            }
            return;
        }
        var pending = Normalize(deltas);
        for (var round = 1; pending.Count > 0; round++)
        {
            if (round > MaxRounds)
            {
                throw new InvalidOperationException($"{pending.Count} rollup buckets were deleted each time they were written ({MaxRounds} rounds).");
            }
            var keys = pending.Keys.ToArray();
            var updates = new List<(long Id, RollupDelta Delta, byte[] Latency, byte[] Confidence)>();
            using (var batch = new NpgsqlBatch(connection, tx))
            {
                if (round == 1)
                {
                    foreach (var command in before)
                    {
                        batch.BatchCommands.Add(command);
                    }
                    // On a connection that prepares its statements (the ingestion writer's), PostgreSQL soon plans the
                    // lock and the update once for any arrays, and that generic plan scanned all of PathRollups (2 ms a
                    // commit instead of 0.06). They are planned for their arrays, to the end of the transaction.
                    batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL plan_cache_mode = force_custom_plan"));
                }
                batch.BatchCommands.Add(Insert(keys, pending));
                batch.BatchCommands.Add(Lock(keys));
                using var reader = batch.ExecuteReader();
                if (round == 1)
                {
                    readBefore?.Invoke(reader);
                }
                var inserted = new HashSet<long>();
                while (reader.Read())
                {
                    inserted.Add(reader.GetInt64(0));
                }
                reader.NextResult();
                while (reader.Read())
                {
                    var key = new RollupKey(reader.GetInt32(1), reader.GetString(4), DateTime.SpecifyKind(reader.GetDateTime(3), DateTimeKind.Utc),
                        reader.GetString(5), reader.GetInt32(2));
                    if (!pending.Remove(key, out var d))
                    {
                        continue;
                    }
                    var id = reader.GetInt64(0);
                    if (inserted.Contains(id))
                    {
                        continue;
                    }
                    var latency = LatencySketch.FromBytes(reader.GetFieldValue<byte[]>(6));
                    latency.Merge(d.Latency);
                    var confidence = RollupDelta.Histogram(reader.GetFieldValue<byte[]>(7));
                    confidence.Merge(d.Confidence);
                    updates.Add((id, d, latency.ToBytes(), RollupDelta.HistogramBytes(confidence)));
                }
            }
            if (updates.Count > 0)
            {
                Update(connection, tx, updates);
            }
        }
    }

    /// <summary>
    /// Keys as PostgreSQL stores them (UTC, no U+0000). Two keys that become one add up, or the
    /// same bucket would be locked twice and updated once.
    /// </summary>
    private static Dictionary<RollupKey, RollupDelta> Normalize(IReadOnlyDictionary<RollupKey, RollupDelta> deltas)
    {
        var result = new Dictionary<RollupKey, RollupDelta>(deltas.Count);
        foreach (var (k, d) in deltas)
        {
            var key = k with
            {
                BucketStart = PostgresValues.Utc(k.BucketStart),
                ModelVersion = PostgresValues.Text(k.ModelVersion)!,
                Segment = PostgresValues.Text(k.Segment)!,
            };
            result[key] = result.TryGetValue(key, out var other) ? Sum(other, d) : d;
        }
        return result;
    }

    private static RollupDelta Sum(RollupDelta a, RollupDelta b)
    {
        var s = new RollupDelta();
        foreach (var d in new[] { a, b })
        {
            s.Events += d.Events; s.Ok += d.Ok; s.Errors += d.Errors; s.Timeouts += d.Timeouts; s.Fallbacks += d.Fallbacks; s.CostUsd += d.CostUsd;
            s.InputTokens = RollupDelta.SaturatingAdd(s.InputTokens, d.InputTokens);
            s.OutputTokens = RollupDelta.SaturatingAdd(s.OutputTokens, d.OutputTokens);
            s.RoutedLowConfidence += d.RoutedLowConfidence; s.RoutedError += d.RoutedError; s.RoutedQaSample += d.RoutedQaSample;
            s.Approved += d.Approved; s.Corrected += d.Corrected; s.Rejected += d.Rejected; s.QaApproved += d.QaApproved; s.QaDecided += d.QaDecided;
            s.Latency.Merge(d.Latency);
            s.Confidence.Merge(d.Confidence);
        }
        return s;
    }

    private static NpgsqlBatchCommand Insert(RollupKey[] keys, Dictionary<RollupKey, RollupDelta> deltas)
    {
        var n = keys.Length;
        var ds = new RollupDelta[n];
        for (var i = 0; i < n; i++)
        {
            ds[i] = deltas[keys[i]];
        }
        var command = new NpgsqlBatchCommand(InsertSql);
        var p = command.Parameters;
        p.Add(PostgresValues.Array(Array.ConvertAll(keys, k => k.PathId), NpgsqlDbType.Integer));
        p.Add(PostgresValues.Array(Array.ConvertAll(keys, k => k.ModelVersion), NpgsqlDbType.Text));
        p.Add(PostgresValues.Array(Array.ConvertAll(keys, k => k.Segment), NpgsqlDbType.Text));
        p.Add(PostgresValues.Array(Array.ConvertAll(keys, k => k.BucketStart), NpgsqlDbType.TimestampTz));
        p.Add(PostgresValues.Array(Array.ConvertAll(keys, k => k.Minutes), NpgsqlDbType.Integer));
        AddCounts(p, ds);
        return command;
    }

    private static NpgsqlBatchCommand Lock(RollupKey[] keys)
    {
        var command = new NpgsqlBatchCommand(LockSql);
        var p = command.Parameters;
        p.Add(PostgresValues.Array(Array.ConvertAll(keys, k => k.PathId), NpgsqlDbType.Integer));
        p.Add(PostgresValues.Array(Array.ConvertAll(keys, k => k.Minutes), NpgsqlDbType.Integer));
        p.Add(PostgresValues.Array(Array.ConvertAll(keys, k => k.BucketStart), NpgsqlDbType.TimestampTz));
        p.Add(PostgresValues.Array(Array.ConvertAll(keys, k => k.ModelVersion), NpgsqlDbType.Text));
        p.Add(PostgresValues.Array(Array.ConvertAll(keys, k => k.Segment), NpgsqlDbType.Text));
        return command;
    }

    private static void Update(NpgsqlConnection connection, NpgsqlTransaction tx, List<(long Id, RollupDelta Delta, byte[] Latency, byte[] Confidence)> updates)
    {
        using var command = new NpgsqlCommand(UpdateSql, connection, tx);
        var p = command.Parameters;
        p.Add(PostgresValues.Array(updates.ConvertAll(u => u.Id).ToArray(), NpgsqlDbType.Bigint));
        // The insert's column order from Events on, with the merged sketches in place of the delta's.
        AddCounts(p, updates.ConvertAll(u => u.Delta).ToArray(),
            updates.ConvertAll(u => u.Latency).ToArray(), updates.ConvertAll(u => u.Confidence).ToArray());
        command.ExecuteNonQuery();
    }

    /// <summary>Events … QaDecided in the column order of <see cref="InsertSql"/>; sketches from the deltas unless given.</summary>
    private static void AddCounts(NpgsqlParameterCollection p, RollupDelta[] ds, byte[][]? latency = null, byte[][]? confidence = null)
    {
        static NpgsqlParameter Longs(RollupDelta[] ds, Func<RollupDelta, long> f) => PostgresValues.Array(Array.ConvertAll(ds, d => f(d)), NpgsqlDbType.Bigint);
        p.Add(Longs(ds, d => d.Events));
        p.Add(Longs(ds, d => d.Ok));
        p.Add(Longs(ds, d => d.Errors));
        p.Add(Longs(ds, d => d.Timeouts));
        p.Add(Longs(ds, d => d.Fallbacks));
        p.Add(PostgresValues.Array(Array.ConvertAll(ds, d => d.CostUsd), NpgsqlDbType.Double));
        p.Add(Longs(ds, d => d.InputTokens));
        p.Add(Longs(ds, d => d.OutputTokens));
        p.Add(PostgresValues.Array(latency ?? Array.ConvertAll(ds, d => d.Latency.ToBytes()), NpgsqlDbType.Bytea));
        p.Add(PostgresValues.Array(confidence ?? Array.ConvertAll(ds, d => RollupDelta.HistogramBytes(d.Confidence)), NpgsqlDbType.Bytea));
        p.Add(Longs(ds, d => d.RoutedLowConfidence));
        p.Add(Longs(ds, d => d.RoutedError));
        p.Add(Longs(ds, d => d.RoutedQaSample));
        p.Add(Longs(ds, d => d.Approved));
        p.Add(Longs(ds, d => d.Corrected));
        p.Add(Longs(ds, d => d.Rejected));
        p.Add(Longs(ds, d => d.QaApproved));
        p.Add(Longs(ds, d => d.QaDecided));
    }
}

/// <summary>
/// <see cref="FailurePatternStore"/> on PostgreSQL: counts and first/last seen merge in SQL, so one
/// <c>INSERT … ON CONFLICT DO UPDATE</c> per commit is exact however many instances write at once
/// (rows in key order, so two writers never wait for each other in a circle).
/// </summary>
public static class PostgresFailurePatternStore
{
    /// <summary>Named so RawSqlColumnsTests can hold its column list against the EF model.</summary>
    internal const string UpsertSql =
        "INSERT INTO \"FailurePatternDays\" (\"PathId\", \"Day\", \"Kind\", \"Code\", \"Message\", \"Count\", \"FirstSeen\", \"LastSeen\") " +
        "SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8) AS u(p, d, k, c, m, n, f, l) " +
        "ORDER BY u.p, u.d, u.k COLLATE \"C\", u.c COLLATE \"C\", u.m COLLATE \"C\" " +
        "ON CONFLICT (\"PathId\", \"Day\", \"Kind\", \"Code\", \"Message\") DO UPDATE SET \"Count\" = \"FailurePatternDays\".\"Count\" + excluded.\"Count\", " +
        "\"FirstSeen\" = LEAST(\"FailurePatternDays\".\"FirstSeen\", excluded.\"FirstSeen\"), \"LastSeen\" = GREATEST(\"FailurePatternDays\".\"LastSeen\", excluded.\"LastSeen\")";

    public static void Apply(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyDictionary<FailurePatternStore.Key, FailurePatternStore.Delta> deltas)
    {
        if (Command(deltas) is not { } command)
        {
            return;
        }
        using var batch = new NpgsqlBatch(connection, tx) { BatchCommands = { command } };
        batch.ExecuteNonQuery();
    }

    /// <summary>The upsert as a command for the caller's batch (the ingest writer sends it with its review items); null when there is nothing to add.</summary>
    public static NpgsqlBatchCommand? Command(IReadOnlyDictionary<FailurePatternStore.Key, FailurePatternStore.Delta> deltas)
    {
        if (deltas.Count == 0)
        {
            return null;
        }
        // Keys as stored (UTC, no U+0000); two that become one add up (one statement may not update a row twice).
        var rows = new Dictionary<FailurePatternStore.Key, FailurePatternStore.Delta>(deltas.Count);
        foreach (var (k, d) in deltas)
        {
            var key = new FailurePatternStore.Key(k.PathId, PostgresValues.Utc(k.Day), PostgresValues.Text(k.Kind)!, PostgresValues.Text(k.Code)!, PostgresValues.Text(k.Message)!);
            if (!rows.TryGetValue(key, out var sum))
            {
                rows[key] = sum = new FailurePatternStore.Delta();
            }
            sum.Count += d.Count;
            sum.First = d.First < sum.First ? d.First : sum.First;
            sum.Last = d.Last > sum.Last ? d.Last : sum.Last;
        }
        var keys = rows.Keys.ToArray();
        var values = Array.ConvertAll(keys, k => rows[k]);
        var command = new NpgsqlBatchCommand(UpsertSql);
        var p = command.Parameters;
        p.Add(PostgresValues.Array(Array.ConvertAll(keys, k => k.PathId), NpgsqlDbType.Integer));
        p.Add(PostgresValues.Array(Array.ConvertAll(keys, k => k.Day), NpgsqlDbType.TimestampTz));
        p.Add(PostgresValues.Array(Array.ConvertAll(keys, k => k.Kind), NpgsqlDbType.Text));
        p.Add(PostgresValues.Array(Array.ConvertAll(keys, k => k.Code), NpgsqlDbType.Text));
        p.Add(PostgresValues.Array(Array.ConvertAll(keys, k => k.Message), NpgsqlDbType.Text));
        p.Add(PostgresValues.Array(Array.ConvertAll(values, v => v.Count), NpgsqlDbType.Bigint));
        p.Add(PostgresValues.Array(Array.ConvertAll(values, v => PostgresValues.Utc(v.First)), NpgsqlDbType.TimestampTz));
        p.Add(PostgresValues.Array(Array.ConvertAll(values, v => PostgresValues.Utc(v.Last)), NpgsqlDbType.TimestampTz));
        return command;
    }
}
