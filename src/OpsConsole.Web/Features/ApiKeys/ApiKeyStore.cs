using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Realtime;

namespace OpsConsole.Web.Features.ApiKeys;

/// <summary>What a request authenticated by a key may do.</summary>
public sealed record ApiCaller(int KeyId, string Name, IReadOnlySet<string> Scopes, IReadOnlySet<string> PathSlugs, bool AllPaths,
    int? DecisionRequestsPerMinute = null)
{
    public bool Has(string scope) => Scopes.Contains(scope);
    public bool MayUse(string pathSlug) => AllPaths || PathSlugs.Contains(pathSlug);
}

/// <summary>Why a known key no longer works by time: it expired, or its rotation's grace period ended.</summary>
public readonly record struct KeyEnded(DateTime At, bool ByRotation)
{
    /// <summary>The 401's detail: names the moment, so the service's operator knows what happened and when.</summary>
    public string Detail => ByRotation
        ? $"API key was rotated and its grace period ended at {Stamp} UTC; use the key that replaced it, or create or rotate a key on the Keys page."
        : $"API key expired at {Stamp} UTC; create or rotate a key on the Keys page.";

    private string Stamp => At.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// Finds the key behind a bearer secret without a query per request. A revocation takes effect at
/// once here and, through <see cref="ApiKeyChangeNotifier"/>, on the other instances; <see cref="MaxAge"/>
/// bounds how long a revoked key could still work where that message was lost (the bus was down).
/// Last-used times are written at most once a minute per key, off the request path.
/// </summary>
public sealed class ApiKeyStore(IDbContextFactory<AppDbContext> dbFactory, TimeProvider time, ILogger<ApiKeyStore> log)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);

    // Keyed by the SHA-256 itself (two 128-bit halves), so a cached key costs no allocation:
    // the decision endpoint checks a key per request at tens of thousands of requests a second.
    private readonly ConcurrentDictionary<(UInt128, UInt128), Entry> _byHash = new();
    private readonly ConcurrentDictionary<int, long> _touched = new();
    // Counts forgets: an answer read from the database while a key was forgotten is not cached.
    private long _generation;

    // EndsAt (UTC ticks; long.MaxValue for never) is compared with the clock on every request, so an
    // expiry or the end of a grace period takes effect at its moment, not up to MaxAge later.
    private sealed record Entry(ApiCaller? Caller, long LoadedAt, long EndsAt = long.MaxValue, bool EndsByRotation = false);

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static (UInt128, UInt128) HashKey(ReadOnlySpan<byte> sha256) =>
        (System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(sha256), System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(sha256[16..]));

    private static (UInt128, UInt128) HashKey(ReadOnlySpan<char> secret)
    {
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(MaxSecretLength)];
        var n = Encoding.UTF8.GetBytes(secret, utf8);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(utf8[..n], hash);
        return HashKey(hash);
    }

    private const int MaxSecretLength = 200;

    /// <summary>
    /// The cached answer for a secret without allocating; false when the secret is not cached (or
    /// the entry is stale) and <see cref="FindAsync"/> must look it up.
    /// </summary>
    public bool TryFindCached(ReadOnlySpan<char> secret, out ApiCaller? caller) => TryFindCached(secret, out caller, out _);

    /// <summary>As <see cref="TryFindCached(ReadOnlySpan{char}, out ApiCaller?)"/>; <paramref name="ended"/> says when a known key stopped by time.</summary>
    public bool TryFindCached(ReadOnlySpan<char> secret, out ApiCaller? caller, out KeyEnded? ended)
    {
        caller = null;
        ended = null;
        if (secret.Length is < 20 or > MaxSecretLength)
        {
            return true;
        }
        if (_byHash.TryGetValue(HashKey(secret), out var cached) && time.GetElapsedTime(cached.LoadedAt) < MaxAge)
        {
            (caller, ended) = Judge(cached);
            Touch(caller);
            return true;
        }
        return false;
    }

    private (ApiCaller?, KeyEnded?) Judge(Entry entry)
    {
        if (entry.Caller is null || entry.EndsAt == long.MaxValue || time.GetUtcNow().UtcTicks < entry.EndsAt)
        {
            return (entry.Caller, null);
        }
        return (null, new KeyEnded(new DateTime(entry.EndsAt, DateTimeKind.Utc), entry.EndsByRotation));
    }

    public async ValueTask<ApiCaller?> FindAsync(string secret, CancellationToken ct) => (await LookupAsync(secret, ct)).Caller;

    /// <summary>The caller behind a secret, or null with, for a key that stopped by time, when and why.</summary>
    public async ValueTask<(ApiCaller? Caller, KeyEnded? Ended)> LookupAsync(string secret, CancellationToken ct)
    {
        if (TryFindCached(secret, out var found, out var foundEnded))
        {
            return (found, foundEnded);
        }
        var hash = Hash(secret);
        var generation = Interlocked.Read(ref _generation);
        var stamp = time.GetTimestamp();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var key = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Hash == hash, ct);
        var caller = key is null || key.RevokedAt is not null
            ? null
            : new ApiCaller(key.Id, key.Name, key.Scopes.ToHashSet(), key.PathSlugs.ToHashSet(StringComparer.Ordinal), key.AllPaths,
                key.DecisionRequestsPerMinute);
        var endsAt = key?.EndsAt is { } end ? DateTime.SpecifyKind(end, DateTimeKind.Utc).Ticks : long.MaxValue;
        var entry = new Entry(caller, stamp, endsAt, key?.GraceUntil is { } grace && (key.ExpiresAt is null || grace <= key.ExpiresAt));
        // Unknown secrets are remembered too, so a client with a wrong key cannot cost a query per request.
        var cacheKey = HashKey(Convert.FromHexString(hash));
        _byHash[cacheKey] = entry;
        if (Interlocked.Read(ref _generation) != generation)
        {
            _byHash.TryRemove(cacheKey, out _);
        }
        if (_byHash.Count > 10_000)
        {
            _byHash.Clear();
        }
        var (judged, ended) = Judge(entry);
        Touch(judged);
        return (judged, ended);
    }

    /// <summary>Forgets a key at once (after revoke or change).</summary>
    public void Forget(string hash)
    {
        Interlocked.Increment(ref _generation);
        _byHash.TryRemove(HashKey(Convert.FromHexString(hash)), out _);
    }

    /// <summary>Forgets a key by id (another instance revoked or replaced it), and every secret cached as unknown.</summary>
    public void ForgetKey(int keyId)
    {
        Interlocked.Increment(ref _generation);
        foreach (var entry in _byHash)
        {
            if (entry.Value.Caller is null || entry.Value.Caller.KeyId == keyId)
            {
                _byHash.TryRemove(entry);
            }
        }
    }

    /// <summary>Forgets everything (changes of other instances may have been missed).</summary>
    public void ForgetAll()
    {
        Interlocked.Increment(ref _generation);
        _byHash.Clear();
    }

    private void Touch(ApiCaller? caller)
    {
        if (caller is null)
        {
            return;
        }
        var now = time.GetTimestamp();
        if (_touched.TryGetValue(caller.KeyId, out var last) && time.GetElapsedTime(last, now) < TouchInterval)
        {
            return;
        }
        _touched[caller.KeyId] = now;
        var at = time.GetUtcNow().UtcDateTime;
        _ = Task.Run(async () =>
        {
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync();
                await db.ApiKeys.Where(k => k.Id == caller.KeyId).ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, at));
            }
            catch (Exception ex)
            {
                log.LogWarning(ex, "Could not record last use of API key {KeyId}", caller.KeyId);
            }
        });
    }
}

/// <summary>
/// Tells every instance that a key was revoked or replaced (its id, never its hash), so each drops
/// it from its <see cref="ApiKeyStore"/> at once: a revoked key stops working everywhere.
/// </summary>
public sealed class ApiKeyChangeNotifier(ApiKeyStore store, ClusterBus bus, ILogger<ApiKeyChangeNotifier> log) : Notifier<int>(log, bus)
{
    public override void Publish(int keyId)
    {
        store.ForgetKey(keyId);
        Raise(keyId);
    }

    protected override void OnRemote(int keyId)
    {
        store.ForgetKey(keyId);
        RaiseHere(keyId);
    }

    protected override void OnMissed()
    {
        store.ForgetAll();
        base.OnMissed();
    }
}
