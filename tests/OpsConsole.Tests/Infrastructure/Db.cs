using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Web.Data;

namespace OpsConsole.Tests.Infrastructure;

public static class Db
{
    public static async Task<T> QueryAsync<T>(OpsConsoleFactory factory, Func<AppDbContext, Task<T>> query)
    {
        var dbFactory = factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync();
        return await query(db);
    }

    public static async Task ExecuteAsync(OpsConsoleFactory factory, string sql)
    {
        var dbFactory = factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync();
        await db.Database.ExecuteSqlRawAsync(sql);
    }
}
