using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Ingestion;
using OpsConsole.Web.Features.Review;

namespace OpsConsole.Web.Features.Dashboards;

/// <summary>What one event or one decision adds to a bucket: the one definition the writer, the review service and the rebuild share.</summary>
public static class RollupCounting
{
    public static void AddEvent(RollupDelta d, string outcome, double? costUsd, long? inputTokens, long? outputTokens, double? latencyMs, double? confidence, string? routedAs)
    {
        d.Events++;
        switch (outcome)
        {
            case Outcomes.Ok: d.Ok++; break;
            case Outcomes.Error: d.Errors++; break;
            case Outcomes.Timeout: d.Timeouts++; break;
            case Outcomes.Fallback: d.Fallbacks++; break;
        }
        d.CostUsd += costUsd ?? 0;
        d.InputTokens = RollupDelta.SaturatingAdd(d.InputTokens, inputTokens ?? 0);
        d.OutputTokens = RollupDelta.SaturatingAdd(d.OutputTokens, outputTokens ?? 0);
        if (latencyMs is { } l)
        {
            d.Latency.Add(l);
        }
        if (confidence is { } c)
        {
            d.Confidence.Add(c);
        }
        switch (routedAs)
        {
            case ReviewReasons.LowConfidence: d.RoutedLowConfidence++; break;
            case ReviewReasons.Error: d.RoutedError++; break;
            case ReviewReasons.QaSample: d.RoutedQaSample++; break;
        }
    }

    /// <summary>The delta of a bucket in a commit's set, added on first use.</summary>
    public static RollupDelta At(Dictionary<RollupKey, RollupDelta> deltas, RollupKey key) =>
        deltas.TryGetValue(key, out var d) ? d : deltas[key] = new RollupDelta();

    /// <summary>Counts a final decision (<paramref name="sign"/> −1 takes it back when the item is reopened).</summary>
    public static void AddDecision(RollupDelta d, string status, string reviewReason, int sign = 1)
    {
        switch (status)
        {
            case ReviewStatuses.Approved: d.Approved += sign; break;
            case ReviewStatuses.Corrected: d.Corrected += sign; break;
            case ReviewStatuses.Rejected: d.Rejected += sign; break;
        }
        if (reviewReason == ReviewReasons.QaSample)
        {
            d.QaDecided += sign;
            d.QaApproved += status == ReviewStatuses.Approved ? sign : 0;
        }
    }

    /// <summary>Applies deltas inside an EF transaction (the review service's audited write).</summary>
    public static void Apply(AppDbContext db, IReadOnlyDictionary<RollupKey, RollupDelta> deltas)
    {
        var (connection, tx) = CurrentWrite(db);
        RollupStore.Apply(connection, tx, deltas);
    }

    /// <summary>The SQLite connection and transaction under an open EF transaction, for the raw rollup statements.</summary>
    public static (SqliteConnection Connection, SqliteTransaction Transaction) CurrentWrite(AppDbContext db) =>
        ((SqliteConnection)db.Database.GetDbConnection(), (SqliteTransaction)db.Database.CurrentTransaction!.GetDbTransaction());

    /// <summary>A decision's deltas: the whole path's bucket and, when the event has one, its segment's.</summary>
    public static Dictionary<RollupKey, RollupDelta> Decision(RollupKey key, string? segment, string status, string reviewReason, int sign = 1)
    {
        var deltas = new Dictionary<RollupKey, RollupDelta>();
        AddDecision(At(deltas, key), status, reviewReason, sign);
        if (segment is not null)
        {
            AddDecision(At(deltas, key.ForSegment(segment)), status, reviewReason, sign);
        }
        return deltas;
    }

    /// <summary>
    /// Recomputes a path's minute buckets (whole path and breakdown segments) from raw events and
    /// current decisions: the rebuild command, and the check that incremental rollups are right.
    /// </summary>
    public static async Task<Dictionary<RollupKey, RollupDelta>> ComputeAsync(AppDbContext db, int pathId, CancellationToken ct)
    {
        var breakdown = await db.Paths.Where(p => p.Id == pathId).Select(p => p.BreakdownAttribute).FirstOrDefaultAsync(ct);
        var byAttribute = !string.IsNullOrEmpty(breakdown);
        var deltas = new Dictionary<RollupKey, RollupDelta>();
        await foreach (var e in db.InferenceEvents.AsNoTracking().Where(e => e.PathId == pathId)
            .Select(e => new { e.ModelVersion, e.OccurredAt, e.Outcome, e.CostUsd, e.InputTokens, e.OutputTokens, e.LatencyMs, e.Confidence, e.ReviewReason, Attributes = byAttribute ? e.AttributesJson : null })
            .AsAsyncEnumerable().WithCancellation(ct))
        {
            var key = RollupKey.For(pathId, e.ModelVersion, e.OccurredAt);
            AddEvent(At(deltas, key), e.Outcome, e.CostUsd, e.InputTokens, e.OutputTokens, e.LatencyMs, e.Confidence, e.ReviewReason);
            if (EventJson.Attribute(e.Attributes, breakdown) is { } segment)
            {
                AddEvent(At(deltas, key.ForSegment(segment)), e.Outcome, e.CostUsd, e.InputTokens, e.OutputTokens, e.LatencyMs, e.Confidence, e.ReviewReason);
            }
        }
        var decided = await db.ReviewItems.AsNoTracking()
            .Where(r => r.PathId == pathId && r.DecidedAt != null
                && (r.Status == ReviewStatuses.Approved || r.Status == ReviewStatuses.Corrected || r.Status == ReviewStatuses.Rejected))
            .Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => new { r.Status, r.Reason, r.DecidedAt, e.ModelVersion, Attributes = byAttribute ? e.AttributesJson : null })
            .ToListAsync(ct);
        foreach (var r in decided)
        {
            foreach (var (key, d) in Decision(RollupKey.For(pathId, r.ModelVersion, r.DecidedAt!.Value), EventJson.Attribute(r.Attributes, breakdown), r.Status, r.Reason))
            {
                var target = At(deltas, key);
                target.Approved += d.Approved; target.Corrected += d.Corrected; target.Rejected += d.Rejected;
                target.QaApproved += d.QaApproved; target.QaDecided += d.QaDecided;
            }
        }
        return deltas;
    }

    /// <summary>
    /// Replaces a path's buckets with ones recomputed from raw data. Runs in one write transaction
    /// (SQLite's IMMEDIATE lock), so no event can be committed between the read and the replace.
    /// </summary>
    public static async Task RebuildAsync(AppDbContext db, int pathId, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var deltas = await ComputeAsync(db, pathId, ct);
        await db.PathRollups.Where(r => r.PathId == pathId).ExecuteDeleteAsync(ct);
        Apply(db, deltas);
        await tx.CommitAsync(ct);
    }
}
