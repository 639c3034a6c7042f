using OpsConsole.Web.Features.Dashboards;
using System.Buffers.Binary;

namespace OpsConsole.Web.Features.Metrics;

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
    /// <summary>
    /// Indices are kept within what a latency can mean (1 µs to about 300 years): ingestion bounds a
    /// latency to a day, but a row edited by hand could name any index, and one far index would
    /// make the dense array as large as the gap.
    /// </summary>
    private static readonly int MinIndex = (int)Math.Ceiling(Math.Log(MinValue) / LogGamma);
    private static readonly int MaxIndex = (int)Math.Ceiling(Math.Log(1e13) / LogGamma);

    // Bucket counts in a dense array: index i of the sketch lives at _counts[i - _offset]. Latencies
    // from 1 µs to days span about 1,500 indices, so dense beats a sorted map for merging thousands
    // of buckets on every dashboard load.
    private long[] _counts = [];
    private int _offset;

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
        Increment((int)Math.Ceiling(Math.Log(value) / LogGamma), count);
    }

    public void Merge(LatencySketch other)
    {
        Count += other.Count;
        ZeroCount += other.ZeroCount;
        for (var i = 0; i < other._counts.Length; i++)
        {
            if (other._counts[i] != 0)
            {
                Increment(i + other._offset, other._counts[i]);
            }
        }
    }

    /// <summary>The value at rank ⌊q·(n−1)⌋, within the relative accuracy; null when empty.</summary>
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
        var last = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            if (_counts[i] == 0)
            {
                continue;
            }
            last = i + _offset;
            seen += _counts[i];
            if (seen > rank)
            {
                return Representative(last);
            }
        }
        return Representative(last);
    }

    // The bucket (γ^(i−1), γ^i] is represented by the value whose relative error to both ends is α.
    private static double Representative(int index) => 2 * Math.Pow(Gamma, index) / (Gamma + 1);

    /// <summary>8 bytes zero count, then (int32 index, int64 count) per non-empty bucket in index order.</summary>
    public byte[] ToBytes()
    {
        var buckets = 0;
        foreach (var c in _counts)
        {
            buckets += c != 0 ? 1 : 0;
        }
        var bytes = new byte[8 + buckets * 12];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, ZeroCount);
        var offset = 8;
        for (var i = 0; i < _counts.Length; i++)
        {
            if (_counts[i] == 0)
            {
                continue;
            }
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset), i + _offset);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(offset + 4), _counts[i]);
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
            var count = BinaryPrimitives.ReadInt64LittleEndian(bytes[(offset + 4)..]);
            Increment(BinaryPrimitives.ReadInt32LittleEndian(bytes[offset..]), count);
            Count += count;
        }
    }

    /// <summary>
    /// Counts of two sketches over the same buckets (zero bucket first, then every index either
    /// uses, in order): the binned samples a two-sample test compares.
    /// </summary>
    public static (long[] A, long[] B) Aligned(LatencySketch a, LatencySketch b)
    {
        static (int Low, int High) Range(LatencySketch s)
        {
            int low = int.MaxValue, high = int.MinValue;
            for (var i = 0; i < s._counts.Length; i++)
            {
                if (s._counts[i] != 0)
                {
                    low = Math.Min(low, i + s._offset);
                    high = Math.Max(high, i + s._offset);
                }
            }
            return (low, high);
        }
        var (la, ha) = Range(a);
        var (lb, hb) = Range(b);
        var low = Math.Min(la, lb);
        var high = Math.Max(ha, hb);
        var width = high >= low ? high - low + 1 : 0;
        long[] Dense(LatencySketch s)
        {
            var dense = new long[width + 1];
            dense[0] = s.ZeroCount;
            for (var i = 0; i < s._counts.Length; i++)
            {
                if (s._counts[i] != 0)
                {
                    dense[i + s._offset - low + 1] = s._counts[i];
                }
            }
            return dense;
        }
        return (Dense(a), Dense(b));
    }

    public static LatencySketch FromBytes(ReadOnlySpan<byte> bytes)
    {
        var sketch = new LatencySketch();
        sketch.MergeBytes(bytes);
        return sketch;
    }

    private void Increment(int index, long count)
    {
        index = Math.Clamp(index, MinIndex, MaxIndex);
        if (_counts.Length == 0)
        {
            _counts = new long[256];
            _offset = index - 128;
        }
        else if (index < _offset || index >= _offset + _counts.Length)
        {
            // Grow to cover the new index with room on that side; existing counts keep their indices.
            var low = Math.Min(_offset, index - 64);
            var high = Math.Max(_offset + _counts.Length, index + 65);
            var grown = new long[Math.Max(high - low, _counts.Length * 2)];
            Array.Copy(_counts, 0, grown, _offset - low, _counts.Length);
            _counts = grown;
            _offset = low;
        }
        _counts[index - _offset] += count;
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
