using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Review;

/// <summary>An event that may complete a pair: a shadow event (<paramref name="ShadowOf"/> set) or a primary.</summary>
public sealed record PairCandidate(int PathId, string EventId, string? ShadowOf);

/// <summary>One pairwise item as the reviewer sees it: the input and the two sides; which arm is which only matters once decided.</summary>
public sealed record PairwiseView(
    long Id, string PathSlug, string PrimaryEventId, string? Input, string? OutputA, string? OutputB, bool CandidateIsA,
    string? CandidateReleaseId, string? StableReleaseId, string Status, string? Choice, string? Outcome, string? DecidedByName, DateTime? DecidedAt)
{
    public bool Decided => Status == PairwiseStatuses.Decided;
}

/// <summary>A candidate's decided pairs: wins, ties and losses against stable.</summary>
public readonly record struct PairwiseCounts(long Wins, long Ties, long Losses)
{
    public long Decided => Wins + Ties + Losses;
}

/// <summary>
/// Pairwise review of shadow outputs (README "Shadow mode and pairwise review"): makes one item per
/// primary and shadow event, shows the next one to a reviewer of the path, and records the choice
/// as the candidate's win, tie or loss. Who may decide follows the review queue (admins, the path's
/// owners, its assigned reviewers).
/// </summary>
public sealed class PairwiseService(IDbContextFactory<AppDbContext> dbFactory, AuditLog audit, Permissions permissions, TimeProvider time)
{
    /// <summary>
    /// Makes the pairwise items that <paramref name="events"/> complete. Runs after the events are
    /// committed (and for duplicates too), so whichever of a primary and its shadow commits last sees
    /// both; two attempts at once meet the unique index and one item stays.
    /// </summary>
    public async Task<int> PairAsync(IReadOnlyList<PairCandidate> events, CancellationToken ct)
    {
        var made = 0;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        foreach (var group in events.GroupBy(e => e.PathId))
        {
            var pathId = group.Key;
            var primaryIds = group.Select(e => e.ShadowOf ?? e.EventId).Distinct(StringComparer.Ordinal).ToList();
            var primaries = await db.InferenceEvents.AsNoTracking()
                .Where(e => e.PathId == pathId && e.ShadowOf == null && primaryIds.Contains(e.EventId))
                .Select(e => new { e.Id, e.EventId, e.ReleaseId }).ToListAsync(ct);
            if (primaries.Count == 0)
            {
                continue;
            }
            var found = primaries.Select(p => p.EventId).ToList();
            var shadows = await db.InferenceEvents.AsNoTracking()
                .Where(e => e.PathId == pathId && e.ShadowOf != null && found.Contains(e.ShadowOf))
                .Select(e => new { e.Id, e.ShadowOf, e.ReleaseId }).ToListAsync(ct);
            var rowIds = primaries.Select(p => p.Id).Concat(shadows.Select(s => s.Id)).ToList();
            var paired = (await db.PairwiseItems.AsNoTracking()
                .Where(p => rowIds.Contains(p.PrimaryEventRowId) || rowIds.Contains(p.ShadowEventRowId))
                .Select(p => new[] { p.PrimaryEventRowId, p.ShadowEventRowId }).ToListAsync(ct)).SelectMany(x => x).ToHashSet();
            foreach (var primary in primaries)
            {
                // A primary has one pair: the first shadow that arrived for it.
                var shadow = shadows.Where(s => s.ShadowOf == primary.EventId).OrderBy(s => s.Id).FirstOrDefault();
                if (shadow is null || paired.Contains(primary.Id) || paired.Contains(shadow.Id))
                {
                    continue;
                }
                var item = new PairwiseItem
                {
                    PathId = pathId,
                    PrimaryEventRowId = primary.Id,
                    ShadowEventRowId = shadow.Id,
                    CandidateReleaseId = shadow.ReleaseId,
                    StableReleaseId = primary.ReleaseId,
                    CandidateIsA = Random.Shared.Next(2) == 0,
                    CreatedAt = time.GetUtcNow().UtcDateTime,
                };
                db.PairwiseItems.Add(item);
                try
                {
                    await db.SaveChangesAsync(ct);
                    made++;
                }
                catch (DbUpdateException)
                {
                    // Another request (or instance) made this pair a moment ago: the unique index kept one.
                    db.ChangeTracker.Clear();
                    if (!await db.PairwiseItems.AnyAsync(p => p.PrimaryEventRowId == primary.Id || p.ShadowEventRowId == shadow.Id, ct))
                    {
                        throw;
                    }
                }
            }
        }
        return made;
    }

    /// <summary>Pending pairwise items in the paths the user reviews (all of them when <paramref name="pathSlug"/> is null).</summary>
    public async Task<int> PendingCountAsync(ClaimsPrincipal user, string? pathSlug, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await Pending(db, await permissions.PathIdsAsync(user, PathAction.Review, ct), pathSlug).CountAsync(ct);
    }

    /// <summary>The oldest pending pairwise item in a path the user reviews, or null.</summary>
    public async Task<PairwiseView?> NextAsync(ClaimsPrincipal user, string? pathSlug, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var id = await Pending(db, await permissions.PathIdsAsync(user, PathAction.Review, ct), pathSlug)
            .OrderBy(p => p.Id).Select(p => (long?)p.Id).FirstOrDefaultAsync(ct);
        return id is { } found ? await ViewAsync(db, found, ct) : null;
    }

    private static IQueryable<PairwiseItem> Pending(AppDbContext db, HashSet<int>? pathIds, string? pathSlug)
    {
        var items = db.PairwiseItems.AsNoTracking().Where(p => p.Status == PairwiseStatuses.Pending);
        if (pathIds is not null)
        {
            var ids = pathIds.ToList();
            items = items.Where(p => ids.Contains(p.PathId));
        }
        if (pathSlug is not null)
        {
            var paths = db.Set<OperatingPath>();
            items = items.Where(p => paths.Any(x => x.Id == p.PathId && x.Slug == pathSlug));
        }
        return items;
    }

    /// <summary>One item, if the user reviews its path.</summary>
    public async Task<PairwiseView?> FindAsync(long id, ClaimsPrincipal user, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var view = await ViewAsync(db, id, ct);
        return view is not null && await permissions.MayAsync(user, PathAction.Review, view.PathSlug, ct) ? view : null;
    }

    private static async Task<PairwiseView?> ViewAsync(AppDbContext db, long id, CancellationToken ct)
    {
        var row = await db.PairwiseItems.AsNoTracking().Where(p => p.Id == id)
            .Join(db.InferenceEvents, p => p.PrimaryEventRowId, e => e.Id, (p, e) => new { p, Primary = e })
            .Join(db.InferenceEvents, x => x.p.ShadowEventRowId, e => e.Id, (x, e) => new { x.p, x.Primary, Shadow = e })
            .Join(db.Paths, x => x.p.PathId, path => path.Id, (x, path) => new
            {
                x.p,
                x.Primary.EventId,
                x.Primary.Input,
                PrimaryOutput = x.Primary.Output,
                ShadowOutput = x.Shadow.Output,
                path.Slug,
            })
            .FirstOrDefaultAsync(ct);
        if (row is null)
        {
            return null;
        }
        var p = row.p;
        return new PairwiseView(p.Id, row.Slug, row.EventId, row.Input,
            p.CandidateIsA ? row.ShadowOutput : row.PrimaryOutput, p.CandidateIsA ? row.PrimaryOutput : row.ShadowOutput, p.CandidateIsA,
            p.CandidateReleaseId, p.StableReleaseId, p.Status, p.Choice, p.Outcome, p.DecidedByName, p.DecidedAt);
    }

    /// <summary>
    /// Records the reviewer's choice of sides (<see cref="PairwiseChoices"/>) as the candidate's win,
    /// tie or loss: one conditional update, so of two reviewers deciding at once one is told who decided. Audited.
    /// </summary>
    public async Task<CommandResult<PairwiseView>> DecideAsync(long id, string choice, ClaimsPrincipal user, CancellationToken ct)
    {
        if (choice is not (PairwiseChoices.A or PairwiseChoices.Same or PairwiseChoices.B))
        {
            return CommandResult<PairwiseView>.Invalid("choice", "Choose a, same or b.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var view = await ViewAsync(db, id, ct);
        if (view is null || !await permissions.MayAsync(user, PathAction.Review, view.PathSlug, ct))
        {
            return CommandResult<PairwiseView>.Fail("This pairwise item does not exist or is not in a queue you review.");
        }
        var actor = AuditActor.From(user);
        var outcome = PairwiseOutcomes.Of(choice, view.CandidateIsA);
        var now = time.GetUtcNow().UtcDateTime;
        await using (var write = await audit.BeginAsync(db, ct))
        {
            var changed = await db.PairwiseItems.Where(p => p.Id == id && p.Status == PairwiseStatuses.Pending).ExecuteUpdateAsync(s => s
                .SetProperty(p => p.Status, PairwiseStatuses.Decided)
                .SetProperty(p => p.Choice, choice)
                .SetProperty(p => p.Outcome, outcome)
                .SetProperty(p => p.DecidedById, actor.UserId)
                .SetProperty(p => p.DecidedByName, actor.Name)
                .SetProperty(p => p.DecidedAt, now), ct);
            if (changed == 0)
            {
                var decided = await ViewAsync(db, id, ct);
                return CommandResult<PairwiseView>.Outdated($"Already decided by {decided?.DecidedByName} at {decided?.DecidedAt:yyyy-MM-dd HH:mm} UTC.");
            }
            write.Record(actor, "pairwise.decide", "pairwise", id.ToString(System.Globalization.CultureInfo.InvariantCulture), view.PathSlug,
                new { status = PairwiseStatuses.Pending }, new { status = PairwiseStatuses.Decided, choice, outcome, candidate = view.CandidateReleaseId, primary = view.PrimaryEventId });
            await write.CommitAsync(ct);
        }
        return CommandResult<PairwiseView>.Ok((await ViewAsync(db, id, ct))!);
    }

    /// <summary>The candidate's decided pairs on the path (against whichever stable release each pair's primary ran).</summary>
    public async Task<PairwiseCounts> CountsAsync(AppDbContext db, int pathId, string candidateReleaseId, CancellationToken ct)
    {
        var rows = await db.PairwiseItems.AsNoTracking()
            .Where(p => p.PathId == pathId && p.CandidateReleaseId == candidateReleaseId && p.Status == PairwiseStatuses.Decided)
            .GroupBy(p => p.Outcome).Select(g => new { g.Key, Count = g.LongCount() }).ToListAsync(ct);
        long Of(string outcome) => rows.FirstOrDefault(r => r.Key == outcome)?.Count ?? 0;
        return new PairwiseCounts(Of(PairwiseOutcomes.Win), Of(PairwiseOutcomes.Tie), Of(PairwiseOutcomes.Loss));
    }

    public async Task<PairwiseCounts> CountsAsync(int pathId, string candidateReleaseId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await CountsAsync(db, pathId, candidateReleaseId, ct);
    }
}
