using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Notifications;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Web.Features.Review;

/// <summary>
/// Recurring job: tells each path's on-call user, in the app, about review items past their due
/// time. Each item is told once, however often the job runs or retries (its SlaNotifiedAt is set
/// by a conditional update in the same transaction as the notice). Items are told as one notice
/// per path per hour ("12 items past due on support-reply-draft") that grows while the hour
/// lasts: a backlog at night is one line in the bell, not hundreds that bury the incidents.
/// </summary>
public sealed class ReviewSlaJob(IDbContextFactory<AppDbContext> dbFactory, NotificationNotifier notifier, TimeProvider time, ILogger<ReviewSlaJob> log)
{
    public const string Id = "review-sla";

    public static readonly TimeSpan ReminderWindow = TimeSpan.FromHours(1);

    public static string ReminderTitle(int count, string slug) => $"{count} {(count == 1 ? "item" : "items")} past due on {slug}";

    /// <summary>Returns how many past-due items were told to an on-call user.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var overdue = await db.ReviewItems.AsNoTracking()
            .Where(r => r.DueAt < now && r.SlaNotifiedAt == null && (r.Status == ReviewStatuses.Pending || r.Status == ReviewStatuses.Claimed))
            .Join(db.Paths, r => r.PathId, p => p.Id, (r, p) => new { r.Id, r.PathId, p.Slug, p.OnCallUserId })
            .OrderBy(x => x.Id).Take(500).ToListAsync(ct);
        var told = new Dictionary<(string User, int PathId, string Slug), int>();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var item in overdue)
        {
            var marked = await db.ReviewItems.Where(r => r.Id == item.Id && r.SlaNotifiedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.SlaNotifiedAt, now), ct);
            if (marked == 1 && item.OnCallUserId is { } onCall)
            {
                told[(onCall, item.PathId, item.Slug)] = told.GetValueOrDefault((onCall, item.PathId, item.Slug)) + 1;
            }
        }
        foreach (var ((user, pathId, slug), count) in told)
        {
            await NotificationService.AddToGroupAsync(db, user, NotificationKinds.ReviewSla, $"{NotificationKinds.ReviewSla}:{pathId}", count,
                n => ReminderTitle(n, slug), $"/review?path={Uri.EscapeDataString(slug)}", ReminderWindow, now, ct);
        }
        await tx.CommitAsync(ct);
        notifier.Publish(told.Keys.Select(k => k.User));
        var items = told.Values.Sum();
        if (items > 0)
        {
            log.LogInformation("Review SLA: {Count} past-due items reported to on-call", items);
        }
        return items;
    }
}
