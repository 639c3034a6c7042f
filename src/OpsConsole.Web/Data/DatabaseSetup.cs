using System.Data.Common;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace OpsConsole.Web.Data;

/// <summary>The database the console runs on: SQLite (embedded, the default) or PostgreSQL (several instances).</summary>
public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

public static class DatabaseSetup
{
    public const string DefaultConnectionString = "Data Source=data/opsconsole.db";

    /// <summary>How long a start waits for an unreachable PostgreSQL by default, in seconds.</summary>
    public const int DefaultStartupRetrySeconds = 60;

    public static DatabaseProvider Provider(IConfiguration config)
    {
        var value = config["OpsConsole:Database:Provider"];
        if (string.IsNullOrWhiteSpace(value) || value.Equals("Sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return DatabaseProvider.Sqlite;
        }
        if (value.Equals("Postgres", StringComparison.OrdinalIgnoreCase) || value.Equals("PostgreSQL", StringComparison.OrdinalIgnoreCase))
        {
            return DatabaseProvider.Postgres;
        }
        throw new StartupRefusedException($"OpsConsole:Database:Provider '{value}' is not supported; use 'Sqlite' (the default) or 'Postgres'.");
    }

    public static WebApplicationBuilder AddDatabase(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var services = builder.Services;
        if (Provider(config) == DatabaseProvider.Postgres)
        {
            var connectionString = PostgresConnectionString(config);
            services.AddDbContextFactory<PostgresDbContext>(o => o.UseNpgsql(connectionString));
            // Everything asks for AppDbContext: hand out the PostgreSQL context (its own migration set) under that type.
            services.AddSingleton<IDbContextFactory<AppDbContext>, PostgresContextFactory>();
            services.AddScoped<AppDbContext>(sp => sp.GetRequiredService<PostgresDbContext>());
            // Every instance must sign and read the same cookies: the key ring lives in the shared database.
            services.AddDataProtection().SetApplicationName("OpsConsole").PersistKeysToDbContext<AppDbContext>();
            return builder;
        }

        var sqlite = ResolveSqlite(config.GetConnectionString("OpsConsole") ?? DefaultConnectionString);
        services.AddDbContextFactory<AppDbContext>(o => o.UseSqlite(sqlite));

        // Sign-in cookies must survive a restart: keep the key ring beside the database (the /data volume in a container).
        if (KeyRingPath(config) is { } keysPath)
        {
            services.AddDataProtection().SetApplicationName("OpsConsole").PersistKeysToFileSystem(new DirectoryInfo(keysPath));
        }
        return builder;
    }

    public static string PostgresConnectionString(IConfiguration config)
    {
        var value = config.GetConnectionString("OpsConsole");
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new StartupRefusedException(
                "OpsConsole:Database:Provider is 'Postgres' but ConnectionStrings:OpsConsole is not set; give a Npgsql connection string, e.g. 'Host=db;Port=5432;Username=opsconsole;Password=…;Database=opsconsole'.");
        }
        try
        {
            var csb = new NpgsqlConnectionStringBuilder(value);
            if (string.IsNullOrEmpty(csb.Host))
            {
                throw new ArgumentException("it names no Host.");
            }
            return csb.ConnectionString;
        }
        catch (ArgumentException ex)
        {
            throw new StartupRefusedException($"ConnectionStrings:OpsConsole is not a valid Npgsql connection string: {ex.Message}");
        }
    }

    /// <summary>
    /// The data-protection key ring's folder: configured, or <c>keys</c> beside the SQLite file; null for
    /// an in-memory database. On PostgreSQL (ring in the database) the folder keeps this instance's
    /// audit checkpoints: configured, or <c>data/keys</c> under the working directory.
    /// </summary>
    public static string? KeyRingPath(IConfiguration config)
    {
        if (config["OpsConsole:DataProtection:KeysPath"] is { Length: > 0 } configured)
        {
            return configured;
        }
        if (Provider(config) == DatabaseProvider.Postgres)
        {
            // The ring itself is in the database; this folder keeps only this instance's audit checkpoints.
            return Path.GetFullPath(Path.Combine("data", "keys"));
        }
        var connectionString = ResolveSqlite(config.GetConnectionString("OpsConsole") ?? DefaultConnectionString);
        var dbFile = new SqliteConnectionStringBuilder(connectionString).DataSource;
        return Path.IsPathRooted(dbFile) ? Path.Combine(Path.GetDirectoryName(dbFile)!, "keys") : null;
    }

    /// <summary>
    /// A relative SQLite file is resolved against the working directory (where the console was
    /// started), not the content root: files under the content root are watched for configuration
    /// changes and every WAL write would wake the watcher.
    /// </summary>
    public static string ResolveSqlite(string connectionString)
    {
        var csb = new SqliteConnectionStringBuilder(connectionString);
        if (csb.DataSource is not ("" or ":memory:") && csb.Mode != SqliteOpenMode.Memory)
        {
            csb.DataSource = Path.GetFullPath(csb.DataSource);
            Directory.CreateDirectory(Path.GetDirectoryName(csb.DataSource)!);
        }
        csb.DefaultTimeout = csb.DefaultTimeout == 30 ? 10 : csb.DefaultTimeout;
        return csb.ToString();
    }

    /// <summary>
    /// Applies migrations (EF takes a database lock, so instances starting together migrate once) and
    /// switches a SQLite file to WAL so readers never block the writer. An unreachable PostgreSQL is
    /// retried with a growing pause for <c>OpsConsole:Database:StartupRetrySeconds</c>, each attempt logged,
    /// then the start is refused with the last error.
    /// </summary>
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken ct)
    {
        var config = services.GetRequiredService<IConfiguration>();
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger("OpsConsole.Database");
        var factory = services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        var limit = TimeSpan.FromSeconds(Math.Clamp(config.GetValue("OpsConsole:Database:StartupRetrySeconds", DefaultStartupRetrySeconds), 0, 3600));
        var started = DateTime.UtcNow;
        var pause = TimeSpan.FromMilliseconds(500);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var db = await factory.CreateDbContextAsync(ct);
                await db.Database.MigrateAsync(ct);
                if (db.Database.IsSqlite())
                {
                    await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
                }
                return;
            }
            catch (Exception ex) when (IsUnreachable(ex) && !ct.IsCancellationRequested)
            {
                var waited = DateTime.UtcNow - started;
                var retry = waited + pause <= limit;
                // Every failed attempt is logged, the last one too (a slow first attempt may already use up the wait).
                log.LogWarning("Database unreachable (attempt {Attempt}, {Waited:0} s of {Limit:0} s): {Message}. {Next}",
                    attempt, waited.TotalSeconds, limit.TotalSeconds, ex.Message, retry ? $"Retrying in {pause.TotalSeconds:0.0} s." : "Giving up.");
                if (!retry)
                {
                    throw new StartupRefusedException(
                        $"The database could not be reached for {waited.TotalSeconds:0} s ({attempt} attempts): {ex.Message} " +
                        "Check ConnectionStrings:OpsConsole and that PostgreSQL is running; OpsConsole:Database:StartupRetrySeconds sets how long to wait.");
                }
                await Task.Delay(pause, ct);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    /// <summary>A connection that could not be made (refused, timed out, server starting up), as opposed to a bad migration.</summary>
    public static bool IsUnreachable(Exception ex) => ex switch
    {
        NpgsqlException { IsTransient: true } => true,
        PostgresException pg => pg.SqlState is "57P03" or "53300", // cannot_connect_now (starting up), too_many_connections
        NpgsqlException { InnerException: System.Net.Sockets.SocketException or TimeoutException or IOException } => true,
        DbException or InvalidOperationException when ex.InnerException is { } inner => IsUnreachable(inner),
        _ => false,
    };

    /// <summary>The PostgreSQL contexts under the type everything asks for.</summary>
    private sealed class PostgresContextFactory(IDbContextFactory<PostgresDbContext> inner) : IDbContextFactory<AppDbContext>
    {
        public AppDbContext CreateDbContext() => inner.CreateDbContext();

        public async Task<AppDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default) =>
            await inner.CreateDbContextAsync(cancellationToken);
    }
}

/// <summary>Configuration that makes it unsafe or impossible to start; the message says how to fix it.</summary>
public sealed class StartupRefusedException(string message) : Exception(message);
