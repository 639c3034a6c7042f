using OpsConsole.Web.Features.Review;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Infrastructure.Security;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Web.Features.Reviewers;

public sealed record ReviewerStatsRow(
    string PathSlug, string Reviewer, int Decisions, double PerDay, TimeSpan? MedianTimeToDecision, double ApproveShare, double CorrectShare, double RejectShare,
    double? Agreement = null);

/// <summary>Decisions per reviewer and path. Owners see their paths, admins all, everyone else only themselves.</summary>
public sealed class ReviewerStats(IDbContextFactory<AppDbContext> dbFactory, Permissions permissions, TimeProvider time)
{
    public async Task<IReadOnlyList<ReviewerStatsRow>> ComputeAsync(ClaimsPrincipal user, int days, CancellationToken ct)
    {
        var since = time.GetUtcNow().UtcDateTime.AddDays(-days);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.Labels.AsNoTracking().Where(l => l.DecidedAt >= since);
        if (await permissions.PathIdsAsync(user, PathAction.ReopenAndExport, ct) is { } owned)
        {
            var ownedIds = owned.ToList();
            var me = user.UserId();
            q = q.Where(l => ownedIds.Contains(l.PathId) || l.ReviewerId == me);
        }
        // Agreement counts only items several reviewers decided: did this reviewer's decision match the final one?
        var labels = await q.Join(db.Paths, l => l.PathId, p => p.Id, (l, p) => new { l, p.Slug })
            .Join(db.ReviewItems, x => x.l.ReviewItemId, r => r.Id, (x, r) => new
            {
                x.Slug,
                x.l.ReviewerName,
                x.l.Decision,
                x.l.ClaimedAt,
                x.l.DecidedAt,
                Agrees = r.Agreement != null && r.Round == x.l.Round ? (bool?)(r.Status == x.l.Decision) : null,
            })
            .Take(200_000).ToListAsync(ct);
        return labels.GroupBy(l => (l.Slug, l.ReviewerName)).Select(g =>
        {
            var n = g.Count();
            var durations = g.Where(l => l.ClaimedAt is not null).Select(l => l.DecidedAt - l.ClaimedAt!.Value).Order().ToList();
            TimeSpan? median = durations.Count == 0 ? null
                : durations.Count % 2 == 1 ? durations[durations.Count / 2]
                : (durations[durations.Count / 2 - 1] + durations[durations.Count / 2]) / 2;
            double Share(string d) => (double)g.Count(l => l.Decision == d) / n;
            var judged = g.Where(l => l.Agrees is not null).ToList();
            return new ReviewerStatsRow(g.Key.Slug, g.Key.ReviewerName, n, (double)n / days, median,
                Share(ReviewStatuses.Approved), Share(ReviewStatuses.Corrected), Share(ReviewStatuses.Rejected),
                judged.Count == 0 ? null : (double)judged.Count(l => l.Agrees == true) / judged.Count);
        }).OrderBy(r => r.PathSlug).ThenByDescending(r => r.Decisions).ToList();
    }
}
