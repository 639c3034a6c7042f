using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Npgsql;
using NpgsqlTypes;
using OpsConsole.Web.Infrastructure;

namespace OpsConsole.Web.Features.Metrics;

/// <summary>
/// What a path spent in one UTC hour, day or month, counted in the transaction that stores the
/// events (so the figure is exact for what was acknowledged, with no second pass). Counted at
/// receipt: a late batch counts toward the period it arrived in, and a backdated event cannot slip
/// past a period that is over. Shadow outputs count too: they never reach a user, but they cost.
/// Budgets read these rows; the hours give the forecast its recent rate.
/// </summary>
public sealed class PathSpend
{
    public int PathId { get; set; }
    /// <summary><see cref="SpendPeriods"/>.</summary>
    public string Period { get; set; } = "";
    public DateTime PeriodStart { get; set; }
    public double CostUsd { get; set; }
    /// <summary>Input plus output tokens (saturating at <see cref="long.MaxValue"/>).</summary>
    public long Tokens { get; set; }
    public long Events { get; set; }
}

public static class SpendPeriods
{
    public const string Hour = "hour";
    public const string Day = "day";
    public const string Month = "month";

    /// <summary>The starts of the hour, day and month holding <paramref name="at"/> (UTC).</summary>
    public static (DateTime Hour, DateTime Day, DateTime Month) StartsOf(DateTime at) => (
        new DateTime(at.Year, at.Month, at.Day, at.Hour, 0, 0, DateTimeKind.Utc),
        new DateTime(at.Year, at.Month, at.Day, 0, 0, 0, DateTimeKind.Utc),
        new DateTime(at.Year, at.Month, 1, 0, 0, 0, DateTimeKind.Utc));
}

internal sealed class PathSpendConfiguration : IEntityTypeConfiguration<PathSpend>
{
    public void Configure(EntityTypeBuilder<PathSpend> b)
    {
        b.ToTable("PathSpends");
        b.HasKey(x => new { x.PathId, x.Period, x.PeriodStart });
        b.Property(x => x.Period).HasMaxLength(8);
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(x => x.PathId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>The spend of one group commit, per path and period, added to <see cref="PathSpend"/> rows by the writer.</summary>
public sealed class SpendDeltas
{
    private readonly Dictionary<(int PathId, string Period, DateTime Start), (double Usd, long Tokens, long Events)> _sums = [];

    public int Count => _sums.Count;

    public IEnumerable<KeyValuePair<(int PathId, string Period, DateTime Start), (double Usd, long Tokens, long Events)>> Rows =>
        _sums.OrderBy(x => x.Key.PathId).ThenBy(x => x.Key.Period, StringComparer.Ordinal).ThenBy(x => x.Key.Start);

    /// <summary>Counts one stored event: received at <paramref name="receivedAt"/>, with its cost and tokens (null as 0).</summary>
    public void Add(int pathId, DateTime receivedAt, double? costUsd, long? inputTokens, long? outputTokens)
    {
        var cost = costUsd is { } c && double.IsFinite(c) && c > 0 ? c : 0;
        var tokens = SaturatingAdd(Math.Max(0, inputTokens ?? 0), Math.Max(0, outputTokens ?? 0));
        var (hour, day, month) = SpendPeriods.StartsOf(receivedAt);
        Add((pathId, SpendPeriods.Hour, hour), cost, tokens);
        Add((pathId, SpendPeriods.Day, day), cost, tokens);
        Add((pathId, SpendPeriods.Month, month), cost, tokens);
    }

    private void Add((int, string, DateTime) key, double cost, long tokens)
    {
        var s = _sums.GetValueOrDefault(key);
        _sums[key] = (s.Usd + cost, SaturatingAdd(s.Tokens, tokens), s.Events + 1);
    }

    internal static long SaturatingAdd(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;
}

/// <summary>The spend upserts of the ingest writer, one per provider.</summary>
public static class SpendStore
{
    // Named so RawSqlColumnsTests can hold their column lists against the EF model.
    internal const string SqliteUpsert =
        "INSERT INTO PathSpends (PathId, Period, PeriodStart, CostUsd, Tokens, Events) VALUES ($p, $k, $s, $c, $t, $n) " +
        "ON CONFLICT (PathId, Period, PeriodStart) DO UPDATE SET CostUsd = CostUsd + excluded.CostUsd, " +
        "Tokens = CASE WHEN Tokens > 9223372036854775807 - excluded.Tokens THEN 9223372036854775807 ELSE Tokens + excluded.Tokens END, " +
        "Events = Events + excluded.Events";

    internal const string PostgresUpsert =
        "INSERT INTO \"PathSpends\" (\"PathId\", \"Period\", \"PeriodStart\", \"CostUsd\", \"Tokens\", \"Events\") " +
        "SELECT * FROM unnest($1, $2, $3, $4, $5, $6) AS u(p, k, s, c, t, n) ORDER BY u.p, u.k COLLATE \"C\", u.s " +
        "ON CONFLICT (\"PathId\", \"Period\", \"PeriodStart\") DO UPDATE SET \"CostUsd\" = \"PathSpends\".\"CostUsd\" + excluded.\"CostUsd\", " +
        "\"Tokens\" = CASE WHEN \"PathSpends\".\"Tokens\" > 9223372036854775807 - excluded.\"Tokens\" THEN 9223372036854775807 ELSE \"PathSpends\".\"Tokens\" + excluded.\"Tokens\" END, " +
        "\"Events\" = \"PathSpends\".\"Events\" + excluded.\"Events\"";

    public static void Apply(SqliteConnection connection, SqliteTransaction tx, SpendDeltas deltas)
    {
        if (deltas.Count == 0)
        {
            return;
        }
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = SqliteUpsert;
        var p = cmd.Parameters;
        var path = p.Add("$p", SqliteType.Integer);
        var period = p.Add("$k", SqliteType.Text);
        // As the rollups' bucket starts: the provider writes a DateTime as EF does, so EF's queries compare like with like.
        var start = p.Add("$s", SqliteType.Text);
        var cost = p.Add("$c", SqliteType.Real);
        var tokens = p.Add("$t", SqliteType.Integer);
        var events = p.Add("$n", SqliteType.Integer);
        foreach (var (k, v) in deltas.Rows)
        {
            path.Value = k.PathId;
            period.Value = k.Period;
            start.Value = k.Start;
            cost.Value = v.Usd;
            tokens.Value = v.Tokens;
            events.Value = v.Events;
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>The upsert as one command for the writer's batch (rows in key order: one lock order in every writer); null when nothing was spent.</summary>
    public static NpgsqlBatchCommand? PostgresCommand(SpendDeltas deltas)
    {
        if (deltas.Count == 0)
        {
            return null;
        }
        var rows = deltas.Rows.ToArray();
        var command = new NpgsqlBatchCommand(PostgresUpsert);
        var p = command.Parameters;
        p.Add(PostgresValues.Array(Array.ConvertAll(rows, r => r.Key.PathId), NpgsqlDbType.Integer));
        p.Add(PostgresValues.Array(Array.ConvertAll(rows, r => r.Key.Period), NpgsqlDbType.Text));
        p.Add(PostgresValues.Array(Array.ConvertAll(rows, r => PostgresValues.Utc(r.Key.Start)), NpgsqlDbType.TimestampTz));
        p.Add(PostgresValues.Array(Array.ConvertAll(rows, r => r.Value.Usd), NpgsqlDbType.Double));
        p.Add(PostgresValues.Array(Array.ConvertAll(rows, r => r.Value.Tokens), NpgsqlDbType.Bigint));
        p.Add(PostgresValues.Array(Array.ConvertAll(rows, r => r.Value.Events), NpgsqlDbType.Bigint));
        return command;
    }
}
