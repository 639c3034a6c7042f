using OpsConsole.Web.Features.Dashboards;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Metrics;

/// <summary>How often one failure pattern occurred on one day: errors by code and normalised message, or rejections by reason tag.</summary>
public sealed class FailurePatternDay
{
    public long Id { get; set; }
    public int PathId { get; set; }
    public DateTime Day { get; set; }
    /// <summary>"error" (events with outcome error or timeout) or "reject" (review rejections by tag).</summary>
    public string Kind { get; set; } = "";
    /// <summary>For errors: the error code (or the outcome when none); for rejections: the tag.</summary>
    public string Code { get; set; } = "";
    /// <summary>The normalised error message ("" for rejections).</summary>
    public string Message { get; set; } = "";
    public long Count { get; set; }
    public DateTime FirstSeen { get; set; }
    public DateTime LastSeen { get; set; }
}

internal sealed class FailurePatternDayConfiguration : IEntityTypeConfiguration<FailurePatternDay>
{
    public void Configure(EntityTypeBuilder<FailurePatternDay> b)
    {
        b.ToTable("FailurePatternDays");
        b.Property(f => f.Kind).HasMaxLength(10);
        b.Property(f => f.Code).HasMaxLength(200);
        b.Property(f => f.Message).HasMaxLength(500);
        b.HasIndex(f => new { f.PathId, f.Day, f.Kind, f.Code, f.Message }).IsUnique();
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(f => f.PathId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>Turns error messages into patterns: the variable parts (numbers, ids, UUIDs, e-mails, URLs) masked.</summary>
public static partial class FailureMessage
{
    public const int MaxLength = 500;

    [GeneratedRegex(@"https?://\S+", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Url();

    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}", RegexOptions.CultureInvariant)]
    private static partial Regex Email();

    [GeneratedRegex(@"\b[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\b", RegexOptions.CultureInvariant)]
    private static partial Regex Uuid();

    // Long hex or mixed letter-digit tokens (request ids, hashes) and plain numbers.
    [GeneratedRegex(@"\b(?=[A-Za-z0-9_\-]*\d)[A-Za-z0-9_\-]{12,}\b|\b0x[0-9a-fA-F]+\b|\d+(\.\d+)?", RegexOptions.CultureInvariant)]
    private static partial Regex IdOrNumber();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Space();

    public static string Normalize(string? message)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return "";
        }
        var s = Url().Replace(message, "<url>");
        s = Email().Replace(s, "<email>");
        s = Uuid().Replace(s, "<uuid>");
        s = IdOrNumber().Replace(s, m => char.IsDigit(m.Value[0]) && !m.Value.Any(char.IsLetter) ? "<n>" : "<id>");
        s = Space().Replace(s, " ").Trim();
        return s.Length > MaxLength ? s[..MaxLength] : s;
    }
}

/// <summary>Adds failure counts to day buckets inside the caller's transaction.</summary>
public static class FailurePatternStore
{
    public readonly record struct Key(int PathId, DateTime Day, string Kind, string Code, string Message);

    public sealed class Delta
    {
        public long Count;
        public DateTime First = DateTime.MaxValue, Last = DateTime.MinValue;

        public void Add(DateTime at, long count = 1)
        {
            Count += count;
            First = at < First ? at : First;
            Last = at > Last ? at : Last;
        }
    }

    public static Key ErrorKey(int pathId, DateTime at, string outcome, string? code, string? message) =>
        new(pathId, at.Date, "error", string.IsNullOrWhiteSpace(code) ? outcome : code.Length > 200 ? code[..200] : code, FailureMessage.Normalize(message));

    public static Key RejectKey(int pathId, DateTime at, string tag) => new(pathId, at.Date, "reject", tag, "");

    /// <summary>
    /// One statement per pattern and commit: insert, or add to the day's count and widen first/last seen.
    /// Named so RawSqlColumnsTests can hold its column list against the EF model.
    /// </summary>
    internal const string UpsertSql =
        "INSERT INTO FailurePatternDays (PathId, Day, Kind, Code, Message, Count, FirstSeen, LastSeen) VALUES ($p, $d, $k, $c, $m, $n, $f, $l) " +
        "ON CONFLICT (PathId, Day, Kind, Code, Message) DO UPDATE SET Count = Count + excluded.Count, " +
        "FirstSeen = min(FirstSeen, excluded.FirstSeen), LastSeen = max(LastSeen, excluded.LastSeen)";

    public static void Apply(SqliteConnection connection, SqliteTransaction tx, IReadOnlyDictionary<Key, Delta> deltas)
    {
        foreach (var (k, d) in deltas)
        {
            using var cmd = connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = UpsertSql;
            cmd.Parameters.AddWithValue("$p", k.PathId);
            cmd.Parameters.AddWithValue("$d", k.Day);
            cmd.Parameters.AddWithValue("$k", k.Kind);
            cmd.Parameters.AddWithValue("$c", k.Code);
            cmd.Parameters.AddWithValue("$m", k.Message);
            cmd.Parameters.AddWithValue("$n", d.Count);
            cmd.Parameters.AddWithValue("$f", d.First);
            cmd.Parameters.AddWithValue("$l", d.Last);
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>Applies deltas inside the EF transaction of <paramref name="db"/> (the review service's audited write).</summary>
    public static void Apply(AppDbContext db, IReadOnlyDictionary<Key, Delta> deltas)
    {
        if (db.Database.GetDbConnection() is Npgsql.NpgsqlConnection postgres)
        {
            PostgresFailurePatternStore.Apply(postgres, RollupCounting.CurrentPostgresTransaction(db), deltas);
            return;
        }
        var (connection, tx) = RollupCounting.CurrentWrite(db);
        Apply(connection, tx, deltas);
    }

    public static void Add(Dictionary<Key, Delta> deltas, Key key, DateTime at)
    {
        if (!deltas.TryGetValue(key, out var d))
        {
            deltas[key] = d = new Delta();
        }
        d.Add(at);
    }
}

public sealed record FailurePattern(string Kind, string Code, string Message, long Count, long PreviousCount, DateTime FirstSeen, DateTime LastSeen)
{
    /// <summary>Not seen at all in the previous period of the same length.</summary>
    public bool IsNew => PreviousCount == 0;
}

public sealed class FailurePatternService(IDbContextFactory<AppDbContext> dbFactory)
{
    /// <summary>Patterns in [from, to) by day buckets, most frequent first, with the previous period's count for the trend.</summary>
    public async Task<IReadOnlyList<FailurePattern>> ListAsync(int pathId, DateTime from, DateTime to, CancellationToken ct)
    {
        var span = to - from;
        var start = (from - span).Date;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.FailurePatternDays.AsNoTracking().Where(f => f.PathId == pathId && f.Day >= start && f.Day < to).ToListAsync(ct);
        var fromDay = from.Date;
        return rows.GroupBy(r => (r.Kind, r.Code, r.Message)).Select(g =>
        {
            var now = g.Where(r => r.Day >= fromDay).ToList();
            var before = g.Where(r => r.Day < fromDay).Sum(r => r.Count);
            return now.Count == 0 ? null : new FailurePattern(g.Key.Kind, g.Key.Code, g.Key.Message, now.Sum(r => r.Count), before,
                g.Min(r => r.FirstSeen), g.Max(r => r.LastSeen));
        }).OfType<FailurePattern>().OrderByDescending(p => p.Count).ThenBy(p => p.Code).ToList();
    }
}
