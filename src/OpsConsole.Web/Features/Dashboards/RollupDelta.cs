using System.Buffers.Binary;
using Microsoft.Data.Sqlite;

namespace OpsConsole.Web.Features.Dashboards;

/// <summary>The key of a minute bucket.</summary>
public readonly record struct RollupKey(int PathId, string ModelVersion, DateTime BucketStart)
{
    public static RollupKey For(int pathId, string? modelVersion, DateTime at) =>
        new(pathId, modelVersion ?? "", new DateTime(at.Ticks - at.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc));
}

/// <summary>What one commit adds to one bucket; applied with <see cref="RollupStore.Apply"/> inside that commit.</summary>
public sealed class RollupDelta
{
    public long Events, Ok, Errors, Timeouts, Fallbacks, InputTokens, OutputTokens;
    public long RoutedLowConfidence, RoutedError, RoutedQaSample, Approved, Corrected, Rejected, QaApproved, QaDecided;
    public double CostUsd;
    public LatencySketch Latency { get; } = new();
    public ConfidenceHistogram Confidence { get; } = new();

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
/// Adds deltas to minute buckets on a given connection and transaction: one read and one write per
/// bucket and commit (a commit of hundreds of events touches a handful of buckets).
/// </summary>
public static class RollupStore
{
    public static void Apply(SqliteConnection connection, SqliteTransaction tx, IReadOnlyDictionary<RollupKey, RollupDelta> deltas)
    {
        foreach (var (key, d) in deltas)
        {
            using var read = connection.CreateCommand();
            read.Transaction = tx;
            read.CommandText = "SELECT Id, Latency, Confidence FROM PathRollups WHERE PathId = $p AND BucketMinutes = 1 AND BucketStart = $b AND ModelVersion = $m AND Segment = ''";
            read.Parameters.AddWithValue("$p", key.PathId);
            read.Parameters.AddWithValue("$b", key.BucketStart);
            read.Parameters.AddWithValue("$m", key.ModelVersion);
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
                ? "INSERT INTO PathRollups (PathId, ModelVersion, Segment, BucketStart, BucketMinutes, Events, Ok, Errors, Timeouts, Fallbacks, CostUsd, InputTokens, OutputTokens, Latency, Confidence, RoutedLowConfidence, RoutedError, RoutedQaSample, Approved, Corrected, Rejected, QaApproved, QaDecided) " +
                  "VALUES ($p, $m, '', $b, 1, $ev, $ok, $er, $to, $fb, $cost, $it, $ot, $lat, $conf, $rl, $re, $rq, $ap, $co, $rj, $qa, $qd)"
                : "UPDATE PathRollups SET Events = Events + $ev, Ok = Ok + $ok, Errors = Errors + $er, Timeouts = Timeouts + $to, Fallbacks = Fallbacks + $fb, " +
                  "CostUsd = CostUsd + $cost, InputTokens = InputTokens + $it, OutputTokens = OutputTokens + $ot, Latency = $lat, Confidence = $conf, " +
                  "RoutedLowConfidence = RoutedLowConfidence + $rl, RoutedError = RoutedError + $re, RoutedQaSample = RoutedQaSample + $rq, " +
                  "Approved = Approved + $ap, Corrected = Corrected + $co, Rejected = Rejected + $rj, QaApproved = QaApproved + $qa, QaDecided = QaDecided + $qd WHERE Id = $id";
            var p = write.Parameters;
            p.AddWithValue("$p", key.PathId);
            p.AddWithValue("$m", key.ModelVersion);
            p.AddWithValue("$b", key.BucketStart);
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
