using OpsConsole.Web.Features.Ingestion;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Web.Features.Explorer;

/// <summary>Filters of the event explorer; every one optional.</summary>
public sealed record EventQuery
{
    public DateTime? From { get; init; }
    public DateTime? To { get; init; }
    public string? Outcome { get; init; }
    public string? ModelVersion { get; init; }
    public double? MinConfidence { get; init; }
    public double? MaxConfidence { get; init; }
    /// <summary>true: only events routed to review; false: only events that were not.</summary>
    public bool? Routed { get; init; }
    public string? Text { get; init; }
    /// <summary>Exact error code (the dashboard's failure patterns link here).</summary>
    public string? ErrorCode { get; init; }
}

/// <summary>Keyset cursor: the last row of the previous page (newest first).</summary>
public sealed record EventCursor(DateTime OccurredAt, long Id);

public sealed record EventListItem(
    long Id, string EventId, DateTime OccurredAt, string? ModelVersion, double? Confidence, double? LatencyMs, double? CostUsd,
    string Outcome, string? ReviewReason, string? ReviewStatus, int RedactedCount);

public sealed record EventPage(IReadOnlyList<EventListItem> Items, EventCursor? Next);

public sealed record EventDetail(EventView Event, ReviewItemView? Review);

public sealed class EventExplorerService(IDbContextFactory<AppDbContext> dbFactory)
{
    public const int PageSize = 50;

    public async Task<EventPage> SearchAsync(int pathId, EventQuery f, EventCursor? after, CancellationToken ct, int pageSize = PageSize)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.InferenceEvents.AsNoTracking().Where(e => e.PathId == pathId);
        if (f.From is { } from)
        {
            q = q.Where(e => e.OccurredAt >= from);
        }
        if (f.To is { } to)
        {
            q = q.Where(e => e.OccurredAt < to);
        }
        if (!string.IsNullOrEmpty(f.Outcome))
        {
            q = q.Where(e => e.Outcome == f.Outcome);
        }
        if (!string.IsNullOrWhiteSpace(f.ErrorCode))
        {
            q = q.Where(e => e.ErrorCode == f.ErrorCode.Trim());
        }
        if (!string.IsNullOrWhiteSpace(f.ModelVersion))
        {
            q = q.Where(e => e.ModelVersion == f.ModelVersion.Trim());
        }
        if (f.MinConfidence is { } min)
        {
            q = q.Where(e => e.Confidence >= min);
        }
        if (f.MaxConfidence is { } max)
        {
            q = q.Where(e => e.Confidence <= max);
        }
        if (f.Routed is { } routed)
        {
            q = routed ? q.Where(e => e.ReviewReason != null) : q.Where(e => e.ReviewReason == null);
        }
        if (!string.IsNullOrWhiteSpace(f.Text))
        {
            var pattern = "%" + EscapeLike(f.Text.Trim()) + "%";
            // SQLite's LIKE ignores ASCII case; PostgreSQL's does not, so it gets ILIKE for the same answers.
            q = db.Database.IsNpgsql()
                ? q.Where(e => EF.Functions.ILike(e.Input!, pattern, "\\") || EF.Functions.ILike(e.Output!, pattern, "\\"))
                : q.Where(e => EF.Functions.Like(e.Input, pattern, "\\") || EF.Functions.Like(e.Output, pattern, "\\"));
        }
        if (after is { } c)
        {
            q = q.Where(e => e.OccurredAt < c.OccurredAt || (e.OccurredAt == c.OccurredAt && e.Id < c.Id));
        }
        var rows = await q.OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id).Take(pageSize + 1)
            .Select(e => new EventListItem(
                e.Id, e.EventId, e.OccurredAt, e.ModelVersion, e.Confidence, e.LatencyMs, e.CostUsd, e.Outcome, e.ReviewReason,
                db.Set<ReviewItem>().Where(r => r.EventRowId == e.Id).Select(r => r.Status).FirstOrDefault(),
                e.RedactedCount))
            .ToListAsync(ct);
        EventCursor? next = null;
        if (rows.Count > pageSize)
        {
            rows.RemoveAt(pageSize);
            next = new EventCursor(rows[^1].OccurredAt, rows[^1].Id);
        }
        return new EventPage(rows, next);
    }

    public async Task<EventDetail?> GetAsync(int pathId, long id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var e = await db.InferenceEvents.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id && x.PathId == pathId, ct);
        if (e is null)
        {
            return null;
        }
        var review = await db.ReviewItems.AsNoTracking().FirstOrDefaultAsync(r => r.EventRowId == id, ct);
        return new EventDetail(EventView.From(e), review is null ? null : ReviewItemView.From(review));
    }

    /// <summary>Model versions seen in the path's latest events, for the filter's suggestions (no full scan).</summary>
    public async Task<IReadOnlyList<string>> RecentModelVersionsAsync(int pathId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var recent = await db.InferenceEvents.AsNoTracking().Where(e => e.PathId == pathId)
            .OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id).Take(2000)
            .Select(e => e.ModelVersion).ToListAsync(ct);
        return recent.OfType<string>().Distinct().Order().ToList();
    }

    private static string EscapeLike(string s) => s.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
}
