using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure.Security;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Web.Features.Review;

/// <summary>The orders a reviewer can read the queue in; <see cref="Priority"/> is the order "claim next" works in.</summary>
public enum QueueSort
{
    Priority,
    Oldest,
    Newest,
    Due,
}

public sealed record QueueFilter(
    string? PathSlug = null, string? Reason = null, string? ModelVersion = null, TimeSpan? OlderThan = null, bool PastDueOnly = false,
    QueueSort Sort = QueueSort.Priority);

/// <summary>One page of the open items that match a filter, where it starts, and how many match in all.</summary>
public sealed record QueuePage(IReadOnlyList<QueueRow> Rows, int Offset, int Total);

public sealed record QueueRow(
    long Id, int PathId, string PathSlug, string EventId, string Reason, int Priority, string Status, string? ClaimedBy, DateTime? ClaimUntil,
    DateTime CreatedAt, DateTime DueAt, double? Confidence, string? ModelVersion, int DecisionCount = 0)
{
    public bool IsClaimed(DateTime now) => Status == ReviewStatuses.Claimed && ClaimUntil >= now;
    public bool IsOverdue(DateTime now) => DueAt < now;
}

public sealed record PathQueueSummary(string PathSlug, string PathName, int Open, DateTime? OldestCreatedAt, int Overdue);

/// <summary>A review item's state as the review view and the event page show it.</summary>
public sealed record ReviewItemView(
    long Id, int PathId, string Reason, int Priority, string Status, DateTime CreatedAt, DateTime DueAt,
    string? ClaimedById, string? ClaimedByName, DateTime? ClaimUntil, string? DecidedByName, DateTime? DecidedAt, int DecisionCount, double? Agreement)
{
    public static ReviewItemView From(ReviewItem r) => new(
        r.Id, r.PathId, r.Reason, r.Priority, r.Status, r.CreatedAt, r.DueAt,
        r.ClaimedById, r.ClaimedByName, r.ClaimUntil, r.DecidedByName, r.DecidedAt, r.DecisionCount, r.Agreement);
}

/// <param name="ContextSources">The path's context source registry: the review view marks a cited source older than its freshness SLO.</param>
public sealed record ReviewView(
    ReviewItemView Item, string PathSlug, string PathName, string ReviewGuidance, IReadOnlyList<string> ReasonTags, EventView Event,
    IReadOnlyList<ContextSource>? ContextSources = null);

/// <summary>Read side of the queue: what a reviewer sees, limited to the paths they may review.</summary>
public sealed class ReviewQueries(IDbContextFactory<AppDbContext> dbFactory, Permissions permissions, TimeProvider time)
{
    public const int PageSize = 200;

    /// <summary>Ids of the paths whose queue the user works: admins all, owners theirs, reviewers assigned.</summary>
    public async Task<HashSet<int>> ReviewablePathIdsAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        if (await permissions.PathIdsAsync(user, PathAction.Review, ct) is { } ids)
        {
            return ids;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return [.. await db.Paths.Select(p => p.Id).ToListAsync(ct)];
    }

    /// <summary>
    /// A page of the open items (pending or claimed) in the filter's order, highest priority then
    /// oldest by default. An offset past the end gives the last page, so a queue that shrank while
    /// a reviewer was on a later page still shows items.
    /// </summary>
    public async Task<QueuePage> OpenItemsAsync(ClaimsPrincipal user, QueueFilter filter, int offset, CancellationToken ct)
    {
        var paths = await ReviewablePathIdsAsync(user, ct);
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.ReviewItems.AsNoTracking()
            .Where(r => paths.Contains(r.PathId) && (r.Status == ReviewStatuses.Pending || r.Status == ReviewStatuses.Claimed));
        if (!string.IsNullOrEmpty(filter.PathSlug))
        {
            q = q.Where(r => db.Set<OperatingPath>().Any(p => p.Id == r.PathId && p.Slug == filter.PathSlug));
        }
        if (!string.IsNullOrEmpty(filter.Reason))
        {
            q = q.Where(r => r.Reason == filter.Reason);
        }
        if (filter.OlderThan is { } age)
        {
            var before = now - age;
            q = q.Where(r => r.CreatedAt < before);
        }
        if (filter.PastDueOnly)
        {
            q = q.Where(r => r.DueAt < now);
        }
        var rows = q.Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => new { r, e })
            .Join(db.Paths, x => x.r.PathId, p => p.Id, (x, p) => new { x.r, x.e, p.Slug });
        if (!string.IsNullOrWhiteSpace(filter.ModelVersion))
        {
            var model = filter.ModelVersion.Trim();
            rows = rows.Where(x => x.e.ModelVersion == model);
        }
        var total = await rows.CountAsync(ct);
        offset = Math.Clamp(offset, 0, Math.Max(0, (total - 1) / PageSize * PageSize));
        // Every order ends on the id, so paging by offset neither repeats nor skips items of equal keys.
        var ordered = filter.Sort switch
        {
            QueueSort.Oldest => rows.OrderBy(x => x.r.CreatedAt).ThenBy(x => x.r.Id),
            QueueSort.Newest => rows.OrderByDescending(x => x.r.CreatedAt).ThenByDescending(x => x.r.Id),
            QueueSort.Due => rows.OrderBy(x => x.r.DueAt).ThenByDescending(x => x.r.Priority).ThenBy(x => x.r.Id),
            _ => rows.OrderByDescending(x => x.r.Priority).ThenBy(x => x.r.CreatedAt).ThenBy(x => x.r.Id),
        };
        var page = await ordered.Skip(offset).Take(PageSize)
            .Select(x => new QueueRow(x.r.Id, x.r.PathId, x.Slug, x.e.EventId, x.r.Reason, x.r.Priority, x.r.Status, x.r.ClaimedByName,
                x.r.ClaimUntil, x.r.CreatedAt, x.r.DueAt, x.e.Confidence, x.e.ModelVersion, x.r.DecisionCount))
            .ToListAsync(ct);
        return new QueuePage(page, offset, total);
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
        return new ReviewView(ReviewItemView.From(item), p.Slug, p.Name, p.ReviewGuidance, p.ReasonTags, EventView.From(e), p.ContextSources);
    }

    /// <summary>
    /// The highest-priority free items of the user's paths, for "claim next": asked of the whole
    /// queue, so items claimed by others at its top never hide the free ones below them.
    /// </summary>
    public const int NextCandidates = 5;

    public async Task<IReadOnlyList<long>> NextCandidatesAsync(ClaimsPrincipal user, string? pathSlug, CancellationToken ct)
    {
        var paths = await ReviewablePathIdsAsync(user, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var userId = user.UserId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var free = db.ReviewItems.AsNoTracking()
            .Where(r => paths.Contains(r.PathId)
                && (r.Status == ReviewStatuses.Pending || (r.Status == ReviewStatuses.Claimed && (r.ClaimUntil == null || r.ClaimUntil < now)))
                // Items this user already decided in their current round wait for someone else.
                && !db.Set<ReviewLabel>().Any(l => l.ReviewItemId == r.Id && l.Round == r.Round && l.ReviewerId == userId));
        if (!string.IsNullOrEmpty(pathSlug))
        {
            free = free.Where(r => db.Set<OperatingPath>().Any(p => p.Id == r.PathId && p.Slug == pathSlug));
        }
        return await free.OrderByDescending(r => r.Priority).ThenBy(r => r.CreatedAt).ThenBy(r => r.Id).Select(r => r.Id).Take(NextCandidates).ToListAsync(ct);
    }
}
