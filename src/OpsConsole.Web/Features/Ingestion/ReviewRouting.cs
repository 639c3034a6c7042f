using System.Runtime.CompilerServices;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Review;

namespace OpsConsole.Web.Features.Ingestion;

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
