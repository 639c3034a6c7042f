using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Reviewers;

/// <summary>Agreement over a window: α per path (and per release of it), κ per reviewer pair.</summary>
public sealed record AgreementReport(int Days, IReadOnlyList<PathAgreement> Paths, IReadOnlyList<PairAgreement> Pairs)
{
    public bool IsEmpty => Paths.Count == 0 && Pairs.Count == 0;
}

public sealed record PathAgreement(string PathSlug, KrippendorffAlpha Alpha, IReadOnlyList<ReleaseAgreement> Releases);

/// <summary>α over the items of one release of a path; <see cref="ReleaseId"/> null for events that named none.</summary>
public sealed record ReleaseAgreement(string? ReleaseId, string? Model, string? PromptVersion, KrippendorffAlpha Alpha);

/// <summary>κ of two reviewers over the items both decided; names in a stable order (First before Second).</summary>
public sealed record PairAgreement(string First, string Second, CohenKappa Kappa);

/// <summary>
/// Agreement between reviewers from the stored decisions (labels). A unit is one round of one review
/// item (a reopened item's next round is a new judgement); its values are the decisions of that
/// round, approved / corrected / rejected, one per reviewer. A unit belongs to the window when its
/// latest decision does. Owners see the paths they own, admins all; everyone also sees the pairs
/// they are in, from the items they decided.
/// </summary>
public sealed class AgreementQuery(IDbContextFactory<AppDbContext> dbFactory, Permissions permissions, TimeProvider time)
{
    public const int DefaultDays = 30;

    // A bound on what one page load reads: about 100,000 double-reviewed items.
    private const int MaxLabels = 250_000;

    public async Task<AgreementReport> ComputeAsync(ClaimsPrincipal user, int days = DefaultDays, CancellationToken ct = default)
    {
        var since = time.GetUtcNow().UtcDateTime.AddDays(-days);
        var me = user.UserId();
        var owned = await permissions.PathIdsAsync(user, PathAction.ReopenAndExport, ct);
        var ownedIds = owned?.ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);

        // Items with several decisions where one of them falls in the window; then every decision of those items,
        // so a round that started before the window keeps its earlier decisions.
        var decisions = db.Set<ReviewLabel>();
        var recent = db.ReviewItems.Where(r => r.DecisionCount > 1 || r.Round > 0)
            .Where(r => decisions.Any(l => l.ReviewItemId == r.Id && l.DecidedAt >= since));
        if (ownedIds is not null && me is null)
        {
            recent = recent.Where(r => ownedIds.Contains(r.PathId));
        }
        else if (ownedIds is not null)
        {
            recent = recent.Where(r => ownedIds.Contains(r.PathId) || decisions.Any(l => l.ReviewItemId == r.Id && l.ReviewerId == me));
        }
        var labels = await recent
            .Join(db.Labels, r => r.Id, l => l.ReviewItemId, (r, l) => new { r.EventRowId, l })
            .Join(db.InferenceEvents, x => x.EventRowId, e => e.Id, (x, e) => new { x.l, e.ReleaseId })
            .Join(db.Paths, x => x.l.PathId, p => p.Id, (x, p) => new
            {
                x.l.ReviewItemId,
                x.l.Round,
                x.l.PathId,
                p.Slug,
                x.ReleaseId,
                x.l.ReviewerId,
                x.l.ReviewerName,
                x.l.Decision,
                x.l.DecidedAt,
            })
            .OrderByDescending(x => x.ReviewItemId).Take(MaxLabels).ToListAsync(ct);

        var units = labels.GroupBy(l => (l.ReviewItemId, l.Round))
            .Where(g => g.Max(l => l.DecidedAt) >= since)
            .Select(g => new Unit(g.First().PathId, g.First().Slug, g.First().ReleaseId,
                // One value per reviewer: a reviewer decides a round once (the queue refuses a second claim).
                g.GroupBy(l => l.ReviewerId ?? "name:" + l.ReviewerName)
                    .Select(r => new Decision(r.Key, r.OrderByDescending(l => l.DecidedAt).First().ReviewerName, r.OrderByDescending(l => l.DecidedAt).First().Decision))
                    .ToList()))
            .Where(u => u.Decisions.Count > 1)
            .ToList();

        var visible = units.Where(u => ownedIds is null || ownedIds.Contains(u.PathId)).ToList();
        var releaseIds = visible.Select(u => u.ReleaseId).OfType<string>().Distinct().ToList();
        var releases = releaseIds.Count == 0 ? []
            : await db.Releases.AsNoTracking().Where(r => releaseIds.Contains(r.Id))
                .Select(r => new { r.Id, r.Model, r.PromptVersion }).ToDictionaryAsync(r => r.Id, ct);

        var paths = visible.GroupBy(u => u.Slug).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new PathAgreement(g.Key, Alpha(g),
                g.GroupBy(u => u.ReleaseId)
                    .Select(r => r.Key is not null && releases.TryGetValue(r.Key, out var release)
                        ? new ReleaseAgreement(r.Key, release.Model, release.PromptVersion, Alpha(r))
                        : new ReleaseAgreement(r.Key, null, null, Alpha(r)))
                    .OrderByDescending(r => r.Alpha.Units).ThenBy(r => r.ReleaseId, StringComparer.Ordinal).ToList()))
            .ToList();

        var names = units.SelectMany(u => u.Decisions).GroupBy(d => d.Reviewer).ToDictionary(g => g.Key, g => g.First().Name);
        var pairs = units
            .SelectMany(u => Pairs(u.Decisions)
                .Where(p => ownedIds is null || ownedIds.Contains(u.PathId) || p.A.Reviewer == me || p.B.Reviewer == me))
            .GroupBy(p => (p.A.Reviewer, p.B.Reviewer))
            .Select(g => new PairAgreement(names[g.Key.Item1], names[g.Key.Item2],
                AgreementStatistics.CohensKappa(g.Select(p => (p.A.Category, p.B.Category)))))
            .OrderByDescending(p => p.Kappa.Items).ThenBy(p => p.First, StringComparer.Ordinal).ThenBy(p => p.Second, StringComparer.Ordinal)
            .ToList();
        return new AgreementReport(days, paths, pairs);
    }

    private static KrippendorffAlpha Alpha(IEnumerable<Unit> units) =>
        AgreementStatistics.KrippendorffsAlpha(units.Select(u => u.Decisions.Select(d => d.Category)));

    /// <summary>Every pair of reviewers in a unit, the one whose key sorts first as A, so (A, B) and (B, A) are one pair.</summary>
    private static IEnumerable<(Decision A, Decision B)> Pairs(List<Decision> decisions)
    {
        var sorted = decisions.OrderBy(d => d.Reviewer, StringComparer.Ordinal).ToList();
        for (var i = 0; i < sorted.Count; i++)
        {
            for (var j = i + 1; j < sorted.Count; j++)
            {
                yield return (sorted[i], sorted[j]);
            }
        }
    }

    private sealed record Unit(int PathId, string Slug, string? ReleaseId, List<Decision> Decisions);

    private sealed record Decision(string Reviewer, string Name, string Category);
}
