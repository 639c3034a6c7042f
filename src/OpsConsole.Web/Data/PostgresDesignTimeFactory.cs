using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace OpsConsole.Web.Data;

/// <summary>
/// For <c>dotnet ef migrations add X --context PostgresDbContext -o Data/Migrations/Postgres</c>:
/// generating a migration compares the model with the snapshot and needs no server.
/// </summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresDbContext>
{
    public PostgresDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresDbContext>().UseNpgsql("Host=127.0.0.1;Database=opsconsole_design").Options);
}
