using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Notifications;

namespace OpsConsole.Web.Features.Review;

/// <summary>
/// Recurring job: tells each path's on-call user, in the app, about review items past their due
/// time — once per item, however often the job runs or retries (the item's SlaNotifiedAt is set
/// by a conditional update in the same transaction as the notification).
/// </summary>
public sealed class ReviewSlaJob(IDbContextFactory<AppDbContext> dbFactory, NotificationNotifier notifier, TimeProvider time, ILogger<ReviewSlaJob> log)
{
    public const string Id = "review-sla";

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var overdue = await db.ReviewItems.AsNoTracking()
            .Where(r => r.DueAt < now && r.SlaNotifiedAt == null && (r.Status == ReviewStatuses.Pending || r.Status == ReviewStatuses.Claimed))
            .Join(db.Paths, r => r.PathId, p => p.Id, (r, p) => new { r.Id, r.DueAt, p.Slug, p.OnCallUserId })
            .OrderBy(x => x.Id).Take(500).ToListAsync(ct);
        var told = new List<string>();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var item in overdue)
        {
            var marked = await db.ReviewItems.Where(r => r.Id == item.Id && r.SlaNotifiedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.SlaNotifiedAt, now), ct);
            if (marked == 1 && item.OnCallUserId is { } onCall)
            {
                db.Notifications.Add(new Notification
                {
                    UserId = onCall, Kind = "review-sla", CreatedAt = now, Link = $"/review/{item.Id}",
                    Title = $"Review item {item.Id} on {item.Slug} is past due (was due {item.DueAt:yyyy-MM-dd HH:mm} UTC).",
                });
                told.Add(onCall);
            }
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        notifier.Publish(told);
        if (told.Count > 0)
        {
            log.LogInformation("Review SLA: {Count} past-due items reported to on-call", told.Count);
        }
        return told.Count;
    }
}
