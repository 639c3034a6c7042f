using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace OpsConsole.Benchmarks;

/// <summary>
/// The PostgreSQL side of the scale-out benchmark: fresh databases on the test server, the raw
/// binary COPY baseline, and the read-backs that check what the app stored.
/// </summary>
public sealed class PostgresBaseline(string adminConnectionString)
{
    // The columns the app's writer fills, in the order of the baseline's SQLite INSERT.
    private const string CopySql =
        "COPY \"InferenceEvents\" (\"PathId\", \"EventId\", \"OccurredAt\", \"ReceivedAt\", \"ModelVersion\", \"PromptVersion\", \"Unit\", " +
        "\"Input\", \"Output\", \"Confidence\", \"LatencyMs\", \"InputTokens\", \"OutputTokens\", \"CostUsd\", \"Outcome\", \"ErrorCode\", " +
        "\"ErrorMessage\", \"TraceId\", \"SourcesJson\", \"AttributesJson\", \"RedactedCount\", \"ReviewReason\", \"ApiKeyId\") FROM STDIN (FORMAT BINARY)";

    private readonly List<string> _created = [];

    /// <summary>The connection string of <paramref name="database"/> on the same server as the admin one.</summary>
    public string For(string database, bool pooling = false) =>
        new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database, Pooling = pooling }.ToString();

    /// <summary>Creates an empty database with a random name (bench_…) and remembers it for <see cref="DropAll"/>.</summary>
    public string CreateDatabase(string purpose)
    {
        var name = $"bench_{purpose}_{Guid.NewGuid().ToString("N")[..8]}";
        Admin($"CREATE DATABASE \"{name}\"");
        _created.Add(name);
        return name;
    }

    /// <summary>Drops every database this run created; the apps using them must be killed first.</summary>
    public void DropAll()
    {
        foreach (var name in _created)
        {
            try
            {
                Admin($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            }
            catch (NpgsqlException ex)
            {
                Console.Error.WriteLine($"could not drop database {name}: {ex.Message}");
            }
        }
        _created.Clear();
    }

    /// <summary>Version and the durability settings that decide what a commit costs, for the report.</summary>
    public string ServerSettings()
    {
        using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(adminConnectionString) { Pooling = false }.ToString());
        connection.Open();
        using var cmd = new NpgsqlCommand(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'), current_setting('shared_buffers')", connection);
        using var reader = cmd.ExecuteReader();
        reader.Read();
        return $"{reader.GetString(0)}, fsync={reader.GetString(1)}, synchronous_commit={reader.GetString(2)}, shared_buffers={reader.GetString(3)}";
    }

    private void Admin(string sql)
    {
        using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(adminConnectionString) { Pooling = false }.ToString());
        connection.Open();
        using var cmd = new NpgsqlCommand(sql, connection);
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// Writes the events into <paramref name="database"/> (migrated by the app) with one binary COPY per
    /// <paramref name="rowsPerBatch"/> rows on one connection, each COPY its own committed transaction;
    /// returns the time of the copy loop alone.
    /// </summary>
    public TimeSpan Copy(string database, IReadOnlyList<BenchEvent> events, int rowsPerBatch, CancellationToken ct)
    {
        using var connection = new NpgsqlConnection(For(database));
        connection.Open();
        var pathId = PathId(connection, EventGenerator.PathSlug);
        var stopwatch = Stopwatch.StartNew();
        for (var start = 0; start < events.Count; start += rowsPerBatch)
        {
            ct.ThrowIfCancellationRequested();
            var receivedAt = DateTime.UtcNow;
            using var writer = connection.BeginBinaryImport(CopySql);
            for (var i = start; i < Math.Min(events.Count, start + rowsPerBatch); i++)
            {
                var e = events[i];
                writer.StartRow();
                writer.Write(pathId, NpgsqlDbType.Integer);
                writer.Write(e.EventId, NpgsqlDbType.Varchar);
                writer.Write(Utc(e.OccurredAt), NpgsqlDbType.TimestampTz);
                writer.Write(receivedAt, NpgsqlDbType.TimestampTz);
                writer.Write(e.ModelVersion, NpgsqlDbType.Text);
                writer.Write(e.PromptVersion, NpgsqlDbType.Text);
                writer.Write(e.Unit, NpgsqlDbType.Text);
                writer.Write(e.Input, NpgsqlDbType.Text);
                writer.Write(e.Output, NpgsqlDbType.Text);
                writer.Write(e.Confidence, NpgsqlDbType.Double);
                writer.Write(e.LatencyMs, NpgsqlDbType.Double);
                writer.Write(e.InputTokens, NpgsqlDbType.Bigint);
                writer.Write(e.OutputTokens, NpgsqlDbType.Bigint);
                writer.Write(e.CostUsd, NpgsqlDbType.Double);
                writer.Write(e.Outcome, NpgsqlDbType.Varchar);
                writer.WriteNull(); // ErrorCode
                writer.WriteNull(); // ErrorMessage
                writer.Write(e.TraceId, NpgsqlDbType.Text);
                writer.WriteNull(); // SourcesJson
                writer.Write(e.AttributesJson, NpgsqlDbType.Text);
                writer.Write(0, NpgsqlDbType.Integer); // RedactedCount
                writer.WriteNull(); // ReviewReason
                writer.WriteNull(); // ApiKeyId
            }
            writer.Complete();
        }
        stopwatch.Stop();
        return stopwatch.Elapsed;
    }

    private static DateTime Utc(DateTime t) => t.Kind switch
    {
        DateTimeKind.Utc => t,
        DateTimeKind.Local => t.ToUniversalTime(),
        _ => DateTime.SpecifyKind(t, DateTimeKind.Utc),
    };

    /// <summary>Events and review items of the benchmark path in <paramref name="database"/>.</summary>
    public (long Events, long ReviewItems) Stored(string database)
    {
        using var connection = new NpgsqlConnection(For(database));
        connection.Open();
        var pathId = PathId(connection, EventGenerator.PathSlug);
        using var cmd = new NpgsqlCommand(
            "SELECT (SELECT COUNT(*) FROM \"InferenceEvents\" WHERE \"PathId\" = @p), (SELECT COUNT(*) FROM \"ReviewItems\" WHERE \"PathId\" = @p)", connection);
        cmd.Parameters.AddWithValue("p", pathId);
        using var reader = cmd.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>The review items the events whose ids start with <paramref name="eventPrefix"/> produced on <paramref name="slug"/>.</summary>
    public HashSet<long> RoutedItemIds(string database, string slug, string eventPrefix)
    {
        using var connection = new NpgsqlConnection(For(database));
        connection.Open();
        using var cmd = new NpgsqlCommand(
            "SELECT r.\"Id\" FROM \"ReviewItems\" AS r JOIN \"InferenceEvents\" AS e ON e.\"Id\" = r.\"EventRowId\" " +
            "WHERE r.\"PathId\" = @p AND e.\"EventId\" LIKE @prefix", connection);
        cmd.Parameters.AddWithValue("p", PathId(connection, slug));
        cmd.Parameters.AddWithValue("prefix", eventPrefix + "-%");
        using var reader = cmd.ExecuteReader();
        var ids = new HashSet<long>();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }
        return ids;
    }

    private static int PathId(NpgsqlConnection connection, string slug)
    {
        using var cmd = new NpgsqlCommand("SELECT \"Id\" FROM \"Paths\" WHERE \"Slug\" = @s", connection);
        cmd.Parameters.AddWithValue("s", slug);
        return cmd.ExecuteScalar() is int id
            ? id
            : throw new BenchmarkFailedException($"Path '{slug}' not found in the PostgreSQL database the app created; is the demo seeding on?");
    }
}
