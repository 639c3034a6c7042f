using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Infrastructure.Security;
using OpsConsole.Web.Realtime;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Features.Review;

public enum ReviewDecision
{
    Approve,
    Correct,
    Reject,
}

public sealed record DecisionInput(ReviewDecision Decision, string? CorrectedOutput = null, IReadOnlyList<string>? ReasonTags = null, string? Note = null);

/// <summary>
/// Claims and decisions on review items. Every state change is one conditional statement (or one
/// serialised transaction), so two reviewers never hold or decide the same item; a lease that ran
/// out makes the item free again with no job involved.
/// </summary>
public sealed class ReviewQueueService(
    IDbContextFactory<AppDbContext> dbFactory, AuditLog audit, Permissions permissions, ReviewNotifier notifier, TimeProvider time)
{
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    public const int MaxNote = 2000;

    /// <summary>Whether the user may work the queue of the path (admins all, owners theirs, reviewers assigned).</summary>
    public Task<bool> MayReviewAsync(ClaimsPrincipal user, int pathId, CancellationToken ct) =>
        MayAsync(user, PathAction.Review, pathId, ct);

    /// <summary>Claims the item for the user if it is free (pending, or its lease ran out) or already theirs.</summary>
    public async Task<CommandResult> ClaimAsync(long itemId, ClaimsPrincipal user, CancellationToken ct)
    {
        var item = await FindAsync(itemId, ct);
        if (item is null || !await MayReviewAsync(user, item.PathId, ct))
        {
            return CommandResult.Fail("This item does not exist or is not in a queue you review.");
        }
        var now = time.GetUtcNow().UtcDateTime;
        var userId = user.UserId();
        var name = user.Identity?.Name ?? "";
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // One UPDATE with the "free" test in its WHERE: SQLite runs it under its write lock, so exactly one claimer matches.
        var won = await db.ReviewItems
            .Where(r => r.Id == itemId && (r.Status == ReviewStatuses.Pending
                || (r.Status == ReviewStatuses.Claimed && (r.ClaimUntil < now || r.ClaimedById == userId)))
                // With several reviewers per item, each decides once per round.
                && !db.Set<ReviewLabel>().Any(l => l.ReviewItemId == r.Id && l.Round == r.Round && l.ReviewerId == userId))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, ReviewStatuses.Claimed)
                .SetProperty(r => r.ClaimedById, userId)
                .SetProperty(r => r.ClaimedByName, name)
                .SetProperty(r => r.ClaimedAt, now)
                .SetProperty(r => r.ClaimUntil, now + Lease), ct);
        if (won != 1)
        {
            return CommandResult.Fail(await WhyNotAsync(itemId, ct, userId: userId));
        }
        notifier.Publish([new ReviewChange(item.PathId, itemId, ReviewChange.Claimed, ReviewStatuses.Claimed, name, now + Lease, now)]);
        return CommandResult.Ok();
    }

    /// <summary>
    /// Claims the highest-priority free item: tries the top few candidates in order, so a race lost
    /// to another reviewer moves on to the next item instead of failing.
    /// </summary>
    public async Task<CommandResult<long>> ClaimNextAsync(ReviewQueries queries, ClaimsPrincipal user, string? pathSlug, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var candidates = await queries.NextCandidatesAsync(user, pathSlug, ct);
            if (candidates.Count == 0)
            {
                return CommandResult<long>.Fail("Nothing left to claim: the queue is empty or every item is claimed.");
            }
            foreach (var id in candidates)
            {
                if ((await ClaimAsync(id, user, ct)).Succeeded)
                {
                    return CommandResult<long>.Ok(id);
                }
            }
        }
        return CommandResult<long>.Fail("Other reviewers claimed the next items first; try again.");
    }

    /// <summary>Extends the user's live lease (the review view calls this while it is open).</summary>
    public async Task<CommandResult> RenewAsync(long itemId, ClaimsPrincipal user, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var userId = user.UserId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var renewed = await db.ReviewItems
            .Where(r => r.Id == itemId && r.Status == ReviewStatuses.Claimed && r.ClaimedById == userId && r.ClaimUntil >= now)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.ClaimUntil, now + Lease), ct);
        return renewed == 1 ? CommandResult.Ok() : CommandResult.Fail(await WhyNotAsync(itemId, ct));
    }

    /// <summary>Gives the item back to the queue (leaving the review view).</summary>
    public async Task ReleaseAsync(long itemId, ClaimsPrincipal user, CancellationToken ct)
    {
        var userId = user.UserId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var released = await db.ReviewItems
            .Where(r => r.Id == itemId && r.Status == ReviewStatuses.Claimed && r.ClaimedById == userId)
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, ReviewStatuses.Pending)
                .SetProperty(r => r.ClaimedById, (string?)null)
                .SetProperty(r => r.ClaimedByName, (string?)null)
                .SetProperty(r => r.ClaimUntil, (DateTime?)null), ct);
        if (released == 1 && await FindAsync(itemId, ct) is { } item)
        {
            notifier.Publish([new ReviewChange(item.PathId, itemId, ReviewChange.Released, ReviewStatuses.Pending, At: time.GetUtcNow().UtcDateTime)]);
        }
    }

    /// <summary>
    /// Records a decision from the holder of a live lease, with its label and audit entry, in one
    /// transaction. Anyone else is told who holds or decided the item.
    /// </summary>
    public async Task<CommandResult> DecideAsync(long itemId, DecisionInput input, ClaimsPrincipal user, CancellationToken ct)
    {
        var item = await FindAsync(itemId, ct);
        if (item is null || !await MayReviewAsync(user, item.PathId, ct))
        {
            return CommandResult.Fail("This item does not exist or is not in a queue you review.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var context = await db.ReviewItems.Where(r => r.Id == itemId)
            .Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => new { e.EventId, e.Output, e.ModelVersion, e.PromptVersion, e.AttributesJson })
            .Join(db.Paths, x => item.PathId, p => p.Id, (x, p) => new { x.EventId, x.Output, x.ModelVersion, x.PromptVersion, x.AttributesJson, p.Slug, p.ReasonTags, p.ReviewersPerItem, p.BreakdownAttribute })
            .FirstAsync(ct);
        if (Validate(input, context.Output, context.ReasonTags) is { } problem)
        {
            return CommandResult.Fail(problem);
        }

        var now = time.GetUtcNow().UtcDateTime;
        var userId = user.UserId();
        var name = user.Identity?.Name ?? "";
        var status = input.Decision switch
        {
            ReviewDecision.Approve => ReviewStatuses.Approved,
            ReviewDecision.Correct => ReviewStatuses.Corrected,
            _ => ReviewStatuses.Rejected,
        };
        var tags = input.Decision == ReviewDecision.Reject ? input.ReasonTags!.Distinct().ToList() : [];
        var note = string.IsNullOrWhiteSpace(input.Note) ? null : input.Note.Trim();
        var corrected = input.Decision == ReviewDecision.Correct ? input.CorrectedOutput : null;

        await using var write = await audit.BeginAsync(db, ct);
        var current = await db.ReviewItems.AsNoTracking().Where(r => r.Id == itemId)
            .Select(r => new { r.ClaimedAt, r.Round, r.DecisionCount }).FirstAsync(ct);
        var earlier = await db.Labels.AsNoTracking().Where(l => l.ReviewItemId == itemId && l.Round == current.Round)
            .Select(l => l.Decision).ToListAsync(ct);
        var needed = Math.Max(1, context.ReviewersPerItem);
        var final = earlier.Count + 1 >= needed;
        // The final status is what most of the round's reviewers decided (a tie goes to the latest decision).
        var round = earlier.Append(status).ToList();
        var finalStatus = round.GroupBy(d => d).OrderByDescending(g => g.Count()).ThenByDescending(g => round.LastIndexOf(g.Key)).First().Key;
        double? agreement = needed > 1 && final ? (double)round.Count(d => d == finalStatus) / round.Count : null;

        var holder = db.ReviewItems.Where(r => r.Id == itemId && r.Status == ReviewStatuses.Claimed && r.ClaimedById == userId && r.ClaimUntil >= now);
        var decided = final
            ? await holder.ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, finalStatus)
                .SetProperty(r => r.CorrectedOutput, corrected)
                .SetProperty(r => r.ReasonTags, tags)
                .SetProperty(r => r.Note, note)
                .SetProperty(r => r.DecidedById, userId)
                .SetProperty(r => r.DecidedByName, name)
                .SetProperty(r => r.DecidedAt, now)
                .SetProperty(r => r.DecisionCount, r => r.DecisionCount + 1)
                .SetProperty(r => r.Agreement, agreement), ct)
            // Not the last reviewer of the round: the item goes back to the queue for the next one.
            : await holder.ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, ReviewStatuses.Pending)
                .SetProperty(r => r.ClaimedById, (string?)null)
                .SetProperty(r => r.ClaimedByName, (string?)null)
                .SetProperty(r => r.ClaimUntil, (DateTime?)null)
                .SetProperty(r => r.DecisionCount, r => r.DecisionCount + 1), ct);
        if (decided != 1)
        {
            return CommandResult.Fail(await WhyNotAsync(itemId, ct, db));
        }
        var label = new ReviewLabel
        {
            ReviewItemId = itemId,
            PathId = item.PathId,
            EventId = context.EventId,
            Decision = status,
            OriginalOutput = context.Output,
            CorrectedOutput = corrected,
            ReasonTags = tags,
            Note = note,
            ReviewerId = userId,
            ReviewerName = name,
            DecidedAt = now,
            ClaimedAt = current.ClaimedAt,
            Round = current.Round,
            ModelVersion = context.ModelVersion,
            PromptVersion = context.PromptVersion,
            ReviewReason = item.Reason,
        };
        db.Labels.Add(label);
        await db.SaveChangesAsync(ct);
        if (final && finalStatus == ReviewStatuses.Rejected)
        {
            var failures = new Dictionary<Metrics.FailurePatternStore.Key, Metrics.FailurePatternStore.Delta>();
            foreach (var tag in tags)
            {
                Metrics.FailurePatternStore.Add(failures, Metrics.FailurePatternStore.RejectKey(item.PathId, now, tag), now);
            }
            Metrics.FailurePatternStore.Apply(db, failures);
        }
        if (final)
        {
            var segment = Events.EventJson.Attribute(context.AttributesJson, context.BreakdownAttribute);
            Metrics.RollupCounting.Apply(db, Metrics.RollupCounting.DecisionDeltas(
                Metrics.RollupKey.For(item.PathId, context.ModelVersion, now), segment, finalStatus, item.Reason));
        }
        // A reopened item's labels from earlier rounds stay, marked as superseded by this round's.
        await db.Labels.Where(l => l.ReviewItemId == itemId && l.Round < current.Round && l.SupersededByLabelId == null)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.SupersededByLabelId, label.Id), ct);
        write.Record(AuditActor.From(user), "review.decide", "review", itemId.ToString(), context.Slug, null,
            new { eventId = context.EventId, decision = status, reasonTags = tags, corrected = corrected is not null, reviewer = earlier.Count + 1, of = needed });
        await write.CommitAsync(ct);
        notifier.Publish([new ReviewChange(item.PathId, itemId, final ? ReviewChange.Decided : ReviewChange.Released, final ? finalStatus : ReviewStatuses.Pending, name, At: now)]);
        return CommandResult.Ok();
    }

    /// <summary>
    /// Puts a decided item back in the queue for rework (owners of the path, admins). Its next
    /// decision writes a new label that supersedes the old one; both are kept.
    /// </summary>
    public async Task<CommandResult> ReopenAsync(long itemId, ClaimsPrincipal user, CancellationToken ct)
    {
        var item = await FindAsync(itemId, ct);
        if (item is null || !await MayReopenAsync(user, item.PathId, ct))
        {
            return CommandResult.Fail("Only an Admin or an owner of this path can reopen a decided item.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var write = await audit.BeginAsync(db, ct);
        var reopened = await db.ReviewItems
            .Where(r => r.Id == itemId && (r.Status == ReviewStatuses.Approved || r.Status == ReviewStatuses.Corrected || r.Status == ReviewStatuses.Rejected))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, ReviewStatuses.Pending)
                .SetProperty(r => r.Round, r => r.Round + 1)
                .SetProperty(r => r.DecisionCount, 0)
                .SetProperty(r => r.Agreement, (double?)null)
                .SetProperty(r => r.ClaimedById, (string?)null)
                .SetProperty(r => r.ClaimedByName, (string?)null)
                .SetProperty(r => r.ClaimUntil, (DateTime?)null)
                .SetProperty(r => r.DecidedById, (string?)null)
                .SetProperty(r => r.DecidedByName, (string?)null)
                .SetProperty(r => r.DecidedAt, (DateTime?)null), ct);
        if (reopened != 1)
        {
            return CommandResult.Fail("Only a decided item can be reopened; this one is " + item.Status + ".");
        }
        // The decision being undone leaves the quality figures of the bucket it was counted in.
        var decided = await db.InferenceEvents.Where(e => e.Id == item.EventRowId)
            .Join(db.Paths, e => e.PathId, p => p.Id, (e, p) => new { e.ModelVersion, e.AttributesJson, p.BreakdownAttribute }).FirstAsync(ct);
        Metrics.RollupCounting.Apply(db, Metrics.RollupCounting.DecisionDeltas(
            Metrics.RollupKey.For(item.PathId, decided.ModelVersion, item.DecidedAt!.Value),
            Events.EventJson.Attribute(decided.AttributesJson, decided.BreakdownAttribute), item.Status, item.Reason, sign: -1));
        var slug = await db.Paths.Where(p => p.Id == item.PathId).Select(p => p.Slug).FirstAsync(ct);
        write.Record(AuditActor.From(user), "review.reopen", "review", itemId.ToString(), slug,
            new { status = item.Status, decidedBy = item.DecidedByName }, new { status = ReviewStatuses.Pending, round = item.Round + 1 });
        await write.CommitAsync(ct);
        notifier.Publish([new ReviewChange(item.PathId, itemId, ReviewChange.Reopened, ReviewStatuses.Pending, At: time.GetUtcNow().UtcDateTime)]);
        return CommandResult.Ok();
    }

    /// <summary>Reopening and exporting labels: admins, and owners of the path.</summary>
    public Task<bool> MayReopenAsync(ClaimsPrincipal user, int pathId, CancellationToken ct) =>
        MayAsync(user, PathAction.ReopenAndExport, pathId, ct);

    private async Task<bool> MayAsync(ClaimsPrincipal user, PathAction action, int pathId, CancellationToken ct)
    {
        if (Permissions.MayOnEveryPath(user, action))
        {
            return true;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var slug = await db.Paths.Where(p => p.Id == pathId).Select(p => p.Slug).FirstOrDefaultAsync(ct);
        return slug is not null && await permissions.MayAsync(user, action, slug, ct);
    }

    private static string? Validate(DecisionInput input, string? original, IReadOnlyList<string> pathTags)
    {
        if (input.Note is { Length: > MaxNote })
        {
            return $"The note is at most {MaxNote:N0} characters.";
        }
        return input.Decision switch
        {
            ReviewDecision.Correct when string.IsNullOrWhiteSpace(input.CorrectedOutput) => "A correction needs the corrected output.",
            ReviewDecision.Correct when input.CorrectedOutput == original => "The corrected output is the same as the original; approve it instead.",
            ReviewDecision.Reject when input.ReasonTags is not { Count: > 0 } => "Choose at least one reason tag for a rejection.",
            ReviewDecision.Reject when input.ReasonTags.FirstOrDefault(t => !pathTags.Contains(t)) is { } unknown =>
                $"'{unknown}' is not one of this path's reason tags ({string.Join(", ", pathTags)}).",
            _ => null,
        };
    }

    private async Task<ReviewItem?> FindAsync(long itemId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ReviewItems.AsNoTracking().FirstOrDefaultAsync(r => r.Id == itemId, ct);
    }

    /// <summary>The sentence for someone who lost a race: who holds the item, or who decided it.</summary>
    private async Task<string> WhyNotAsync(long itemId, CancellationToken ct, AppDbContext? db = null, string? userId = null)
    {
        ReviewItem? item;
        if (db is null)
        {
            item = await FindAsync(itemId, ct);
        }
        else
        {
            item = await db.ReviewItems.AsNoTracking().FirstOrDefaultAsync(r => r.Id == itemId, ct);
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (item is { Status: ReviewStatuses.Pending or ReviewStatuses.Claimed } && userId is not null)
        {
            await using var lookup = await dbFactory.CreateDbContextAsync(ct);
            if (await lookup.Labels.AnyAsync(l => l.ReviewItemId == itemId && l.Round == item.Round && l.ReviewerId == userId, ct))
            {
                return "You already decided this item; it is waiting for a different reviewer.";
            }
        }
        return item switch
        {
            null => "This item no longer exists.",
            { Status: var s } when ReviewStatuses.IsDecided(s) => $"Already {s} by {item.DecidedByName} at {item.DecidedAt:yyyy-MM-dd HH:mm} UTC.",
            { Status: ReviewStatuses.Claimed } when item.ClaimUntil >= now => $"Claimed by {item.ClaimedByName} until {item.ClaimUntil:HH:mm:ss} UTC.",
            _ => "Your claim on this item has run out; claim it again.",
        };
    }
}
