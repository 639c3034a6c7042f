using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace OpsConsole.Tests.Infrastructure;

/// <summary>
/// The real app on a real database of its own (migrated at start, demo users seeded), so tests see
/// exactly what a browser would: cookies, antiforgery, policies, redirects. The database is a SQLite
/// file, or with <c>OPSCONSOLE_TEST_PROVIDER=Postgres</c> a fresh database on the PostgreSQL server of
/// <c>OPSCONSOLE_TEST_POSTGRES</c> (the test command starts one): the same tests on both providers.
/// </summary>
public class OpsConsoleFactory : WebApplicationFactory<Program>
{
    private readonly string _dir;
    private readonly Dictionary<string, string?> _settings = new();
    private bool _keepDatabase;

    public OpsConsoleFactory()
        : this(null)
    {
    }

    /// <param name="existingDatabase">A database file a previous instance left (a console restart); a new one otherwise.</param>
    protected OpsConsoleFactory(string? existingDatabase)
    {
        _dir = existingDatabase is null ? Path.Combine(Path.GetTempPath(), "opsconsole-tests", Guid.NewGuid().ToString("N")) : Path.GetDirectoryName(existingDatabase)!;
        Directory.CreateDirectory(_dir);
        DatabasePath = existingDatabase ?? Path.Combine(_dir, "opsconsole.db");
        if (TestDatabase.IsPostgres)
        {
            // Named after the folder, so a restarted instance (same folder) finds the same database.
            PostgresDatabase = "oc_" + Path.GetFileName(_dir);
            if (existingDatabase is null)
            {
                TestDatabase.CreatePostgres(PostgresDatabase);
            }
            _settings["OpsConsole:Database:Provider"] = "Postgres";
            _settings["ConnectionStrings:OpsConsole"] = TestDatabase.PostgresConnectionString(PostgresDatabase);
            _settings["OpsConsole:DataProtection:KeysPath"] = Path.Combine(_dir, "keys");
            _settings["OpsConsole:Audit:ChainKey"] = TestDatabase.ChainKeyFor(PostgresDatabase);
        }
        else
        {
            _settings["ConnectionStrings:OpsConsole"] = $"Data Source={DatabasePath}";
        }
        _settings["OpsConsole:Demo:Enabled"] = "true";
        // The simulator needs a real socket; tests that want traffic send it themselves.
        _settings["OpsConsole:Demo:Traffic:Enabled"] = "false";
        // Tests start their own candidates; the demo's canary on support-reply-draft is tested on its own (DemoCanaryTests).
        _settings["OpsConsole:Demo:Canary"] = "false";
        _settings["OpsConsole:Jobs:Enabled"] = "false";
    }

    public string DatabasePath { get; }

    /// <summary>The test users' authenticators and remembered browsers on this instance (SignIn uses them).</summary>
    public TestAuthenticators Authenticators { get; } = new();

    /// <summary>The database's name on PostgreSQL; null on SQLite.</summary>
    public string? PostgresDatabase { get; }

    public string ConnectionString => $"Data Source={DatabasePath};Pooling=False";

    /// <summary>Overrides a setting; call before the first client is created.</summary>
    public OpsConsoleFactory With(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // Package assets (MudBlazor's CSS/JS) are served from the NuGet cache as in `dotnet run`.
        builder.UseStaticWebAssets();
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureServices(services => services.AddTransient<IStartupFilter, TestClientAddress>());
        builder.ConfigureServices(ConfigureTestServices);
    }

    protected virtual void ConfigureTestServices(IServiceCollection services)
    {
    }

    /// <summary>Stops the app like a shutdown, leaving its database for the next instance.</summary>
    public ValueTask DisposeAsync(bool keepDatabase)
    {
        _keepDatabase = keepDatabase;
        return DisposeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_keepDatabase)
        {
            GC.SuppressFinalize(this);
            return;
        }
        if (PostgresDatabase is not null)
        {
            TestDatabase.DropPostgres(PostgresDatabase);
        }
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open only leaves a temp folder behind.
        }
        GC.SuppressFinalize(this);
    }
}
