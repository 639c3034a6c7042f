using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Web.Features.Demo;

/// <summary>
/// A fresh demo starts with a week of past traffic, so the drift checks have a reference to compare
/// with (the 7 days ending 24 h ago) and the 7-day dashboards are not empty. The history goes through
/// the real events API like the live traffic, and the demo reviewer then decides the review items it
/// routed, so a new user does not open a queue of week-old items.
/// </summary>
public sealed class DemoHistory(
    IDbContextFactory<AppDbContext> dbFactory, IServiceScopeFactory scopes, ReviewQueueService reviews, ILogger<DemoHistory> log)
{
    public const int BatchSize = 1000;
    public const string ReviewerEmail = "reviewer@opsconsole.local";

    /// <summary>True while no demo path has any event: only a fresh demo database gets a history.</summary>
    public async Task<bool> IsFreshAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ids = await db.Paths.Where(p => DemoSeeder.DemoPathSlugs.Contains(p.Slug)).Select(p => p.Id).ToListAsync(ct);
        return ids.Count > 0 && !await db.InferenceEvents.AnyAsync(e => ids.Contains(e.PathId), ct);
    }

    /// <summary>Posts <paramref name="events"/> in batches through the events API; returns how many were accepted.</summary>
    public static async Task<int> PostAsync(HttpClient http, IEnumerable<JsonObject> events, CancellationToken ct)
    {
        var accepted = 0;
        foreach (var chunk in events.Chunk(BatchSize))
        {
            using var response = await http.PostAsJsonAsync("/api/v1/events", new JsonObject { ["events"] = new JsonArray(chunk) }, ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
            }
            var body = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
            accepted += (int?)body?["accepted"] ?? 0;
        }
        return accepted;
    }

    /// <summary>How often the demo reviewer approves a draft of the demo canary's stable and candidate release.</summary>
    public const double StableApproval = 0.9, CandidateApproval = 0.45;

    /// <summary>
    /// While support-reply-draft's canary runs, the demo reviewer decides its open items (up to 300 a
    /// call, oldest first) through the same claim-and-decide rules as a person: the stable release's
    /// drafts approved 90 % of the time, the candidate's new prompt 45 % (the rest rejected with a
    /// reason tag or corrected). Once the canary is over the path's items wait for people again.
    /// Returns how many it decided.
    /// </summary>
    public async Task<int> ReviewCanaryAsync(Random random, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var path = await db.Paths.AsNoTracking().Where(p => p.Slug == DemoSeeder.CanaryPath)
            .Select(p => new { p.Id, p.CandidateReleaseId, p.ReasonTags }).FirstOrDefaultAsync(ct);
        if (path?.CandidateReleaseId is not { } candidate)
        {
            return 0;
        }
        var items = await db.ReviewItems.AsNoTracking()
            .Where(r => r.PathId == path.Id && r.Status == ReviewStatuses.Pending)
            .Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => new { r.Id, e.ReleaseId, e.Output })
            .OrderBy(x => x.Id).Take(300).ToListAsync(ct);
        if (items.Count == 0)
        {
            return 0;
        }
        await using var scope = scopes.CreateAsyncScope();
        var reviewer = await scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>().FindByEmailAsync(ReviewerEmail);
        if (reviewer is null)
        {
            return 0;
        }
        var principal = await scope.ServiceProvider.GetRequiredService<IUserClaimsPrincipalFactory<AppUser>>().CreateAsync(reviewer);
        var decided = 0;
        foreach (var item in items)
        {
            if (!(await reviews.ClaimAsync(item.Id, principal, ct)).Succeeded)
            {
                continue;
            }
            var approve = random.NextDouble() < (item.ReleaseId == candidate ? CandidateApproval : StableApproval);
            var input = approve
                ? new DecisionInput(ReviewDecision.Approve, Note: "demo reviewer")
                : random.NextDouble() < 0.5 && path.ReasonTags.Count > 0
                    ? new DecisionInput(ReviewDecision.Reject, ReasonTags: [path.ReasonTags[random.Next(path.ReasonTags.Count)]], Note: "demo reviewer")
                    : !string.IsNullOrEmpty(item.Output)
                        ? new DecisionInput(ReviewDecision.Correct, CorrectedOutput: item.Output + " (corrected)", Note: "demo reviewer")
                        : new DecisionInput(ReviewDecision.Reject, ReasonTags: path.ReasonTags.Take(1).ToList(), Note: "demo reviewer");
            if ((await reviews.DecideAsync(item.Id, input, principal, ct)).Succeeded)
            {
                decided++;
            }
            else
            {
                await reviews.ReleaseAsync(item.Id, principal, ct);
            }
        }
        return decided;
    }

    /// <summary>
    /// The demo reviewer decides every open item whose event happened before <paramref name="before"/>,
    /// through the same claim-and-decide rules as a person: approvals at a rate halfway between the
    /// path's quality target and 100 %, the rest corrections and rejections. The decisions are dated now: they count in today's quality, not the history's.
    /// </summary>
    public async Task<int> ClearBacklogAsync(DateTime before, int seed, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var reviewer = await users.FindByEmailAsync(ReviewerEmail);
        if (reviewer is null)
        {
            return 0;
        }
        var principal = await scope.ServiceProvider.GetRequiredService<IUserClaimsPrincipalFactory<AppUser>>().CreateAsync(reviewer);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var items = await db.ReviewItems.AsNoTracking()
            .Where(r => r.Status == ReviewStatuses.Pending)
            .Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => new { r.Id, r.PathId, e.OccurredAt, e.Output })
            .Where(x => x.OccurredAt < before)
            .Join(db.Paths.Where(p => DemoSeeder.DemoPathSlugs.Contains(p.Slug)), x => x.PathId, p => p.Id, (x, p) => new { x.Id, x.PathId, x.Output, p.ReasonTags, p.Slo.QualityTarget })
            .OrderBy(x => x.Id).ToListAsync(ct);
        var random = new Random(seed);
        var decided = 0;
        var seen = new Dictionary<int, int>();
        foreach (var item in items)
        {
            var claim = await reviews.ClaimAsync(item.Id, principal, ct);
            if (!claim.Succeeded)
            {
                continue; // someone already has it: theirs to decide
            }
            // The path was healthy before the demo starts: half of the room its quality target leaves
            // goes to corrections (two thirds) and rejections (one third), spread evenly over its items.
            var misses = (1 - (item.QualityTarget ?? 0.9)) / 2;
            var n = seen[item.PathId] = seen.GetValueOrDefault(item.PathId) + 1;
            var miss = Math.Floor(n * misses) > Math.Floor((n - 1) * misses);
            var input = miss && random.NextDouble() < 1 / 3.0 && item.ReasonTags.Count > 0
                ? new DecisionInput(ReviewDecision.Reject, ReasonTags: [item.ReasonTags[random.Next(item.ReasonTags.Count)]], Note: "demo backlog")
                : miss && !string.IsNullOrEmpty(item.Output)
                    ? new DecisionInput(ReviewDecision.Correct, CorrectedOutput: item.Output + " (corrected)", Note: "demo backlog")
                    : new DecisionInput(ReviewDecision.Approve, Note: "demo backlog");
            var result = await reviews.DecideAsync(item.Id, input, principal, ct);
            if (result.Succeeded)
            {
                decided++;
            }
            else
            {
                log.LogWarning("Demo history: item {Id} was not decided: {Message}", item.Id, result.Error);
                await reviews.ReleaseAsync(item.Id, principal, ct);
            }
        }
        return decided;
    }
}
