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
    /// <summary>The seed of the variant split: Unleash's variant seed, so it is independent of the rollout bucket (seed 0).</summary>
    public const uint VariantSeed = 86028157;

    /// <summary>The unit's bucket, 1–100, for a group (the path slug).</summary>
    public static int Bucket(string groupId, string unit) => (int)(Hash(groupId, unit, 0) % 100) + 1;

    /// <summary>
    /// The unit's variant bucket, 1–1000 (DESIGN.md "Variants"): <c>murmur3_x86_32(utf8(groupId + ":" + unit),
    /// seed 86028157) % 1000 + 1</c>. The unit gets the candidate iff this is at most the candidate share (per mille).
    /// </summary>
    public static int VariantBucket(string groupId, string unit) => (int)(Hash(groupId, unit, VariantSeed) % 1000) + 1;

    /// <summary>The salt of the shadow sample, put before the group id so the sample is independent of the rollout and variant buckets.</summary>
    public static ReadOnlySpan<byte> ShadowSalt => "shadow:"u8;

    /// <summary>
    /// The unit's shadow bucket, 1–1000: <c>murmur3_x86_32(utf8("shadow:" + groupId + ":" + unit), seed 0) % 1000 + 1</c>.
    /// A unit on stable is also run on the candidate in shadow iff this is at most the shadow share (per mille).
    /// </summary>
    public static int ShadowBucket(string groupId, string unit) => (int)(Hash(groupId, unit, 0, ShadowSalt) % 1000) + 1;

    private static uint Hash(string groupId, string unit, uint seed, ReadOnlySpan<byte> salt = default)
    {
        // salt + groupId + ":" + unit as UTF-8, on the stack for ordinary lengths: no allocation per decision.
        var length = salt.Length + Encoding.UTF8.GetMaxByteCount(groupId.Length + 1 + unit.Length);
        byte[]? rented = null;
        var buffer = length <= 512 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            salt.CopyTo(buffer);
            var n = salt.Length;
            n += Encoding.UTF8.GetBytes(groupId, buffer[n..]);
            buffer[n++] = (byte)':';
            n += Encoding.UTF8.GetBytes(unit, buffer[n..]);
            return Murmur3.Hash32(buffer[..n], seed);
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
        // A path contained because its budget ran out says so in place of the switch or the rollout
        // reason: the caller learns that calling again before the budget resets only costs money.
        var budget = path.ContainedBy == Containments.Budget;
        if (path.KillSwitch)
        {
            return Off(path, budget ? DecisionReasons.BudgetExhausted : DecisionReasons.KillSwitch, null);
        }
        if (string.IsNullOrEmpty(unit))
        {
            // No unit: on only at 100 %, and then on the stable release (a split needs a unit to stick to).
            return path.RolloutPercent >= 100 ? On(path, DecisionReasons.FullRollout, null, candidate: false)
                : Off(path, budget ? DecisionReasons.BudgetExhausted : DecisionReasons.NoUnit, null);
        }
        var bucket = Bucket(path.Slug, unit);
        if (path.RolloutPercent <= 0 || bucket > path.RolloutPercent)
        {
            return Off(path, budget ? DecisionReasons.BudgetExhausted : path.RolloutPercent <= 0 ? DecisionReasons.RolloutOff : DecisionReasons.OutsideRollout, bucket);
        }
        var candidate = IsCandidate(path, unit);
        var decision = On(path, DecisionReasons.InRollout, bucket, candidate);
        return !candidate && IsShadowed(path, unit)
            ? decision with { Shadow = true, ShadowRelease = path.Candidate!.Id, ShadowConfiguration = path.Candidate }
            : decision;
    }

    /// <summary>
    /// Whether a unit on the stable release is also run on the candidate in shadow (its output is sent
    /// as an event with <c>shadowOf</c> and never reaches the user): the candidate is in shadow
    /// (<see cref="PathConfig.ShadowShare"/> above 0) and the unit's salted shadow bucket is within the share.
    /// </summary>
    public static bool IsShadowed(PathConfig path, string unit) =>
        path.Candidate is not null && path.ShadowShare > 0 && ShadowBucket(path.Slug, unit) <= path.ShadowShare;

    /// <summary>
    /// Whether a unit the path is on for gets the candidate release (DESIGN.md "Variants"): there is
    /// a candidate, and the unit's variant bucket is within its share. Raising the share never moves
    /// a unit from candidate to stable.
    /// </summary>
    public static bool IsCandidate(PathConfig path, string unit) =>
        path.Candidate is not null && path.CandidateShare > 0 && VariantBucket(path.Slug, unit) <= path.CandidateShare;

    private static Decision Off(PathConfig path, string reason, int? bucket) =>
        new(path.Slug, false, reason, bucket, path.RolloutPercent, path.ConfigVersion, path.Fallback);

    private static Decision On(PathConfig path, string reason, int? bucket, bool candidate)
    {
        var release = candidate ? path.Candidate : path.Stable;
        return new Decision(path.Slug, true, reason, bucket, path.RolloutPercent, path.ConfigVersion, path.Fallback)
        {
            Variant = candidate ? Variants.Candidate : Variants.Stable,
            Release = release?.Id,
            Configuration = release,
        };
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
    /// <summary>The path's cost or token budget for the period is spent and its budget action turned the path (or this unit) off.</summary>
    public const string BudgetExhausted = "budget_exhausted";
    /// <summary>Client only: no configuration has ever been loaded, so the caller's fallback runs.</summary>
    public const string NoConfig = "no_config";
    /// <summary>Client only: the snapshot does not know the path (or the key may not read it).</summary>
    public const string UnknownPath = "unknown_path";
}

/// <summary>Which release a unit runs: none while the path is off for it, else the stable or the candidate.</summary>
public static class Variants
{
    public const string Off = "off";
    public const string Stable = "stable";
    public const string Candidate = "candidate";
}

/// <summary>What decides a path, as the console's config API sends it.</summary>
public sealed record PathConfig(string Slug, bool KillSwitch, int RolloutPercent, long ConfigVersion, string Fallback)
{
    /// <summary>The release units run when they are not in the candidate's share; null before the path's first release.</summary>
    public ReleaseConfig? Stable { get; init; }

    /// <summary>The release under trial, if any.</summary>
    public ReleaseConfig? Candidate { get; init; }

    /// <summary>Per mille (0–1000) of the units the path is on for that get <see cref="Candidate"/>.</summary>
    public int CandidateShare { get; init; }

    /// <summary>While the candidate is in shadow: per mille (0–1000) of the stable units also run on the candidate, its output kept from users.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public int ShadowShare { get; init; }

    /// <summary>What contained the path automatically, while it stays so (<see cref="Containments"/>); null otherwise.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? ContainedBy { get; init; }
}

/// <summary>What turned a path off or down by itself, as <see cref="PathConfig.ContainedBy"/> names it.</summary>
public static class Containments
{
    /// <summary>The path's budget action at 100 % of a day's or month's budget.</summary>
    public const string Budget = "budget";
}

/// <summary>
/// What a release runs: the model, the prompt, its parameters and context configuration, as
/// posted (JSON objects, canonical form). <see cref="Id"/> is the SHA-256 of the release's canonical JSON.
/// </summary>
public sealed record ReleaseConfig(string Id, string Model, string PromptVersion, string? PromptTemplateHash,
    System.Text.Json.JsonElement? Parameters, System.Text.Json.JsonElement? Context);

/// <summary>
/// The answer of the decision API and of <c>OpsConsoleClient.Decide</c>. A value: deciding
/// allocates nothing (the release is the snapshot's own object).
/// </summary>
public readonly record struct Decision(string Path, bool Enabled, string Reason, int? Bucket, int RolloutPercent, long ConfigVersion, string Fallback)
{
    /// <summary><see cref="Variants.Off"/> when the path is off for the unit, else stable or candidate.</summary>
    public string Variant { get; init; } = Variants.Off;

    /// <summary>The id of the release to run; null when off (or before the path's first release).</summary>
    public string? Release { get; init; }

    /// <summary>The configuration of <see cref="Release"/>.</summary>
    public ReleaseConfig? Configuration { get; init; }

    /// <summary>
    /// True when the unit's input should also be run on the candidate in shadow (<see cref="ShadowRelease"/>):
    /// send that output as an event with <c>shadowOf</c> = the primary event's id, and never show it to the user.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool Shadow { get; init; }

    /// <summary>The candidate release to run in shadow; null unless <see cref="Shadow"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? ShadowRelease { get; init; }

    /// <summary>The configuration of <see cref="ShadowRelease"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public ReleaseConfig? ShadowConfiguration { get; init; }
}

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
