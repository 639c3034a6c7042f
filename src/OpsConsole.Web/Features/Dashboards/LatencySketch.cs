using System.Buffers.Binary;

namespace OpsConsole.Web.Features.Dashboards;

/// <summary>
/// A mergeable quantile sketch for latencies in the manner of DDSketch: values fall into
/// logarithmic buckets of ratio γ = (1 + α) / (1 − α), so any quantile read back is within a
/// relative error α of the true value at that rank. Sketches of minutes merge into hours and days
/// by adding bucket counts, which is what lets dashboards read months without touching raw events.
/// </summary>
public sealed class LatencySketch
{
    public const double RelativeAccuracy = 0.01;
    private static readonly double Gamma = (1 + RelativeAccuracy) / (1 - RelativeAccuracy);
    private static readonly double LogGamma = Math.Log(Gamma);
    /// <summary>Values at or below this count as zero (sub-microsecond latencies carry no information).</summary>
    private const double MinValue = 1e-3;

    private readonly SortedDictionary<int, long> _buckets = [];

    public long Count { get; private set; }
    public long ZeroCount { get; private set; }

    public void Add(double value, long count = 1)
    {
        if (!double.IsFinite(value) || value < 0 || count <= 0)
        {
            return;
        }
        Count += count;
        if (value <= MinValue)
        {
            ZeroCount += count;
            return;
        }
        var index = (int)Math.Ceiling(Math.Log(value) / LogGamma);
        _buckets[index] = _buckets.GetValueOrDefault(index) + count;
    }

    public void Merge(LatencySketch other)
    {
        Count += other.Count;
        ZeroCount += other.ZeroCount;
        foreach (var (index, count) in other._buckets)
        {
            _buckets[index] = _buckets.GetValueOrDefault(index) + count;
        }
    }

    /// <summary>The value at quantile <paramref name="q"/> (rank ⌊q·(n−1)⌋ of the sorted values), or null when empty.</summary>
    public double? Quantile(double q)
    {
        if (Count == 0 || q is < 0 or > 1)
        {
            return null;
        }
        var rank = (long)Math.Floor(q * (Count - 1));
        if (rank < ZeroCount)
        {
            return 0;
        }
        var seen = ZeroCount;
        foreach (var (index, count) in _buckets)
        {
            seen += count;
            if (seen > rank)
            {
                // The bucket (γ^(i−1), γ^i] is represented by the value whose relative error to both ends is α.
                return 2 * Math.Pow(Gamma, index) / (Gamma + 1);
            }
        }
        return 2 * Math.Pow(Gamma, _buckets.Keys.Last()) / (Gamma + 1);
    }

    /// <summary>A compact binary form for a rollup column: zero count, then (bucket index, count) pairs.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[8 + _buckets.Count * 12];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, ZeroCount);
        var offset = 8;
        foreach (var (index, count) in _buckets)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset), index);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(offset + 4), count);
            offset += 12;
        }
        return bytes;
    }

    /// <summary>Adds a stored sketch without materialising it (dashboards merge thousands of buckets).</summary>
    public void MergeBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 8 || (bytes.Length - 8) % 12 != 0)
        {
            throw new FormatException("Not a latency sketch.");
        }
        var zero = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        ZeroCount += zero;
        Count += zero;
        for (var offset = 8; offset < bytes.Length; offset += 12)
        {
            var index = BinaryPrimitives.ReadInt32LittleEndian(bytes[offset..]);
            var count = BinaryPrimitives.ReadInt64LittleEndian(bytes[(offset + 4)..]);
            _buckets[index] = _buckets.GetValueOrDefault(index) + count;
            Count += count;
        }
    }

    public static LatencySketch FromBytes(ReadOnlySpan<byte> bytes)
    {
        var sketch = new LatencySketch();
        if (bytes.Length < 8 || (bytes.Length - 8) % 12 != 0)
        {
            throw new FormatException("Not a latency sketch.");
        }
        sketch.ZeroCount = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        sketch.Count = sketch.ZeroCount;
        for (var offset = 8; offset < bytes.Length; offset += 12)
        {
            var count = BinaryPrimitives.ReadInt64LittleEndian(bytes[(offset + 4)..]);
            sketch._buckets[BinaryPrimitives.ReadInt32LittleEndian(bytes[offset..])] = count;
            sketch.Count += count;
        }
        return sketch;
    }
}

/// <summary>Counts of confidences in 20 equal bins over [0, 1] (1.0 falls in the last bin).</summary>
public sealed class ConfidenceHistogram
{
    public const int Bins = 20;

    public long[] Counts { get; } = new long[Bins];

    public void Add(double confidence)
    {
        if (double.IsFinite(confidence) && confidence is >= 0 and <= 1)
        {
            Counts[Math.Min(Bins - 1, (int)(confidence * Bins))]++;
        }
    }

    public void Merge(ConfidenceHistogram other)
    {
        for (var i = 0; i < Bins; i++)
        {
            Counts[i] += other.Counts[i];
        }
    }

    /// <summary>Adds a stored histogram (20 little-endian int64 counts).</summary>
    public void MergeBytes(ReadOnlySpan<byte> bytes)
    {
        for (var i = 0; i < Bins && (i + 1) * 8 <= bytes.Length; i++)
        {
            Counts[i] += BinaryPrimitives.ReadInt64LittleEndian(bytes[(i * 8)..]);
        }
    }
}
