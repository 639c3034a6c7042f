using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.ApiKeys;

/// <summary>What a request authenticated by a key may do.</summary>
public sealed record ApiCaller(int KeyId, string Name, IReadOnlySet<string> Scopes, IReadOnlySet<string> PathSlugs, bool AllPaths)
{
    public bool Has(string scope) => Scopes.Contains(scope);
    public bool MayUse(string pathSlug) => AllPaths || PathSlugs.Contains(pathSlug);
}

/// <summary>
/// Finds the key behind a bearer secret without a query per request. Revoking through this
/// process takes effect at once; another instance's revocation within <see cref="MaxAge"/>.
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

    private sealed record Entry(ApiCaller? Caller, long LoadedAt);

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
    public bool TryFindCached(ReadOnlySpan<char> secret, out ApiCaller? caller)
    {
        caller = null;
        if (secret.Length is < 20 or > MaxSecretLength)
        {
            return true;
        }
        if (_byHash.TryGetValue(HashKey(secret), out var cached) && time.GetElapsedTime(cached.LoadedAt) < MaxAge)
        {
            Touch(cached.Caller);
            caller = cached.Caller;
            return true;
        }
        return false;
    }

    public async ValueTask<ApiCaller?> FindAsync(string secret, CancellationToken ct)
    {
        if (TryFindCached(secret, out var found))
        {
            return found;
        }
        var hash = Hash(secret);
        var stamp = time.GetTimestamp();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var key = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Hash == hash, ct);
        var caller = key is null || key.RevokedAt is not null
            ? null
            : new ApiCaller(key.Id, key.Name, key.Scopes.ToHashSet(), key.PathSlugs.ToHashSet(StringComparer.Ordinal), key.AllPaths);
        // Unknown secrets are remembered too, so a client with a wrong key cannot cost a query per request.
        _byHash[HashKey(Convert.FromHexString(hash))] = new Entry(caller, stamp);
        if (_byHash.Count > 10_000)
        {
            _byHash.Clear();
        }
        Touch(caller);
        return caller;
    }

    /// <summary>Forgets a key at once (after revoke or change).</summary>
    public void Forget(string hash) => _byHash.TryRemove(HashKey(Convert.FromHexString(hash)), out _);

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
