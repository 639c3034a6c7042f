using System.Diagnostics;
using Microsoft.Data.Sqlite;
using OpsConsole.Web.Features.Explorer;

namespace OpsConsole.Benchmarks;

/// <summary>Median timings of the explorer's three page queries on one large path.</summary>
public sealed record ExplorerResult(long Rows, double FirstPageMs, double NextPageMs, double ErrorPageMs, IReadOnlyList<string> Plans);

/// <summary>What the app stored in one HTTP phase, read back from its database afterwards.</summary>
public sealed record StoredStats(long Events, long ReviewItems, long Redacted, long Quarantined);

/// <summary>
/// The lower bound the app's ingestion is compared with: the same rows, in the same schema, written
/// by one prepared INSERT on one connection with the pragmas of the app's writer. No HTTP, no JSON,
/// no validation, no review routing. Also hosts the explorer query timings on a large path.
/// </summary>
public static class SqliteBaseline
{
    // The column list of the app's writer (IngestionWriter / EventSql.Insert), without its
    // ON CONFLICT … RETURNING: the baseline knows its ids are unique and needs no row id back.
    private const string InsertSql =
        "INSERT INTO InferenceEvents (PathId, EventId, OccurredAt, ReceivedAt, ModelVersion, PromptVersion, Unit, Input, Output, " +
        "Confidence, LatencyMs, InputTokens, OutputTokens, CostUsd, Outcome, ErrorCode, ErrorMessage, TraceId, SourcesJson, " +
        "AttributesJson, RedactedCount, ReviewReason, ApiKeyId) VALUES ($p, $id, $oa, $ra, $mv, $pv, $u, $in, $out, $c, $l, $it, $ot, " +
        "$cost, $o, $ec, $em, $tr, $src, $attr, $rc, $rr, $k)";

    private static readonly string[] _parameters =
        ["$p", "$id", "$oa", "$ra", "$mv", "$pv", "$u", "$in", "$out", "$c", "$l", "$it", "$ot", "$cost", "$o", "$ec", "$em", "$tr", "$src", "$attr", "$rc", "$rr", "$k"];

    // The explorer's list query (EventExplorerService.SearchAsync) as EF Core sends it: the list
    // columns, the review status of each row, the output snippet; newest first, one row extra.
    private const string ExplorerSelect =
        "SELECT e.Id, e.EventId, e.OccurredAt, e.ModelVersion, e.Confidence, e.LatencyMs, e.CostUsd, e.Outcome, e.ReviewReason, " +
        "(SELECT r.Status FROM ReviewItems AS r WHERE r.EventRowId = e.Id LIMIT 1), e.RedactedCount, substr(e.Output, 1, 140) " +
        "FROM InferenceEvents AS e WHERE e.PathId = @p";
    private const string ExplorerOrder = " ORDER BY e.OccurredAt DESC, e.Id DESC LIMIT 51";

    public static SqliteConnection Open(string databaseFile)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databaseFile, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>Fails clearly when the app did not create the tables the benchmark writes and reads (a stale build).</summary>
    public static void CheckSchema(string databaseFile, AppBuild build)
    {
        using var connection = Open(databaseFile);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('InferenceEvents', 'ReviewItems', 'QuarantinedEvents', 'Paths')";
        if ((long)cmd.ExecuteScalar()! != 4)
        {
            throw new BenchmarkFailedException(
                $"The {build.Configuration} build in {build.SourceDirectory} (written {build.BuiltAtUtc:yyyy-MM-dd HH:mm} UTC) did not create the ingestion tables; " +
                "it is probably stale. Rebuild the web app, or pick the other build with --app-config.");
        }
    }

    public static int PathId(SqliteConnection connection, string slug)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT Id FROM Paths WHERE Slug = @s";
        cmd.Parameters.AddWithValue("@s", slug);
        return cmd.ExecuteScalar() is long id
            ? (int)id
            : throw new BenchmarkFailedException($"Path '{slug}' not found in the database the app created; is the demo seeding on?");
    }

    /// <summary>Inserts the events as the baseline and returns the time of the insert loop alone.</summary>
    public static TimeSpan Insert(string databaseFile, IReadOnlyList<BenchEvent> events, int rowsPerTransaction, CancellationToken ct)
    {
        using var connection = Open(databaseFile);
        Pragmas(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
        var pathId = PathId(connection, EventGenerator.PathSlug);
        using var insert = PrepareInsert(connection);

        var stopwatch = Stopwatch.StartNew();
        for (var start = 0; start < events.Count; start += rowsPerTransaction)
        {
            ct.ThrowIfCancellationRequested();
            using var tx = connection.BeginTransaction();
            insert.Transaction = tx;
            var receivedAt = DateTime.UtcNow;
            for (var i = start; i < Math.Min(events.Count, start + rowsPerTransaction); i++)
            {
                Bind(insert.Parameters, pathId, events[i], events[i].EventId, events[i].OccurredAt, receivedAt);
                insert.ExecuteNonQuery();
            }
            tx.Commit();
        }
        stopwatch.Stop();
        return stopwatch.Elapsed;
    }

    /// <summary>
    /// Tops the path up to <paramref name="targetRows"/> with older history, in big unsynchronised
    /// transactions: this is set-up for the explorer timings, not a measurement.
    /// </summary>
    public static long FillPath(string databaseFile, IReadOnlyList<BenchEvent> templates, int targetRows, CancellationToken ct)
    {
        using var connection = Open(databaseFile);
        Pragmas(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;");
        var pathId = PathId(connection, EventGenerator.PathSlug);
        var existing = CountRows(connection, pathId);
        var missing = targetRows - existing;
        if (missing <= 0)
        {
            return existing;
        }
        // Spread the history over the 90 days before the oldest benchmark event, so the newest
        // pages are the benchmark's own rows and the history sits below them in the index.
        var oldest = templates.Min(e => e.OccurredAt);
        var step = TimeSpan.FromDays(90) / missing;
        using var insert = PrepareInsert(connection);
        var receivedAt = DateTime.UtcNow;
        const int perTransaction = 50_000;
        for (var start = 0L; start < missing; start += perTransaction)
        {
            ct.ThrowIfCancellationRequested();
            using var tx = connection.BeginTransaction();
            insert.Transaction = tx;
            for (var i = start; i < Math.Min(missing, start + perTransaction); i++)
            {
                var template = templates[(int)(i % templates.Count)];
                var occurredAt = oldest - step * (missing - i);
                Bind(insert.Parameters, pathId, template, $"history-{i:D7}", occurredAt, receivedAt);
                insert.ExecuteNonQuery();
            }
            tx.Commit();
        }
        Pragmas(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
        return CountRows(connection, pathId);
    }

    /// <summary>Median of <paramref name="runs"/> executions of the first page, the next page and the outcome=error page.</summary>
    public static ExplorerResult TimeExplorer(string databaseFile, int runs)
    {
        using var connection = Open(databaseFile);
        var pathId = PathId(connection, EventGenerator.PathSlug);
        var rows = CountRows(connection, pathId);

        using var first = connection.CreateCommand();
        first.CommandText = ExplorerSelect + ExplorerOrder;
        first.Parameters.AddWithValue("@p", pathId);

        // The cursor is the last row of the first page, read back as stored text so the comparison
        // is exact (the app binds a DateTime that the provider formats the same way).
        string cursorTime = "";
        long cursorId = 0;
        using (var reader = first.ExecuteReader())
        {
            var n = 0;
            while (reader.Read() && ++n <= 50)
            {
                cursorTime = reader.GetString(2);
                cursorId = reader.GetInt64(0);
            }
        }
        using var next = connection.CreateCommand();
        next.CommandText = ExplorerSelect + " AND (e.OccurredAt < @t OR (e.OccurredAt = @t AND e.Id < @id))" + ExplorerOrder;
        next.Parameters.AddWithValue("@p", pathId);
        next.Parameters.AddWithValue("@t", cursorTime);
        next.Parameters.AddWithValue("@id", cursorId);

        using var errors = connection.CreateCommand();
        errors.CommandText = ExplorerSelect + " AND e.Outcome = @o" + ExplorerOrder;
        errors.Parameters.AddWithValue("@p", pathId);
        errors.Parameters.AddWithValue("@o", "error");

        var commands = new[] { first, next, errors };
        var plans = commands.Select(c => Plan(connection, c)).ToList();
        var medians = commands.Select(c => MedianMs(c, runs)).ToArray();
        return new ExplorerResult(rows, medians[0], medians[1], medians[2], plans);
    }

    /// <summary>Counts what the app stored in an HTTP phase: events, review items, masked values, quarantined items.</summary>
    public static StoredStats Stored(string databaseFile)
    {
        using var connection = Open(databaseFile);
        var pathId = PathId(connection, EventGenerator.PathSlug);
        using var cmd = connection.CreateCommand();
        cmd.CommandText =
            "SELECT (SELECT COUNT(*) FROM InferenceEvents WHERE PathId = @p), (SELECT COUNT(*) FROM ReviewItems WHERE PathId = @p), " +
            "(SELECT COALESCE(SUM(RedactedCount), 0) FROM InferenceEvents WHERE PathId = @p), (SELECT COUNT(*) FROM QuarantinedEvents)";
        cmd.Parameters.AddWithValue("@p", pathId);
        using var reader = cmd.ExecuteReader();
        reader.Read();
        return new StoredStats(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    /// <summary>
    /// Compares sampled events as stored by the app with the baseline's rows, column by column
    /// (all but Id, ReceivedAt, ReviewReason and ApiKeyId, which differ by design), so the two
    /// rates are known to be about the same data. Returns the differences found.
    /// </summary>
    public static IReadOnlyList<string> CompareRows(string baselineFile, string appFile, IEnumerable<string> eventIds)
    {
        const string columns = "OccurredAt, ModelVersion, PromptVersion, Unit, Input, Output, Confidence, LatencyMs, InputTokens, " +
            "OutputTokens, CostUsd, Outcome, ErrorCode, ErrorMessage, TraceId, SourcesJson, AttributesJson, RedactedCount";
        using var baseline = Open(baselineFile);
        using var app = Open(appFile);
        var baselinePath = PathId(baseline, EventGenerator.PathSlug);
        var appPath = PathId(app, EventGenerator.PathSlug);
        var differences = new List<string>();
        foreach (var id in eventIds)
        {
            var expected = Row(baseline, columns, baselinePath, id);
            var actual = Row(app, columns, appPath, id);
            if (expected is null || actual is null)
            {
                differences.Add($"{id}: missing in {(expected is null ? "baseline" : "app")} database");
                continue;
            }
            for (var i = 0; i < expected.Length; i++)
            {
                if (!Equals(expected[i], actual[i]))
                {
                    differences.Add($"{id}: column {columns.Split(", ")[i]} baseline '{expected[i]}' app '{actual[i]}'");
                }
            }
        }
        return differences;
    }

    private static object[]? Row(SqliteConnection connection, string columns, int pathId, string eventId)
    {
        using var cmd = connection.CreateCommand();
        // PathId first: the unique index is (PathId, EventId); EventId alone would scan the table.
        cmd.CommandText = $"SELECT {columns} FROM InferenceEvents WHERE PathId = @p AND EventId = @id";
        cmd.Parameters.AddWithValue("@p", pathId);
        cmd.Parameters.AddWithValue("@id", eventId);
        using var reader = cmd.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }
        var values = new object[reader.FieldCount];
        reader.GetValues(values);
        return values;
    }

    private static double MedianMs(SqliteCommand command, int runs)
    {
        command.Prepare();
        // Two unmeasured runs warm the page cache and the statement, as a busy console's would be.
        for (var i = 0; i < 2; i++)
        {
            Drain(command);
        }
        var timings = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var n = Drain(command);
            timings[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (n == 0)
            {
                throw new BenchmarkFailedException($"The explorer query returned no rows: {command.CommandText}");
            }
        }
        Array.Sort(timings);
        return runs % 2 == 1 ? timings[runs / 2] : (timings[runs / 2 - 1] + timings[runs / 2]) / 2;
    }

    /// <summary>Reads every column of every row, as materialising the page would.</summary>
    private static int Drain(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var rows = 0;
        var values = new object[reader.FieldCount];
        while (reader.Read())
        {
            reader.GetValues(values);
            rows++;
        }
        return rows;
    }

    private static string Plan(SqliteConnection connection, SqliteCommand command)
    {
        using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;
        foreach (SqliteParameter p in command.Parameters)
        {
            explain.Parameters.AddWithValue(p.ParameterName, p.Value);
        }
        using var reader = explain.ExecuteReader();
        var steps = new List<string>();
        while (reader.Read())
        {
            steps.Add(reader.GetString(3));
        }
        return string.Join("; ", steps);
    }

    private static long CountRows(SqliteConnection connection, int pathId)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM InferenceEvents WHERE PathId = @p";
        cmd.Parameters.AddWithValue("@p", pathId);
        return (long)cmd.ExecuteScalar()!;
    }

    private static void Pragmas(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static SqliteCommand PrepareInsert(SqliteConnection connection)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = InsertSql;
        foreach (var name in _parameters)
        {
            cmd.Parameters.Add(new SqliteParameter { ParameterName = name });
        }
        cmd.Prepare();
        return cmd;
    }

    private static void Bind(SqliteParameterCollection p, int pathId, BenchEvent e, string eventId, DateTime occurredAt, DateTime receivedAt)
    {
        p[0].Value = pathId;
        p[1].Value = eventId;
        p[2].Value = occurredAt;
        p[3].Value = receivedAt;
        p[4].Value = e.ModelVersion;
        p[5].Value = e.PromptVersion;
        p[6].Value = e.Unit;
        p[7].Value = e.Input;
        p[8].Value = e.Output;
        p[9].Value = e.Confidence;
        p[10].Value = e.LatencyMs;
        p[11].Value = e.InputTokens;
        p[12].Value = e.OutputTokens;
        p[13].Value = e.CostUsd;
        p[14].Value = e.Outcome;
        p[15].Value = DBNull.Value; // ErrorCode
        p[16].Value = DBNull.Value; // ErrorMessage
        p[17].Value = e.TraceId;
        p[18].Value = DBNull.Value; // SourcesJson
        p[19].Value = e.AttributesJson;
        p[20].Value = 0;            // RedactedCount
        p[21].Value = DBNull.Value; // ReviewReason
        p[22].Value = DBNull.Value; // ApiKeyId
    }
}
