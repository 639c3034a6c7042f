using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace OpsConsole.Web.Data;

/// <summary>
/// For <c>dotnet ef migrations add X --context AppDbContext -o Data/Migrations/Sqlite</c>. Without it the
/// tools would take <see cref="PostgresDesignTimeFactory"/> (its context is an AppDbContext too) and write
/// a PostgreSQL migration into the SQLite set.
/// </summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<AppDbContext>
{
    public AppDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<AppDbContext>().UseSqlite("Data Source=:memory:").Options);
}
