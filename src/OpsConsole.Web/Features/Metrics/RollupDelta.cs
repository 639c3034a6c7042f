using OpsConsole.Web.Features.Dashboards;
using System.Buffers.Binary;
using Microsoft.Data.Sqlite;

namespace OpsConsole.Web.Features.Metrics;

/// <summary>
/// The key of a bucket: a minute bucket as written, or an hour or day bucket after compaction.
/// <paramref name="Segment"/> is "" for the whole path, else the value of the path's breakdown attribute.
/// </summary>
public readonly record struct RollupKey(int PathId, string ModelVersion, DateTime BucketStart, string Segment = "", int Minutes = 1)
{
    /// <summary>Longest stored segment value; longer values are cut (the attribute allows 256).</summary>
    public const int MaxSegmentLength = 200;

    public static RollupKey For(int pathId, string? modelVersion, DateTime at) =>
        new(pathId, modelVersion ?? "", Floor(at, 1));

    /// <summary>The same bucket for one value of the breakdown attribute.</summary>
    public RollupKey ForSegment(string value) =>
        this with { Segment = value.Length > MaxSegmentLength ? value[..MaxSegmentLength] : value };

    public static DateTime Floor(DateTime at, int minutes)
    {
        var ticks = TimeSpan.TicksPerMinute * minutes;
        return new DateTime(at.Ticks - at.Ticks % ticks, DateTimeKind.Utc);
    }
}

/// <summary>What one commit adds to one bucket; applied with <see cref="RollupStore.Apply"/> inside that commit.</summary>
public sealed class RollupDelta
{
    public long Events, Ok, Errors, Timeouts, Fallbacks, InputTokens, OutputTokens;
    public long RoutedLowConfidence, RoutedError, RoutedQaSample, Approved, Corrected, Rejected, QaApproved, QaDecided;
    public double CostUsd;
    public LatencySketch Latency { get; } = new();
    public ConfidenceHistogram Confidence { get; } = new();

    /// <summary>A stored bucket as a delta (compaction adds minute buckets into hour and day buckets).</summary>
    public static RollupDelta From(PathRollup r)
    {
        var d = new RollupDelta();
        d.Add(r);
        return d;
    }

    /// <summary>Adds a stored bucket's counts and distributions.</summary>
    public void Add(PathRollup r)
    {
        Events += r.Events; Ok += r.Ok; Errors += r.Errors; Timeouts += r.Timeouts; Fallbacks += r.Fallbacks;
        InputTokens = SaturatingAdd(InputTokens, r.InputTokens); OutputTokens = SaturatingAdd(OutputTokens, r.OutputTokens); CostUsd += r.CostUsd;
        RoutedLowConfidence += r.RoutedLowConfidence; RoutedError += r.RoutedError; RoutedQaSample += r.RoutedQaSample;
        Approved += r.Approved; Corrected += r.Corrected; Rejected += r.Rejected; QaApproved += r.QaApproved; QaDecided += r.QaDecided;
        Latency.Merge(LatencySketch.FromBytes(r.Latency));
        Confidence.Merge(Histogram(r.Confidence));
    }

    /// <summary>
    /// Token sums stop at <see cref="long.MaxValue"/> instead of wrapping to a negative figure (each
    /// event is bounded at ingestion; a sum over years of a busy path, or a hand-edited row, is not).
    /// </summary>
    public static long SaturatingAdd(long a, long b)
    {
        var sum = unchecked(a + b);
        // Overflow happened iff both operands share a sign that the sum does not.
        return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? long.MinValue : long.MaxValue) : sum;
    }

    public static byte[] HistogramBytes(ConfidenceHistogram h)
    {
        var bytes = new byte[ConfidenceHistogram.Bins * 8];
        for (var i = 0; i < ConfidenceHistogram.Bins; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), h.Counts[i]);
        }
        return bytes;
    }

    public static ConfidenceHistogram Histogram(ReadOnlySpan<byte> bytes)
    {
        var h = new ConfidenceHistogram();
        for (var i = 0; i < ConfidenceHistogram.Bins && (i + 1) * 8 <= bytes.Length; i++)
        {
            h.Counts[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes[(i * 8)..]);
        }
        return h;
    }
}

/// <summary>
/// Adds deltas to buckets on a given connection and transaction: one read and one write per
/// bucket and commit (a commit of hundreds of events touches a handful of buckets).
/// </summary>
public static class RollupStore
{
    // Named so RawSqlColumnsTests can hold its column list against the EF model.
    internal const string InsertSql =
        "INSERT INTO PathRollups (PathId, ModelVersion, Segment, BucketStart, BucketMinutes, Events, Ok, Errors, Timeouts, Fallbacks, CostUsd, InputTokens, OutputTokens, Latency, Confidence, RoutedLowConfidence, RoutedError, RoutedQaSample, Approved, Corrected, Rejected, QaApproved, QaDecided) " +
        "VALUES ($p, $m, $s, $b, $n, $ev, $ok, $er, $to, $fb, $cost, $it, $ot, $lat, $conf, $rl, $re, $rq, $ap, $co, $rj, $qa, $qd)";

    public static void Apply(SqliteConnection connection, SqliteTransaction tx, IReadOnlyDictionary<RollupKey, RollupDelta> deltas)
    {
        foreach (var (key, d) in deltas)
        {
            using var read = connection.CreateCommand();
            read.Transaction = tx;
            read.CommandText = "SELECT Id, Latency, Confidence FROM PathRollups WHERE PathId = $p AND BucketMinutes = $n AND BucketStart = $b AND ModelVersion = $m AND Segment = $s";
            read.Parameters.AddWithValue("$p", key.PathId);
            read.Parameters.AddWithValue("$b", key.BucketStart);
            read.Parameters.AddWithValue("$m", key.ModelVersion);
            read.Parameters.AddWithValue("$s", key.Segment);
            read.Parameters.AddWithValue("$n", key.Minutes);
            long? id = null;
            var latency = d.Latency;
            var confidence = d.Confidence;
            using (var reader = read.ExecuteReader())
            {
                if (reader.Read())
                {
                    id = reader.GetInt64(0);
                    latency = LatencySketch.FromBytes((byte[])reader[1]);
                    latency.Merge(d.Latency);
                    confidence = RollupDelta.Histogram((byte[])reader[2]);
                    confidence.Merge(d.Confidence);
                }
            }
            using var write = connection.CreateCommand();
            write.Transaction = tx;
            write.CommandText = id is null
                ? InsertSql
                : "UPDATE PathRollups SET Events = Events + $ev, Ok = Ok + $ok, Errors = Errors + $er, Timeouts = Timeouts + $to, Fallbacks = Fallbacks + $fb, " +
                  "CostUsd = CostUsd + $cost, Latency = $lat, Confidence = $conf, " +
                  // SQLite turns an integer overflow into a REAL: the token sums saturate instead, as in RollupDelta.
                  "InputTokens = CASE WHEN InputTokens > 9223372036854775807 - $it THEN 9223372036854775807 ELSE InputTokens + $it END, " +
                  "OutputTokens = CASE WHEN OutputTokens > 9223372036854775807 - $ot THEN 9223372036854775807 ELSE OutputTokens + $ot END, " +
                  "RoutedLowConfidence = RoutedLowConfidence + $rl, RoutedError = RoutedError + $re, RoutedQaSample = RoutedQaSample + $rq, " +
                  "Approved = Approved + $ap, Corrected = Corrected + $co, Rejected = Rejected + $rj, QaApproved = QaApproved + $qa, QaDecided = QaDecided + $qd WHERE Id = $id";
            var p = write.Parameters;
            p.AddWithValue("$p", key.PathId);
            p.AddWithValue("$m", key.ModelVersion);
            p.AddWithValue("$b", key.BucketStart);
            p.AddWithValue("$s", key.Segment);
            p.AddWithValue("$n", key.Minutes);
            p.AddWithValue("$id", id ?? 0);
            p.AddWithValue("$ev", d.Events);
            p.AddWithValue("$ok", d.Ok);
            p.AddWithValue("$er", d.Errors);
            p.AddWithValue("$to", d.Timeouts);
            p.AddWithValue("$fb", d.Fallbacks);
            p.AddWithValue("$cost", d.CostUsd);
            p.AddWithValue("$it", d.InputTokens);
            p.AddWithValue("$ot", d.OutputTokens);
            p.AddWithValue("$lat", latency.ToBytes());
            p.AddWithValue("$conf", RollupDelta.HistogramBytes(confidence));
            p.AddWithValue("$rl", d.RoutedLowConfidence);
            p.AddWithValue("$re", d.RoutedError);
            p.AddWithValue("$rq", d.RoutedQaSample);
            p.AddWithValue("$ap", d.Approved);
            p.AddWithValue("$co", d.Corrected);
            p.AddWithValue("$rj", d.Rejected);
            p.AddWithValue("$qa", d.QaApproved);
            p.AddWithValue("$qd", d.QaDecided);
            write.ExecuteNonQuery();
        }
    }
}
