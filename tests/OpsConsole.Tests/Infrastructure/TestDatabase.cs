using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace OpsConsole.Tests.Infrastructure;

/// <summary>
/// Which provider this test run uses. <c>OPSCONSOLE_TEST_PROVIDER=Postgres</c> (set by the test command
/// for its second run of the integration tests) needs <c>OPSCONSOLE_TEST_POSTGRES</c>, a connection
/// string to a server where it may create and drop databases; a missing one fails the run, never skips it.
/// </summary>
public static class TestDatabase
{
    public static bool IsPostgres { get; } =
        string.Equals(Environment.GetEnvironmentVariable("OPSCONSOLE_TEST_PROVIDER"), "Postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>The server's connection string (to its maintenance database); throws when none is given.</summary>
    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable("OPSCONSOLE_TEST_POSTGRES") is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException("OPSCONSOLE_TEST_PROVIDER=Postgres needs OPSCONSOLE_TEST_POSTGRES (see .ci/test-servers.sh).");

    public static string PostgresConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = database, MaxPoolSize = 20 }.ConnectionString;

    public static void CreatePostgres(string database)
    {
        using var connection = new NpgsqlConnection(ServerConnectionString);
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"CREATE DATABASE \"{database}\"";
        cmd.ExecuteNonQuery();
    }

    public static void DropPostgres(string database)
    {
        NpgsqlConnection.ClearAllPools();
        using var connection = new NpgsqlConnection(ServerConnectionString);
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)";
        cmd.ExecuteNonQuery();
    }

    /// <summary>A chain key per database (every instance of one database shares it, as production must).</summary>
    public static string ChainKeyFor(string database) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes("opsconsole-test-chain-key:" + database)));
}
