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
        d.InputTokens += inputTokens ?? 0;
        d.OutputTokens += outputTokens ?? 0;
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

    /// <summary>
    /// Recomputes a path's minute buckets from raw events and current decisions, replacing what is
    /// stored (the rebuild command, and the check that incremental rollups are right).
    /// </summary>
    public static async Task<Dictionary<RollupKey, RollupDelta>> ComputeAsync(AppDbContext db, int pathId, CancellationToken ct)
    {
        var deltas = new Dictionary<RollupKey, RollupDelta>();
        RollupDelta At(RollupKey key) => deltas.TryGetValue(key, out var d) ? d : deltas[key] = new RollupDelta();
        await foreach (var e in db.InferenceEvents.AsNoTracking().Where(e => e.PathId == pathId)
            .Select(e => new { e.ModelVersion, e.OccurredAt, e.Outcome, e.CostUsd, e.InputTokens, e.OutputTokens, e.LatencyMs, e.Confidence, e.ReviewReason })
            .AsAsyncEnumerable().WithCancellation(ct))
        {
            AddEvent(At(RollupKey.For(pathId, e.ModelVersion, e.OccurredAt)), e.Outcome, e.CostUsd, e.InputTokens, e.OutputTokens, e.LatencyMs, e.Confidence, e.ReviewReason);
        }
        var decided = await db.ReviewItems.AsNoTracking()
            .Where(r => r.PathId == pathId && r.DecidedAt != null
                && (r.Status == ReviewStatuses.Approved || r.Status == ReviewStatuses.Corrected || r.Status == ReviewStatuses.Rejected))
            .Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => new { r.Status, r.Reason, r.DecidedAt, e.ModelVersion })
            .ToListAsync(ct);
        foreach (var r in decided)
        {
            AddDecision(At(RollupKey.For(pathId, r.ModelVersion, r.DecidedAt!.Value)), r.Status, r.Reason);
        }
        return deltas;
    }

    public static async Task RebuildAsync(AppDbContext db, int pathId, CancellationToken ct)
    {
        var deltas = await ComputeAsync(db, pathId, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.PathRollups.Where(r => r.PathId == pathId).ExecuteDeleteAsync(ct);
        Apply(db, deltas);
        await tx.CommitAsync(ct);
    }
}
