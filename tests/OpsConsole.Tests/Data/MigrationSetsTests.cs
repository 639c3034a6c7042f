using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using OpsConsole.Web.Data;

namespace OpsConsole.Tests.Data;

/// <summary>
/// One model, one migration set per provider. A change to the model that is missing from either set
/// fails here, so neither provider can fall behind the other.
/// </summary>
public sealed class MigrationSetsTests
{
    private static AppDbContext Sqlite(SqliteConnection connection) =>
        new(new DbContextOptionsBuilder<AppDbContext>().UseSqlite(connection).Options);

    // Comparing the model with the snapshot needs no server; nothing here opens a connection.
    private static PostgresDbContext Postgres() =>
        new(new DbContextOptionsBuilder<PostgresDbContext>().UseNpgsql("Host=127.0.0.1;Database=opsconsole_model_check").Options);

    [Fact]
    public void Sqlite_ModelAndMigrations_NoPendingChanges()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        using var db = Sqlite(connection);
        Assert.False(db.Database.HasPendingModelChanges(), "the SQLite migrations lack a model change: dotnet ef migrations add <Name> --context AppDbContext -o Data/Migrations/Sqlite");
    }

    [Fact]
    public void Postgres_ModelAndMigrations_NoPendingChanges()
    {
        using var db = Postgres();
        Assert.False(db.Database.HasPendingModelChanges(), "the PostgreSQL migrations lack a model change: dotnet ef migrations add <Name> --context PostgresDbContext -o Data/Migrations/Postgres");
    }

    [Fact]
    public void EachProvider_OwnSet_SameMigrationsNotShared()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        using var sqlite = Sqlite(connection);
        using var postgres = Postgres();
        var sqliteIds = sqlite.GetService<IMigrationsAssembly>().Migrations.Keys.ToList();
        var postgresIds = postgres.GetService<IMigrationsAssembly>().Migrations.Keys.ToList();

        Assert.NotEmpty(sqliteIds);
        Assert.NotEmpty(postgresIds);
        Assert.Empty(sqliteIds.Intersect(postgresIds));
        Assert.All(postgres.GetService<IMigrationsAssembly>().Migrations.Values, t => Assert.EndsWith(".Postgres", t.Namespace));
        Assert.All(sqlite.GetService<IMigrationsAssembly>().Migrations.Values, t => Assert.EndsWith(".Sqlite", t.Namespace));
    }

    [Fact]
    public void Postgres_Columns_FitTheProvider()
    {
        using var db = Postgres();
        var columns = db.Model.GetEntityTypes().SelectMany(e => e.GetProperties().Select(p => (Entity: e.DisplayName(), p.Name, Type: p.GetColumnType(), p.ClrType))).ToList();
        // Every timestamp carries its zone; byte arrays (latency sketches) are bytea.
        Assert.All(columns.Where(c => c.ClrType == typeof(DateTime) || c.ClrType == typeof(DateTime?)), c => Assert.Equal("timestamp with time zone", c.Type));
        Assert.All(columns.Where(c => c.ClrType == typeof(byte[])), c => Assert.Equal("bytea", c.Type));
        Assert.Contains(columns, c => c.Type == "jsonb");
    }
}
