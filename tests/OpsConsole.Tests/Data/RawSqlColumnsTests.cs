using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Ingestion;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Metrics;

namespace OpsConsole.Tests.Data;

/// <summary>
/// The hand-written inserts and upserts (the ingestion hot path and the stores it calls) name their
/// columns themselves, so EF cannot keep them in step. Each statement's column list must equal the
/// columns the EF model maps on its entity's table, minus the ones listed below as left out on
/// purpose: a migration that adds a column fails here until the statement writes it or this test
/// says why it does not. The PostgreSQL statements (one row per array element of <c>unnest</c>) are
/// held against the same model, and their left-out columns against the PostgreSQL schema, which has
/// no column defaults: on a PostgreSQL test run the migrated schema itself, otherwise the model the
/// PostgreSQL migrations are generated from.
/// </summary>
public sealed partial class RawSqlColumnsTests
{
    private sealed record Statement(string Sql, Type Entity, IReadOnlyDictionary<string, string> LeftOut, bool Postgres = false);

    /// <summary>Store-generated keys: SQLite assigns the rowid, so no insert names it.</summary>
    private static readonly Dictionary<string, string> GeneratedKey = new() { ["Id"] = "store-generated key" };

    /// <summary>A new review item's columns that claims, decisions and jobs fill later (ReviewQueueService).</summary>
    private static readonly Dictionary<string, string> ReviewItemLaterColumns = new(GeneratedKey)
    {
        ["ClaimedById"] = "written by a claim",
        ["ClaimedByName"] = "written by a claim",
        ["ClaimedAt"] = "written by a claim",
        ["ClaimUntil"] = "written by a claim",
        ["CorrectedOutput"] = "written by a decision",
        ["Note"] = "written by a decision",
        ["DecidedById"] = "written by a decision",
        ["DecidedByName"] = "written by a decision",
        ["DecidedAt"] = "written by a decision",
        ["SlaNotifiedAt"] = "written by the SLA job",
        ["Agreement"] = "written by the last decision of a double review",
    };

    private static readonly Dictionary<string, Statement> Statements = new()
    {
        [nameof(EventSql) + "." + nameof(EventSql.Insert)] = new(EventSql.Insert, typeof(InferenceEvent), GeneratedKey),
        [nameof(IngestionWriter) + "." + nameof(IngestionWriter.InsertReviewItemSql)] = new(IngestionWriter.InsertReviewItemSql, typeof(ReviewItem), new Dictionary<string, string>(GeneratedKey)
        {
            // A new item is pending: claims and decisions fill these later (ReviewQueueService).
            ["ClaimedById"] = "written by a claim",
            ["ClaimedByName"] = "written by a claim",
            ["ClaimedAt"] = "written by a claim",
            ["ClaimUntil"] = "written by a claim",
            ["CorrectedOutput"] = "written by a decision",
            ["ReasonTags"] = "written by a decision; the column's default '[]' until then",
            ["Note"] = "written by a decision",
            ["DecidedById"] = "written by a decision",
            ["DecidedByName"] = "written by a decision",
            ["DecidedAt"] = "written by a decision",
            ["Round"] = "raised by a reopen; the column's default 0 until then",
            ["SlaNotifiedAt"] = "written by the SLA job",
            ["DecisionCount"] = "raised by each decision; the column's default 0 until then",
            ["Agreement"] = "written by the last decision of a double review",
        }),
        [nameof(IngestionWriter) + "." + nameof(IngestionWriter.InsertQuarantinedSql)] = new(IngestionWriter.InsertQuarantinedSql, typeof(QuarantinedEvent), new Dictionary<string, string>(GeneratedKey)
        {
            ["LastReplayAt"] = "written by a replay (the writer's UPDATE)",
        }),
        [nameof(RollupStore) + "." + nameof(RollupStore.InsertSql)] = new(RollupStore.InsertSql, typeof(PathRollup), GeneratedKey),
        [nameof(FailurePatternStore) + "." + nameof(FailurePatternStore.UpsertSql)] = new(FailurePatternStore.UpsertSql, typeof(FailurePatternDay), GeneratedKey),
        [nameof(SpendStore) + "." + nameof(SpendStore.SqliteUpsert)] = new(SpendStore.SqliteUpsert, typeof(PathSpend), new Dictionary<string, string>()),

        [nameof(IngestionWriter) + "." + nameof(IngestionWriter.PostgresInsertEventsSql)] = new(IngestionWriter.PostgresInsertEventsSql, typeof(InferenceEvent), GeneratedKey, Postgres: true),
        // ReasonTags, Round and DecisionCount have no default on PostgreSQL, so this statement writes them.
        [nameof(IngestionWriter) + "." + nameof(IngestionWriter.PostgresInsertReviewItemsSql)] = new(IngestionWriter.PostgresInsertReviewItemsSql, typeof(ReviewItem), ReviewItemLaterColumns, Postgres: true),
        [nameof(IngestionWriter) + "." + nameof(IngestionWriter.PostgresInsertQuarantinedSql)] = new(IngestionWriter.PostgresInsertQuarantinedSql, typeof(QuarantinedEvent), new Dictionary<string, string>(GeneratedKey)
        {
            ["LastReplayAt"] = "written by a replay (the writer's UPDATE)",
        }, Postgres: true),
        [nameof(PostgresRollupStore) + "." + nameof(PostgresRollupStore.InsertSql)] = new(PostgresRollupStore.InsertSql, typeof(PathRollup), GeneratedKey, Postgres: true),
        [nameof(PostgresFailurePatternStore) + "." + nameof(PostgresFailurePatternStore.UpsertSql)] = new(PostgresFailurePatternStore.UpsertSql, typeof(FailurePatternDay), GeneratedKey, Postgres: true),
        [nameof(SpendStore) + "." + nameof(SpendStore.PostgresUpsert)] = new(SpendStore.PostgresUpsert, typeof(PathSpend), new Dictionary<string, string>(), Postgres: true),
    };

    public static TheoryData<string> StatementNames => new(Statements.Keys);

    [GeneratedRegex(@"^INSERT INTO (?<table>\w+) \((?<columns>[^)]*)\) VALUES \((?<values>[^)]*)\)")]
    private static partial Regex InsertShape();

    /// <summary>PostgreSQL: quoted names, one row per element of the unnest arrays, the select list naming each value.</summary>
    [GeneratedRegex("""^INSERT INTO "(?<table>\w+)" \((?<columns>[^)]*)\) SELECT (?<values>.+?) FROM unnest\((?<arrays>[^)]*)\) AS u\((?<names>[^)]*)\)""")]
    private static partial Regex PostgresInsertShape();

    private static List<string> SplitList(string list) => list.Split(',').Select(c => c.Trim().Trim('"')).ToList();

    /// <summary>The writer's COPY writes the columns of its insert, which the theory holds against the model, and the id.</summary>
    [Fact]
    public void PostgresCopyOfEvents_WritesTheInsertsColumnsAndTheId()
    {
        var copy = Regex.Match(IngestionWriter.PostgresCopyEventsSql, """^COPY "InferenceEvents" \((?<columns>[^)]*)\) FROM STDIN \(FORMAT BINARY\)$""");
        Assert.True(copy.Success, IngestionWriter.PostgresCopyEventsSql);
        var insert = PostgresInsertShape().Match(IngestionWriter.PostgresInsertEventsSql);
        Assert.Equal(["Id", .. SplitList(insert.Groups["columns"].Value)], SplitList(copy.Groups["columns"].Value));
    }

    [Theory]
    [MemberData(nameof(StatementNames))]
    public async Task Insert_ColumnList_EqualsTheEntitysMappedColumns(string name)
    {
        var statement = Statements[name];
        var shape = statement.Postgres ? PostgresInsertShape().Match(statement.Sql) : InsertShape().Match(statement.Sql);
        Assert.True(shape.Success, statement.Postgres
            ? $"{name} is not an 'INSERT INTO \"T\" (columns) SELECT values FROM unnest(arrays) AS u(names)' statement: {statement.Sql}"
            : $"{name} is not an 'INSERT INTO T (columns) VALUES (values)' statement: {statement.Sql}");
        var written = SplitList(shape.Groups["columns"].Value);
        if (statement.Postgres)
        {
            var arrays = SplitList(shape.Groups["arrays"].Value);
            Assert.Equal(arrays.Count, SplitList(shape.Groups["names"].Value).Count);
            Assert.Equal(written.Count, shape.Groups["values"].Value == "*" ? arrays.Count : SplitList(shape.Groups["values"].Value).Count);
        }
        else
        {
            Assert.Equal(written.Count, SplitList(shape.Groups["values"].Value).Count);
        }
        Assert.True(written.Distinct().Count() == written.Count, $"{name} names a column twice: {string.Join(", ", written)}");

        await using var connection = new SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        // Only the statements are on trial here: a model change not yet in a migration (as when a
        // property is added to try this test) must still reach the column comparison.
        await using var db = new AppDbContext(new DbContextOptionsBuilder<AppDbContext>().UseSqlite(connection)
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning)).Options);
        var entity = db.Model.FindEntityType(statement.Entity)!;
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        Assert.Equal(table.Name, shape.Groups["table"].Value);
        var mapped = entity.GetProperties().Select(p => p.GetColumnName(table)!).ToList();

        var missing = mapped.Except(written).Except(statement.LeftOut.Keys).ToList();
        Assert.True(missing.Count == 0,
            $"{name} does not write {string.Join(", ", missing)} of {table.Name}, which the EF model maps on {statement.Entity.Name}. " +
            $"Add the column to the statement, or list it in {nameof(RawSqlColumnsTests)} as left out with the reason.");
        var unknown = written.Except(mapped).ToList();
        Assert.True(unknown.Count == 0, $"{name} writes {string.Join(", ", unknown)}, which the EF model does not map on {statement.Entity.Name} ({table.Name}).");
        var stale = statement.LeftOut.Keys.Where(c => !mapped.Contains(c) || written.Contains(c)).ToList();
        Assert.True(stale.Count == 0, $"{nameof(RawSqlColumnsTests)} lists {string.Join(", ", stale)} as left out of {name}, but the column is written or no longer mapped.");
        // A generated key is left to the database; a composite key (a counter row's identity) must be written.
        var key = entity.FindPrimaryKey()!.Properties;
        if (key.Count == 1)
        {
            Assert.Equal(ValueGenerated.OnAdd, key[0].ValueGenerated);
        }
        else
        {
            Assert.All(key, k => Assert.Contains(k.GetColumnName(table)!, written));
        }
        var idColumn = key.Count == 1 ? key[0].GetColumnName(table) : null;

        // A left-out NOT NULL column needs a default in the real schema, or the insert fails.
        if (statement.Postgres)
        {
            var undefaultedOnPostgres = (await PostgresColumnsAsync(table.Name))
                .Where(c => !written.Contains(c.Name) && !c.Nullable && !c.HasDefault && c.Name != idColumn).Select(c => c.Name).ToList();
            Assert.True(undefaultedOnPostgres.Count == 0,
                $"{name} leaves out {string.Join(", ", undefaultedOnPostgres)}, NOT NULL without a default in {table.Name} on PostgreSQL.");
            return;
        }
        await db.Database.MigrateAsync(TestContext.Current.CancellationToken);
        await using var info = connection.CreateCommand();
        info.CommandText = $"SELECT name, \"notnull\", dflt_value, pk FROM pragma_table_info('{table.Name}')";
        await using var reader = await info.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var undefaulted = new List<string>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            var column = reader.GetString(0);
            if (!written.Contains(column) && reader.GetInt64(1) == 1 && reader.IsDBNull(2) && reader.GetInt64(3) == 0)
            {
                undefaulted.Add(column);
            }
        }
        Assert.True(undefaulted.Count == 0, $"{name} leaves out {string.Join(", ", undefaulted)}, NOT NULL without a default in the migrated {table.Name}.");
    }

    /// <summary>
    /// The PostgreSQL table's columns: from a database migrated with the PostgreSQL set on a
    /// PostgreSQL test run, else from the model that set is generated from (no server needed).
    /// </summary>
    private static async Task<List<(string Name, bool Nullable, bool HasDefault)>> PostgresColumnsAsync(string table)
    {
        var ct = TestContext.Current.CancellationToken;
        if (!TestDatabase.IsPostgres)
        {
            await using var model = new PostgresDbContext(new DbContextOptionsBuilder<PostgresDbContext>().UseNpgsql("Host=127.0.0.1;Database=opsconsole_model_check").Options);
            var relational = model.GetService<IDesignTimeModel>().Model.GetRelationalModel().FindTable(table, null)!;
            return relational.Columns.Select(c => (c.Name, c.IsNullable, c.DefaultValue is not null || c.DefaultValueSql is not null)).ToList();
        }
        var database = "oc_columns_" + Guid.NewGuid().ToString("N");
        TestDatabase.CreatePostgres(database);
        try
        {
            await using (var db = new PostgresDbContext(new DbContextOptionsBuilder<PostgresDbContext>().UseNpgsql(TestDatabase.PostgresConnectionString(database)).Options))
            {
                await db.Database.MigrateAsync(ct);
            }
            await using var connection = new NpgsqlConnection(TestDatabase.PostgresConnectionString(database));
            await connection.OpenAsync(ct);
            await using var info = connection.CreateCommand();
            info.CommandText = "SELECT column_name, is_nullable = 'YES', column_default IS NOT NULL OR is_identity = 'YES' FROM information_schema.columns WHERE table_name = $1";
            info.Parameters.Add(new NpgsqlParameter { Value = table });
            await using var reader = await info.ExecuteReaderAsync(ct);
            var columns = new List<(string, bool, bool)>();
            while (await reader.ReadAsync(ct))
            {
                columns.Add((reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2)));
            }
            Assert.NotEmpty(columns);
            return columns;
        }
        finally
        {
            TestDatabase.DropPostgres(database);
        }
    }
}
