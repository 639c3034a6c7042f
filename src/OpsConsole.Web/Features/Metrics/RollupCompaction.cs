using OpsConsole.Web.Features.Dashboards;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Metrics;

/// <summary>How long buckets stay fine-grained (<c>OpsConsole:Dashboards:*</c>).</summary>
public sealed class RollupOptions
{
    public const string Section = "OpsConsole:Dashboards";

    /// <summary>
    /// Minute buckets older than this are merged into hour buckets. Only the 1-hour view (and its
    /// previous hour) reads minutes; every longer view starts on the hour, so a month is ~720 rows
    /// per model version rather than tens of thousands.
    /// </summary>
    public int MinuteBucketsHours { get; set; } = 3;

    /// <summary>
    /// Hour buckets older than this are merged into day buckets. 70 days keeps a 30-day view and
    /// its previous period in hours, so that comparison starts at the hour like the view.
    /// </summary>
    public int HourBucketsDays { get; set; } = 70;
}

/// <summary>
/// Merges old minute buckets into hour buckets and old hour buckets into day buckets, so a month
/// of a busy path is a few thousand rows. Counts add and the latency and confidence sketches merge
/// exactly, so a compacted bucket answers every figure the minute buckets did. Each batch is one
/// write transaction: the sources are deleted in the commit that adds them to their target, so a
/// crash or an overlapping run cannot count anything twice. Late events for an already compacted
/// hour land in a minute bucket and are merged by the next run.
/// </summary>
public sealed class RollupCompaction(IDbContextFactory<AppDbContext> dbFactory, Microsoft.Extensions.Options.IOptions<RollupOptions> options, TimeProvider time, ILogger<RollupCompaction> log)
{
    public const string Id = "rollup-compaction";
    private const int BatchRows = 5_000;

    /// <summary>Compacts everything due at this time; returns how many source buckets were merged.</summary>
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var o = options.Value;
        var merged = await CompactAsync(1, 60, RollupKey.Floor(now.AddHours(-o.MinuteBucketsHours), 60), ct);
        merged += await CompactAsync(60, 1440, RollupKey.Floor(now.AddDays(-o.HourBucketsDays), 1440), ct);
        if (merged > 0)
        {
            log.LogInformation("Compacted {Count} rollup buckets.", merged);
        }
        return merged;
    }

    /// <summary>Merges <paramref name="from"/>-minute buckets starting before <paramref name="before"/> into <paramref name="to"/>-minute buckets.</summary>
    public async Task<int> CompactAsync(int from, int to, DateTime before, CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var rows = db.Database.GetDbConnection() is Npgsql.NpgsqlConnection
                // Other instances keep writing: the sources are locked as they are read, so none gains
                // a count between this read and the delete (SQLite's write transaction holds them all).
                ? await db.PathRollups.FromSql(
                        $"SELECT * FROM \"PathRollups\" WHERE \"BucketMinutes\" = {from} AND \"BucketStart\" < {Infrastructure.PostgresValues.Utc(before)} ORDER BY \"Id\" LIMIT {BatchRows} FOR UPDATE")
                    .AsNoTracking().ToListAsync(ct)
                : await db.PathRollups.AsNoTracking()
                    .Where(r => r.BucketMinutes == from && r.BucketStart < before)
                    .OrderBy(r => r.Id).Take(BatchRows).ToListAsync(ct);
            if (rows.Count == 0)
            {
                return total;
            }
            var deltas = new Dictionary<RollupKey, RollupDelta>();
            foreach (var r in rows)
            {
                RollupCounting.At(deltas, new RollupKey(r.PathId, r.ModelVersion, RollupKey.Floor(r.BucketStart, to), r.Segment, to)).Add(r);
            }
            var ids = rows.Select(r => r.Id).ToList();
            await db.PathRollups.Where(r => ids.Contains(r.Id)).ExecuteDeleteAsync(ct);
            RollupCounting.Apply(db, deltas);
            await tx.CommitAsync(ct);
            total += rows.Count;
        }
    }
}
