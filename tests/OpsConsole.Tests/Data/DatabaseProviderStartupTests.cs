using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OpsConsole.Tests.Features.Users;

namespace OpsConsole.Tests.Data;

/// <summary>
/// Choosing the database: a wrong provider, a missing or malformed PostgreSQL connection string, a
/// missing shared chain key, and a PostgreSQL that does not answer each stop the start with a message
/// saying what to fix (exit code 2), as the real process an operator runs.
/// </summary>
public sealed class DatabaseProviderStartupTests
{
    private static Dictionary<string, string> Settings(params (string Key, string Value)[] extra)
    {
        var dir = Directory.CreateTempSubdirectory("opsconsole-provider");
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["OpsConsole__Demo__Enabled"] = "true",
            ["OpsConsole__Demo__Traffic__Enabled"] = "false",
            ["OpsConsole__DataProtection__KeysPath"] = Path.Combine(dir.FullName, "keys"),
            ["ConnectionStrings__OpsConsole"] = $"Data Source={Path.Combine(dir.FullName, "db.sqlite")}",
        };
        foreach (var (key, value) in extra)
        {
            env[key] = value;
        }
        return env;
    }

    [Theory]
    [InlineData("Oracle")]
    [InlineData("sqlite; DROP TABLE x")]
    public async Task Start_UnknownProvider_RefusesAndNamesTheChoices(string provider)
    {
        var (exit, stderr) = await StartupTests.RunConsoleAsync(Settings(("OpsConsole__Database__Provider", provider)));

        Assert.Equal(2, exit);
        Assert.Contains("'Sqlite'", stderr);
        Assert.Contains("'Postgres'", stderr);
    }

    [Theory]
    [InlineData("", "ConnectionStrings:OpsConsole is not set")]
    [InlineData("Host=127.0.0.1;Nonsense=1", "not a valid Npgsql connection string")]
    [InlineData("Port=5432;Database=x", "names no Host")]
    public async Task Start_PostgresWithoutAUsableConnectionString_Refuses(string connectionString, string expected)
    {
        var (exit, stderr) = await StartupTests.RunConsoleAsync(Settings(
            ("OpsConsole__Database__Provider", "Postgres"),
            ("ConnectionStrings__OpsConsole", connectionString),
            ("OpsConsole__Audit__ChainKey", Convert.ToBase64String(new byte[32]))));

        Assert.Equal(2, exit);
        Assert.Contains(expected, stderr);
    }

    [Fact]
    public async Task Start_PostgresWithoutSharedChainKey_Refuses()
    {
        var (exit, stderr) = await StartupTests.RunConsoleAsync(Settings(
            ("OpsConsole__Database__Provider", "Postgres"),
            ("ConnectionStrings__OpsConsole", $"Host=127.0.0.1;Port={ClosedPort()};Username=x;Database=x")));

        Assert.Equal(2, exit);
        Assert.Contains("OpsConsole:Audit:ChainKey", stderr);
        Assert.Contains("same value on every instance", stderr);
    }

    [Fact]
    public async Task Start_PostgresUnreachable_RetriesWithLogLinesThenExitsWithMessage()
    {
        var watch = Stopwatch.StartNew();
        var (exit, stdout, stderr) = await StartupTests.RunConsoleWithOutputAsync(Settings(
            ("OpsConsole__Database__Provider", "Postgres"),
            ("ConnectionStrings__OpsConsole", $"Host=127.0.0.1;Port={ClosedPort()};Username=x;Database=x;Timeout=2"),
            ("OpsConsole__Audit__ChainKey", Convert.ToBase64String(new byte[32])),
            ("OpsConsole__Database__StartupRetrySeconds", "3")));

        Assert.Equal(2, exit);
        Assert.Contains("could not be reached", stderr);
        Assert.Contains("StartupRetrySeconds", stderr);
        Assert.Contains("Database unreachable (attempt 1", stdout);
        // It waited (bounded) rather than giving up at the first refusal.
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(60));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
