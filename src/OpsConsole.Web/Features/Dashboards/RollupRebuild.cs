using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Features.Dashboards;

/// <summary>
/// Rollups recomputed from the raw record (events and the decisions on them): the rebuild command,
/// and the check that the incremental counting in the ingest and review transactions is right.
/// Above Review, since it reads both events and decisions.
/// </summary>
public static class RollupRebuild
{
    /// <summary>
    /// Recomputes a path's minute buckets (whole path and breakdown segments) from raw events and
    /// current decisions: the rebuild command, and the check that incremental rollups are right.
    /// </summary>
    public static async Task<Dictionary<RollupKey, RollupDelta>> ComputeAsync(AppDbContext db, int pathId, CancellationToken ct)
    {
        var breakdown = await db.Paths.Where(p => p.Id == pathId).Select(p => p.BreakdownAttribute).FirstOrDefaultAsync(ct);
        var byAttribute = !string.IsNullOrEmpty(breakdown);
        var deltas = new Dictionary<RollupKey, RollupDelta>();
        await foreach (var e in db.InferenceEvents.AsNoTracking().Where(e => e.PathId == pathId && e.ShadowOf == null)
            .Select(e => new { e.ModelVersion, e.OccurredAt, e.Outcome, e.CostUsd, e.InputTokens, e.OutputTokens, e.LatencyMs, e.Confidence, e.ReviewReason, Attributes = byAttribute ? e.AttributesJson : null })
            .AsAsyncEnumerable().WithCancellation(ct))
        {
            var key = RollupKey.For(pathId, e.ModelVersion, e.OccurredAt);
            RollupCounting.AddEvent(RollupCounting.At(deltas, key), e.Outcome, e.CostUsd, e.InputTokens, e.OutputTokens, e.LatencyMs, e.Confidence, e.ReviewReason);
            if (EventJson.Attribute(e.Attributes, breakdown) is { } segment)
            {
                RollupCounting.AddEvent(RollupCounting.At(deltas, key.ForSegment(segment)), e.Outcome, e.CostUsd, e.InputTokens, e.OutputTokens, e.LatencyMs, e.Confidence, e.ReviewReason);
            }
        }
        var decided = await db.ReviewItems.AsNoTracking()
            .Where(r => r.PathId == pathId && r.DecidedAt != null
                && (r.Status == ReviewStatuses.Approved || r.Status == ReviewStatuses.Corrected || r.Status == ReviewStatuses.Rejected))
            .Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => new { r.Status, r.Reason, r.DecidedAt, e.ModelVersion, Attributes = byAttribute ? e.AttributesJson : null })
            .ToListAsync(ct);
        foreach (var r in decided)
        {
            foreach (var (key, d) in RollupCounting.DecisionDeltas(RollupKey.For(pathId, r.ModelVersion, r.DecidedAt!.Value), EventJson.Attribute(r.Attributes, breakdown), r.Status, r.Reason))
            {
                var target = RollupCounting.At(deltas, key);
                target.Approved += d.Approved; target.Corrected += d.Corrected; target.Rejected += d.Rejected;
                target.QaApproved += d.QaApproved; target.QaDecided += d.QaDecided;
            }
        }
        return deltas;
    }

    /// <summary>
    /// Replaces a path's buckets with ones recomputed from raw data. Runs in one write transaction
    /// (SQLite's IMMEDIATE lock; on PostgreSQL a lock on the buckets taken before the read), so no
    /// event can be counted between the read and the replace.
    /// </summary>
    public static async Task RebuildAsync(AppDbContext db, int pathId, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await RollupCounting.LockBucketsAsync(db, ct);
        var deltas = await ComputeAsync(db, pathId, ct);
        await db.PathRollups.Where(r => r.PathId == pathId).ExecuteDeleteAsync(ct);
        RollupCounting.Apply(db, deltas);
        await tx.CommitAsync(ct);
    }
}
