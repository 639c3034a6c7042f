using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Review;

public sealed record QueueFilter(string? PathSlug = null, string? Reason = null, string? ModelVersion = null, TimeSpan? OlderThan = null);

public sealed record QueueRow(
    long Id, int PathId, string PathSlug, string EventId, string Reason, int Priority, string Status, string? ClaimedBy, DateTime? ClaimUntil,
    DateTime CreatedAt, DateTime DueAt, double? Confidence, string? ModelVersion, int DecisionCount = 0)
{
    public bool IsClaimed(DateTime now) => Status == ReviewStatuses.Claimed && ClaimUntil >= now;
    public bool IsOverdue(DateTime now) => DueAt < now;
}

public sealed record PathQueueSummary(string PathSlug, string PathName, int Open, DateTime? OldestCreatedAt, int Overdue);

public sealed record ReviewView(
    ReviewItem Item, string PathSlug, string PathName, string ReviewGuidance, IReadOnlyList<string> ReasonTags, Ingestion.InferenceEvent Event);

/// <summary>Read side of the queue: what a reviewer sees, limited to the paths they may review.</summary>
public sealed class ReviewQueries(IDbContextFactory<AppDbContext> dbFactory, TimeProvider time)
{
    public const int MaxRows = 200;

    /// <summary>Ids of the paths whose queue the user works: admins all, owners theirs, reviewers assigned.</summary>
    public async Task<HashSet<int>> ReviewablePathIdsAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (user.IsInRole(AppRoles.Admin))
        {
            return [.. await db.Paths.Select(p => p.Id).ToListAsync(ct)];
        }
        var userId = user.UserId();
        var kinds = new List<PathMemberKind>();
        if (user.IsInRole(AppRoles.PathOwner))
        {
            kinds.Add(PathMemberKind.Owner);
        }
        if (user.IsInRole(AppRoles.Reviewer))
        {
            kinds.Add(PathMemberKind.Reviewer);
        }
        return [.. await db.PathMembers.Where(m => m.UserId == userId && kinds.Contains(m.Kind)).Select(m => m.PathId).Distinct().ToListAsync(ct)];
    }

    /// <summary>Open items (pending or claimed), highest priority first, then oldest.</summary>
    public async Task<IReadOnlyList<QueueRow>> OpenItemsAsync(ClaimsPrincipal user, QueueFilter filter, CancellationToken ct)
    {
        var paths = await ReviewablePathIdsAsync(user, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.ReviewItems.AsNoTracking()
            .Where(r => paths.Contains(r.PathId) && (r.Status == ReviewStatuses.Pending || r.Status == ReviewStatuses.Claimed));
        if (!string.IsNullOrEmpty(filter.PathSlug))
        {
            q = q.Where(r => db.Paths.Any(p => p.Id == r.PathId && p.Slug == filter.PathSlug));
        }
        if (!string.IsNullOrEmpty(filter.Reason))
        {
            q = q.Where(r => r.Reason == filter.Reason);
        }
        if (filter.OlderThan is { } age)
        {
            var before = time.GetUtcNow().UtcDateTime - age;
            q = q.Where(r => r.CreatedAt < before);
        }
        var rows = q.Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => new { r, e })
            .Join(db.Paths, x => x.r.PathId, p => p.Id, (x, p) => new { x.r, x.e, p.Slug });
        if (!string.IsNullOrWhiteSpace(filter.ModelVersion))
        {
            rows = rows.Where(x => x.e.ModelVersion == filter.ModelVersion.Trim());
        }
        return await rows.OrderByDescending(x => x.r.Priority).ThenBy(x => x.r.CreatedAt).ThenBy(x => x.r.Id).Take(MaxRows)
            .Select(x => new QueueRow(x.r.Id, x.r.PathId, x.Slug, x.e.EventId, x.r.Reason, x.r.Priority, x.r.Status, x.r.ClaimedByName,
                x.r.ClaimUntil, x.r.CreatedAt, x.r.DueAt, x.e.Confidence, x.e.ModelVersion, x.r.DecisionCount))
            .ToListAsync(ct);
    }

    /// <summary>Per path the user reviews: open items, the oldest one's age and how many are past due.</summary>
    public async Task<IReadOnlyList<PathQueueSummary>> SummariesAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        var paths = await ReviewablePathIdsAsync(user, ct);
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var open = await db.ReviewItems.AsNoTracking()
            .Where(r => paths.Contains(r.PathId) && (r.Status == ReviewStatuses.Pending || r.Status == ReviewStatuses.Claimed))
            .GroupBy(r => r.PathId)
            .Select(g => new { PathId = g.Key, Open = g.Count(), Oldest = g.Min(r => r.CreatedAt), Overdue = g.Count(r => r.DueAt < now) })
            .ToListAsync(ct);
        var names = await db.Paths.AsNoTracking().Where(p => paths.Contains(p.Id)).Select(p => new { p.Id, p.Slug, p.Name }).ToListAsync(ct);
        return names.OrderBy(n => n.Slug).Select(n =>
        {
            var o = open.FirstOrDefault(x => x.PathId == n.Id);
            return new PathQueueSummary(n.Slug, n.Name, o?.Open ?? 0, o?.Oldest, o?.Overdue ?? 0);
        }).ToList();
    }

    /// <summary>Everything the review view shows for one item, or null when missing or not the user's to see.</summary>
    public async Task<ReviewView?> GetAsync(long itemId, ClaimsPrincipal user, CancellationToken ct)
    {
        var paths = await ReviewablePathIdsAsync(user, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var item = await db.ReviewItems.AsNoTracking().FirstOrDefaultAsync(r => r.Id == itemId && paths.Contains(r.PathId), ct);
        if (item is null)
        {
            return null;
        }
        var e = await db.InferenceEvents.AsNoTracking().FirstAsync(x => x.Id == item.EventRowId, ct);
        var p = await db.Paths.AsNoTracking().FirstAsync(x => x.Id == item.PathId, ct);
        return new ReviewView(item, p.Slug, p.Name, p.ReviewGuidance, p.ReasonTags, e);
    }

    /// <summary>The highest-priority free item of the user's paths, for "claim next".</summary>
    public async Task<IReadOnlyList<long>> NextCandidatesAsync(ClaimsPrincipal user, string? pathSlug, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var rows = await OpenItemsAsync(user, new QueueFilter(pathSlug), ct);
        var free = rows.Where(r => !r.IsClaimed(now)).Select(r => r.Id).ToList();
        // Items this user already decided in their current round wait for someone else.
        var userId = user.UserId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var mine = await db.Labels.Where(l => free.Contains(l.ReviewItemId) && l.ReviewerId == userId)
            .Join(db.ReviewItems, l => l.ReviewItemId, r => r.Id, (l, r) => new { l.ReviewItemId, Same = l.Round == r.Round })
            .Where(x => x.Same).Select(x => x.ReviewItemId).ToListAsync(ct);
        return free.Except(mine).Take(5).ToList();
    }
}
