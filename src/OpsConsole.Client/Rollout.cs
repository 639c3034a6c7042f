using System.Buffers;
using System.Text;

namespace OpsConsole.Client;

/// <summary>
/// Sticky rollout buckets, compatible with Unleash's flexible rollout: a unit's bucket is
/// <c>murmur3_x86_32(utf8(groupId + ":" + unit), seed 0) % 100 + 1</c>, so it lands in the same
/// bucket on every machine and in every language that implements the same hash.
/// </summary>
public static class Rollout
{
    /// <summary>The unit's bucket, 1–100, for a group (the path slug).</summary>
    public static int Bucket(string groupId, string unit)
    {
        // groupId + ":" + unit as UTF-8, on the stack for ordinary lengths: no allocation per decision.
        var length = Encoding.UTF8.GetMaxByteCount(groupId.Length + 1 + unit.Length);
        byte[]? rented = null;
        var buffer = length <= 512 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var n = Encoding.UTF8.GetBytes(groupId, buffer);
            buffer[n++] = (byte)':';
            n += Encoding.UTF8.GetBytes(unit, buffer[n..]);
            return (int)(Murmur3.Hash32(buffer[..n], 0) % 100) + 1;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Whether a path is on for a unit (DESIGN.md "Decision"): off while the kill switch is on;
    /// otherwise on iff the percentage is above 0 and the bucket is within it; without a unit, on
    /// only at 100 %. Raising the percentage never turns a unit off; lowering never turns one on.
    /// </summary>
    public static Decision Decide(PathConfig path, string? unit)
    {
        if (path.KillSwitch)
        {
            return new Decision(path.Slug, false, DecisionReasons.KillSwitch, null, path.RolloutPercent, path.ConfigVersion, path.Fallback);
        }
        if (string.IsNullOrEmpty(unit))
        {
            var full = path.RolloutPercent >= 100;
            return new Decision(path.Slug, full, full ? DecisionReasons.FullRollout : DecisionReasons.NoUnit, null, path.RolloutPercent, path.ConfigVersion, path.Fallback);
        }
        var bucket = Bucket(path.Slug, unit);
        var on = path.RolloutPercent > 0 && bucket <= path.RolloutPercent;
        return new Decision(path.Slug, on, on ? DecisionReasons.InRollout : path.RolloutPercent <= 0 ? DecisionReasons.RolloutOff : DecisionReasons.OutsideRollout,
            bucket, path.RolloutPercent, path.ConfigVersion, path.Fallback);
    }

    /// <summary>
    /// The <see cref="Decision.Enabled"/> of <see cref="Decide"/> without building the decision: no
    /// allocation, and no hash at all when the answer does not depend on the bucket (kill switch,
    /// 0 % or 100 %). Kept in step with <see cref="Decide"/> by a test over many units and percentages.
    /// </summary>
    public static bool IsEnabled(PathConfig path, string? unit)
    {
        if (path.KillSwitch || path.RolloutPercent <= 0)
        {
            return false;
        }
        if (path.RolloutPercent >= 100)
        {
            return true;
        }
        return !string.IsNullOrEmpty(unit) && Bucket(path.Slug, unit) <= path.RolloutPercent;
    }
}

/// <summary>Why a decision came out as it did.</summary>
public static class DecisionReasons
{
    public const string KillSwitch = "kill_switch";
    public const string RolloutOff = "rollout_off";
    public const string InRollout = "in_rollout";
    public const string OutsideRollout = "outside_rollout";
    public const string NoUnit = "no_unit";
    public const string FullRollout = "full_rollout";
    /// <summary>Client only: no configuration has ever been loaded, so the caller's fallback runs.</summary>
    public const string NoConfig = "no_config";
    /// <summary>Client only: the snapshot does not know the path (or the key may not read it).</summary>
    public const string UnknownPath = "unknown_path";
}

/// <summary>What decides a path, as the console's config API sends it.</summary>
public sealed record PathConfig(string Slug, bool KillSwitch, int RolloutPercent, long ConfigVersion, string Fallback);

/// <summary>The answer of the decision API and of <c>OpsConsoleClient.Decide</c>.</summary>
public sealed record Decision(string Path, bool Enabled, string Reason, int? Bucket, int RolloutPercent, long ConfigVersion, string Fallback);

/// <summary>The config API's document: every path the key may see.</summary>
public sealed record ConfigDocument(string Version, IReadOnlyList<PathConfig> Paths);

/// <summary>MurmurHash3, x86 32-bit variant (Austin Appleby's public-domain algorithm).</summary>
public static class Murmur3
{
    public static uint Hash32(ReadOnlySpan<byte> data, uint seed)
    {
        const uint c1 = 0xcc9e2d51, c2 = 0x1b873593;
        var h = seed;
        var blocks = data.Length / 4;
        for (var i = 0; i < blocks; i++)
        {
            var k = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data[(i * 4)..]);
            k *= c1;
            k = uint.RotateLeft(k, 15);
            k *= c2;
            h ^= k;
            h = uint.RotateLeft(h, 13);
            h = h * 5 + 0xe6546b64;
        }
        var tail = data[(blocks * 4)..];
        uint t = 0;
        switch (tail.Length)
        {
            case 3:
                t ^= (uint)tail[2] << 16;
                goto case 2;
            case 2:
                t ^= (uint)tail[1] << 8;
                goto case 1;
            case 1:
                t ^= tail[0];
                t *= c1;
                t = uint.RotateLeft(t, 15);
                t *= c2;
                h ^= t;
                break;
        }
        h ^= (uint)data.Length;
        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        h ^= h >> 16;
        return h;
    }
}
