using OpsConsole.Web.Features.Dashboards;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Ingestion;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Web.Features.Metrics;

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
        if (db.Database.GetDbConnection() is NpgsqlConnection postgres)
        {
            PostgresRollupStore.Apply(postgres, CurrentPostgresTransaction(db), deltas);
            return;
        }
        var (connection, tx) = CurrentWrite(db);
        RollupStore.Apply(connection, tx, deltas);
    }

    /// <summary>
    /// The PostgreSQL transaction under an open EF transaction. Required: the bucket locks must hold
    /// until the counted rows commit, or another instance could merge into a stale sketch.
    /// </summary>
    internal static NpgsqlTransaction CurrentPostgresTransaction(AppDbContext db) =>
        db.Database.CurrentTransaction?.GetDbTransaction() as NpgsqlTransaction
        ?? throw new InvalidOperationException("Rollups and failure patterns are written inside the caller's transaction.");

    /// <summary>
    /// Keeps every other bucket write out until the caller's transaction ends (a rebuild reads the
    /// raw rows and replaces the buckets; an event counted in between would be lost). SQLite's write
    /// transaction already does this; PostgreSQL takes a table lock that still lets readers in.
    /// </summary>
    public static async Task LockBucketsAsync(AppDbContext db, CancellationToken ct)
    {
        if (db.Database.GetDbConnection() is NpgsqlConnection)
        {
            await db.Database.ExecuteSqlRawAsync("LOCK TABLE \"" + PathRollupConfiguration.Table + "\" IN EXCLUSIVE MODE", ct);
        }
    }

    /// <summary>The SQLite connection and transaction under an open EF transaction, for the raw rollup statements.</summary>
    public static (SqliteConnection Connection, SqliteTransaction Transaction) CurrentWrite(AppDbContext db) =>
        ((SqliteConnection)db.Database.GetDbConnection(), (SqliteTransaction)db.Database.CurrentTransaction!.GetDbTransaction());

    /// <summary>A decision's deltas: the whole path's bucket and, when the event has one, its segment's.</summary>
    public static Dictionary<RollupKey, RollupDelta> DecisionDeltas(RollupKey key, string? segment, string status, string reviewReason, int sign = 1)
    {
        var deltas = new Dictionary<RollupKey, RollupDelta>();
        AddDecision(At(deltas, key), status, reviewReason, sign);
        if (segment is not null)
        {
            AddDecision(At(deltas, key.ForSegment(segment)), status, reviewReason, sign);
        }
        return deltas;
    }
}
