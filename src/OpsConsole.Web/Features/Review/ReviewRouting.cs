using OpsConsole.Web.Features.Ingestion;
using System.Runtime.CompilerServices;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Web.Features.Review;

public readonly record struct RouteDecision(string Reason, int Priority);

/// <summary>Which events need a person, and how urgently (DESIGN.md "Ingestion", routing).</summary>
public static class ReviewRouting
{
    /// <summary>
    /// Low confidence first, then failed calls that still produced output, then the QA sample of
    /// the remaining outputs (the unbiased estimate of quality nobody else looks at). An event
    /// without output has nothing for a person to judge and is never sampled.
    /// </summary>
    public static RouteDecision? Decide(PathRouting path, EventFields e)
    {
        string? reason = null;
        if (e.Confidence is { } c && c < path.ConfidenceThreshold)
        {
            reason = ReviewReasons.LowConfidence;
        }
        else if (e.Outcome is Outcomes.Error or Outcomes.Timeout && !e.Output.IsNullOrEmpty)
        {
            reason = ReviewReasons.Error;
        }
        else if (path.QaSampleRate > 0 && e.Outcome is Outcomes.Ok or Outcomes.Fallback && !e.Output.IsNullOrEmpty
            && SampleUnit(path.Slug, e.EventId) < path.QaSampleRate)
        {
            reason = ReviewReasons.QaSample;
        }
        return reason is null ? null : new RouteDecision(reason, Priority(e.Confidence));
    }

    /// <summary>0–100, rising as confidence falls; an output without a confidence is treated as unknown (most urgent).</summary>
    public static int Priority(double? confidence) =>
        confidence is { } c ? (int)Math.Round(100 * (1 - Math.Clamp(c, 0, 1))) : 100;

    /// <summary>
    /// A uniform number in [0, 1) fixed by path and event id, so a retried or replayed event gets
    /// the same sampling decision every time. FNV-1a over the UTF-16 code units, then the
    /// SplitMix64 finaliser to spread the bits.
    /// </summary>
    public static double SampleUnit(string pathSlug, string eventId)
    {
        var h = 14695981039346656037UL;
        h = Mix(h, pathSlug);
        h = (h ^ ':') * 1099511628211UL;
        h = Mix(h, eventId);
        h ^= h >> 30;
        h *= 0xbf58476d1ce4e5b9UL;
        h ^= h >> 27;
        h *= 0x94d049bb133111ebUL;
        h ^= h >> 31;
        return (h >> 11) * (1.0 / (1UL << 53));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong h, string s)
    {
        foreach (var c in s)
        {
            h = (h ^ c) * 1099511628211UL;
        }
        return h;
    }
}

/// <summary>
/// How a review item row is created. Ingestion runs this statement inside its own transaction (the
/// item commits with its event), but the row, its columns and its first status belong to Review.
/// </summary>
public static class ReviewItemRows
{
    /// <summary>Parameters: ?1 path id, ?2 event row id, ?3 reason, ?4 priority, ?5 created at, ?6 due at.</summary>
    public const string Insert =
        "INSERT INTO ReviewItems (PathId, EventRowId, Reason, Priority, Status, CreatedAt, DueAt) VALUES (?1, ?2, ?3, ?4, '" + ReviewStatuses.Pending + "', ?5, ?6)";

    /// <summary>
    /// The same rows on PostgreSQL, many per statement: arrays $1 path ids, $2 event row ids, $3 reasons,
    /// $4 priorities, $5 created at, $6 due at; returns each item's id with its event row id. The columns
    /// SQLite fills from column defaults are written here: the PostgreSQL schema has no defaults.
    /// </summary>
    public const string InsertPostgres =
        "INSERT INTO \"ReviewItems\" (\"PathId\", \"EventRowId\", \"Reason\", \"Priority\", \"Status\", \"CreatedAt\", \"DueAt\", \"ReasonTags\", \"Round\", \"DecisionCount\") " +
        "SELECT u.p, u.e, u.r, u.pr, '" + ReviewStatuses.Pending + "', u.c, u.d, '{}', 0, 0 FROM unnest($1, $2, $3, $4, $5, $6) AS u(p, e, r, pr, c, d) " +
        "RETURNING \"Id\", \"EventRowId\"";
}
