using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace OpsConsole.Web.Data;

public static class DatabaseSetup
{
    public const string DefaultConnectionString = "Data Source=data/opsconsole.db";

    public static WebApplicationBuilder AddDatabase(this WebApplicationBuilder builder)
    {
        var provider = builder.Configuration["OpsConsole:Database:Provider"] ?? "Sqlite";
        if (!provider.Equals("Sqlite", StringComparison.OrdinalIgnoreCase))
        {
            throw new StartupRefusedException($"OpsConsole:Database:Provider '{provider}' is not supported by this build; use 'Sqlite'.");
        }
        var connectionString = ResolveSqlite(builder.Configuration.GetConnectionString("OpsConsole") ?? DefaultConnectionString);
        builder.Services.AddDbContextFactory<AppDbContext>(o => o.UseSqlite(connectionString));

        // Sign-in cookies must survive a restart: keep the key ring beside the database (the /data volume in a container).
        if (KeyRingPath(builder.Configuration) is { } keysPath)
        {
            builder.Services.AddDataProtection().SetApplicationName("OpsConsole").PersistKeysToFileSystem(new DirectoryInfo(keysPath));
        }
        return builder;
    }

    /// <summary>The data-protection key ring's folder: configured, or <c>keys</c> beside the SQLite file; null for an in-memory database.</summary>
    public static string? KeyRingPath(IConfiguration config)
    {
        var connectionString = ResolveSqlite(config.GetConnectionString("OpsConsole") ?? DefaultConnectionString);
        var dbFile = new SqliteConnectionStringBuilder(connectionString).DataSource;
        return config["OpsConsole:DataProtection:KeysPath"]
            ?? (Path.IsPathRooted(dbFile) ? Path.Combine(Path.GetDirectoryName(dbFile)!, "keys") : null);
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

    /// <summary>Applies migrations and switches the file to WAL so readers never block the writer.</summary>
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken ct)
    {
        var factory = services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        await using var db = await factory.CreateDbContextAsync(ct);
        await db.Database.MigrateAsync(ct);
        if (db.Database.IsSqlite())
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }
    }
}

/// <summary>Configuration that makes it unsafe or impossible to start; the message says how to fix it.</summary>
public sealed class StartupRefusedException(string message) : Exception(message);
