using System.Security.Cryptography;
using Npgsql;

namespace OpsConsole.E2E;

/// <summary>
/// Two consoles as two processes on one fresh PostgreSQL database and one Redis, as behind the
/// reverse proxy of deploy/compose.yaml: A starts first (migrates, seeds the demo), then B. The
/// servers come from the test command (.ci/test-servers.sh): OPSCONSOLE_TEST_POSTGRES is an admin
/// connection string, OPSCONSOLE_TEST_REDIS a Redis address. Without them the fixture fails; it never skips.
/// </summary>
public sealed class TwoInstanceFixture : IAsyncLifetime
{
    /// <summary>Its drift check runs every minute here, so a schedule can be watched within the class.</summary>
    public const string MinutelyDriftPath = "ticket-triage";

    private readonly string _database = "oc_e2e_" + Guid.NewGuid().ToString("N")[..10];
    private readonly string _folder = Directory.CreateTempSubdirectory("opsconsole-e2e-two").FullName;
    private string _admin = "";
    private IPlaywright? _playwright;

    public ConsoleProcess A { get; private set; } = null!;
    public ConsoleProcess B { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The consoles' own database, for reading what they wrote.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>When B was ready: from then on both instances run Hangfire on one schedule.</summary>
    public DateTime BothRunningSince { get; private set; }

    public async ValueTask InitializeAsync()
    {
        _admin = Environment.GetEnvironmentVariable("OPSCONSOLE_TEST_POSTGRES") is { Length: > 0 } pg ? pg
            : throw new InvalidOperationException("OPSCONSOLE_TEST_POSTGRES is not set: the two-instance journeys need the PostgreSQL and Redis that the test command (./build.sh test) starts.");
        var redis = Environment.GetEnvironmentVariable("OPSCONSOLE_TEST_REDIS") is { Length: > 0 } r ? r
            : throw new InvalidOperationException("OPSCONSOLE_TEST_REDIS is not set: the two-instance journeys need the PostgreSQL and Redis that the test command (./build.sh test) starts.");
        await using (var admin = new NpgsqlConnection(_admin))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{_database}\"", admin);
            await create.ExecuteNonQueryAsync();
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(_admin) { Database = _database }.ConnectionString;

        var environment = new Dictionary<string, string>
        {
            ["OpsConsole__Database__Provider"] = "Postgres",
            ["ConnectionStrings__OpsConsole"] = ConnectionString,
            ["OpsConsole__Redis__Connection"] = redis + ",channelPrefix=" + _database,
            // Every instance must share the chain key (README, "Scaling out").
            ["OpsConsole__Audit__ChainKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["OpsConsole__Demo__Enabled"] = "true",
            ["OpsConsole__Demo__Traffic__Enabled"] = "false",
            ["OpsConsole__Demo__Traffic__HistoryDays"] = "0",
            ["OpsConsole__SignIn__AttemptsPerMinute"] = "120",
        };
        // Each instance keeps its own audit checkpoints in its own folder (the key ring is in the database).
        A = await ConsoleProcess.StartAsync(new Dictionary<string, string>(environment) { ["OpsConsole__DataProtection__KeysPath"] = Path.Combine(_folder, "a") }, TimeSpan.FromSeconds(120));
        // B schedules the drift checks it reads at start: one path checks every minute.
        await ExecuteAsync($"UPDATE \"Paths\" SET \"Drift\" = jsonb_set(\"Drift\", '{{IntervalMinutes}}', '1') WHERE \"Slug\" = '{MinutelyDriftPath}'");
        B = await ConsoleProcess.StartAsync(new Dictionary<string, string>(environment) { ["OpsConsole__DataProtection__KeysPath"] = Path.Combine(_folder, "b") }, TimeSpan.FromSeconds(120));
        BothRunningSince = DateTime.UtcNow;
        (_playwright, Browser) = await AppFixture.LaunchChromiumAsync();
    }

    /// <summary>A fresh browser context at laptop size; cookies are per host, so a sign-in holds on both instances.</summary>
    public async Task<IPage> NewPageAsync(ConsoleProcess instance)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = instance.BaseUrl,
            ViewportSize = new() { Width = 1280, Height = 800 },
        });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    public async Task<int> ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync();
    }

    public async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }
        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        _playwright?.Dispose();
        if (B is not null)
        {
            await B.DisposeAsync();
        }
        if (A is not null)
        {
            await A.DisposeAsync();
        }
        if (_admin.Length > 0)
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(_admin);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
        Directory.Delete(_folder, recursive: true);
    }
}
