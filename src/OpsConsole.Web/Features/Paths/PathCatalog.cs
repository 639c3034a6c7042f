using System.Diagnostics.CodeAnalysis;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Ingestion;

namespace OpsConsole.Web.Features.Paths;

/// <summary>What the hot paths (ingestion, decisions) need to know about a path.</summary>
public sealed record PathRouting(
    int Id, string Slug, double ConfidenceThreshold, double QaSampleRate, int ReviewSlaMinutes,
    bool KillSwitchOn, int RolloutPercent, long ConfigVersion, FallbackMode FallbackMode, Redactor Redactor)
{
    public string? BreakdownAttribute { get; init; }

    /// <summary>What contained the path automatically and still holds it (<see cref="OperatingPath.ContainedBy"/>).</summary>
    public string? ContainedBy { get; init; }

    public OpsConsole.Client.ReleaseConfig? Stable { get; init; }
    public OpsConsole.Client.ReleaseConfig? Candidate { get; init; }
    public int CandidateShare { get; init; }
    /// <summary>Per mille of stable units also run on the candidate in shadow (0 unless the candidate is in shadow).</summary>
    public int ShadowShare { get; init; }

    /// <summary>What decides the path, built once per snapshot: the decision API allocates nothing for it per request.</summary>
    public OpsConsole.Client.PathConfig Decision => _decision ??= new(Slug, KillSwitchOn, RolloutPercent, ConfigVersion, FallbackModes.Name(FallbackMode))
    {
        Stable = Stable,
        Candidate = Candidate,
        CandidateShare = Candidate is null ? 0 : CandidateShare,
        ShadowShare = Candidate is null ? 0 : ShadowShare,
        ContainedBy = ContainedBy,
    };

    private OpsConsole.Client.PathConfig? _decision;

    /// <summary>The release an event without one counts for: the arm the decision gives its unit, else stable.</summary>
    public string? ReleaseFor(string? unit) =>
        Candidate is not null && !string.IsNullOrEmpty(unit) && OpsConsole.Client.Rollout.IsCandidate(Decision, unit) ? Candidate.Id : Stable?.Id;

    /// <summary>Whether <paramref name="releaseId"/> is a release of this path (stable, candidate or any earlier one).</summary>
    public bool HasRelease(string releaseId) => Releases.Contains(releaseId);

    /// <summary>Every release id of the path, for checking the <c>release</c> of events.</summary>
    public IReadOnlySet<string> Releases { get; init; } = new HashSet<string>();
}

/// <summary>
/// An in-memory snapshot of every path's routing settings, so a batch of events costs no path
/// queries. Every change invalidates it at once, on every instance (the config notifier hears of
/// other instances' changes through the cluster bus); <see cref="MaxAge"/> bounds how stale it can
/// get if a change is not heard (the bus was down).
/// </summary>
public sealed class PathCatalog(IDbContextFactory<AppDbContext> dbFactory, TimeProvider time)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _loading = new(1, 1);
    private volatile Snapshot? _snapshot;
    private long _generation;

    private sealed record Snapshot(IReadOnlyDictionary<string, PathRouting> BySlug, long LoadedAt, long Generation);

    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _snapshot = null;
    }

    // A snapshot read while an invalidation arrived is already old: it must not be kept.
    private bool Fresh([NotNullWhen(true)] Snapshot? s) =>
        s is not null && s.Generation == Interlocked.Read(ref _generation) && time.GetElapsedTime(s.LoadedAt) < MaxAge;

    public async ValueTask<IReadOnlyDictionary<string, PathRouting>> GetAllAsync(CancellationToken ct)
    {
        var s = _snapshot;
        if (Fresh(s))
        {
            return s.BySlug;
        }
        await _loading.WaitAsync(ct);
        try
        {
            s = _snapshot;
            if (Fresh(s))
            {
                return s.BySlug;
            }
            // Take the stamp and generation before reading so an invalidation during the read is not lost.
            var generation = Interlocked.Read(ref _generation);
            var stamp = time.GetTimestamp();
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var paths = await db.Paths.AsNoTracking().ToListAsync(ct);
            var releases = (await db.Releases.AsNoTracking().ToListAsync(ct)).ToLookup(r => r.PathId);
            var previous = s?.BySlug;
            var bySlug = paths.ToDictionary(p => p.Slug, p =>
            {
                var own = releases[p.Id].ToDictionary(r => r.Id, StringComparer.Ordinal);
                return new PathRouting(
                    p.Id, p.Slug, p.ConfidenceThreshold, p.QaSampleRate, p.ReviewSlaMinutes, p.KillSwitchOn, p.RolloutPercent,
                    p.ConfigVersion, p.FallbackMode, ReuseOrBuild(previous, p))
                {
                    BreakdownAttribute = p.BreakdownAttribute,
                    ContainedBy = p.ContainedBy,
                    Stable = ConfigOf(own, p.StableReleaseId),
                    Candidate = ConfigOf(own, p.CandidateReleaseId),
                    CandidateShare = Math.Clamp(p.CandidateShare, 0, 1000),
                    ShadowShare = Math.Clamp(p.ShadowShare, 0, 1000),
                    Releases = own.Keys.ToHashSet(StringComparer.Ordinal),
                };
            }, StringComparer.Ordinal);
            _snapshot = new Snapshot(bySlug, stamp, generation);
            return bySlug;
        }
        finally
        {
            _loading.Release();
        }
    }

    public async ValueTask<PathRouting?> FindAsync(string slug, CancellationToken ct) =>
        (await GetAllAsync(ct)).GetValueOrDefault(slug);

    private static OpsConsole.Client.ReleaseConfig? ConfigOf(Dictionary<string, PathRelease> releases, string? id) =>
        id is not null && releases.TryGetValue(id, out var r) ? ReleaseConfigs.From(r) : null;

    // Compiling custom patterns is the costly part of a reload; keep the redactor while its settings are unchanged.
    private static Redactor ReuseOrBuild(IReadOnlyDictionary<string, PathRouting>? previous, OperatingPath p) =>
        previous?.GetValueOrDefault(p.Slug)?.Redactor is { } r && r.SameSettings(p.Redaction) ? r : new Redactor(p.Redaction);
}
