namespace OpsConsole.Client;

/// <summary>Exponential back-off delays.</summary>
internal static class Backoff
{
    /// <summary>
    /// "Full jitter": a random delay between zero and <c>initial · 2^attempt</c> (capped), so many
    /// clients that failed together do not come back together.
    /// </summary>
    public static TimeSpan FullJitter(int attempt, TimeSpan initial, TimeSpan max) => Ceiling(attempt, initial, max) * Random.Shared.NextDouble();

    /// <summary>Half the ceiling plus a random half: spread out, but never a tight loop.</summary>
    public static TimeSpan EqualJitter(int attempt, TimeSpan initial, TimeSpan max)
    {
        var ceiling = Ceiling(attempt, initial, max);
        return ceiling / 2 + ceiling / 2 * Random.Shared.NextDouble();
    }

    public static TimeSpan Ceiling(int attempt, TimeSpan initial, TimeSpan max)
    {
        // Past 2^30 the product overflows long before any sensible cap, so the cap answers.
        if (attempt >= 30)
        {
            return max;
        }
        var ticks = initial.Ticks * (1L << Math.Max(attempt, 0));
        return ticks <= 0 || ticks > max.Ticks ? max : TimeSpan.FromTicks(ticks);
    }
}
