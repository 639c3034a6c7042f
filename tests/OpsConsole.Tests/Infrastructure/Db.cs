using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Web.Data;

namespace OpsConsole.Tests.Infrastructure;

public static partial class Db
{
    public static async Task<T> QueryAsync<T>(OpsConsoleFactory factory, Func<AppDbContext, Task<T>> query)
    {
        var dbFactory = factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync();
        return await query(db);
    }

    /// <summary>Runs a test's own SQL (tampering, back-dating) on either provider; see <see cref="Portable"/>.</summary>
    public static async Task ExecuteAsync(OpsConsoleFactory factory, string sql)
    {
        var dbFactory = factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync();
        await db.Database.ExecuteSqlRawAsync(Portable(sql));
    }

    /// <summary>
    /// Quotes every PascalCase name outside string literals (<c>UPDATE Paths SET KillSwitchOn = TRUE</c>
    /// becomes <c>UPDATE "Paths" SET "KillSwitchOn" = TRUE</c>): PostgreSQL folds unquoted names to lower
    /// case, SQLite accepts either. Keywords are written in capitals and functions in lower case, so
    /// neither is touched.
    /// </summary>
    public static string Portable(string sql)
    {
        var result = new StringBuilder(sql.Length + 32);
        var literal = false;
        var start = 0;
        for (var i = 0; i <= sql.Length; i++)
        {
            if (i < sql.Length && sql[i] != '\'')
            {
                continue;
            }
            var part = sql[start..i];
            result.Append(literal ? part : MixedCaseName().Replace(part, m => "\"" + m.Value + "\""));
            if (i < sql.Length)
            {
                result.Append('\'');
            }
            literal = !literal;
            start = i + 1;
        }
        return result.ToString();
    }

    [GeneratedRegex(@"(?<![""\w])(?=\w*[a-z])(?=\w*[A-Z])[A-Za-z_]\w*(?![""\w])")]
    private static partial Regex MixedCaseName();
}
