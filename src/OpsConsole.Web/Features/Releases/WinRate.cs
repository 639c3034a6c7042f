using OpsConsole.Web.Features.Review;

namespace OpsConsole.Web.Features.Releases;

/// <summary>
/// The candidate's pairwise win rate against stable: wins / (wins + losses), ties reported apart
/// (a tie says nothing about which is better, and counting it as half a win would pull every rate
/// towards 0.5 as reviewers say "same" more often). The interval is the Wilson score interval at
/// 95 % (z = 1.96): unlike the normal approximation it stays inside [0, 1] and is usable with the
/// handful of pairs a shadow sample yields. The gate (<see cref="CanaryTrial.MinWinRate"/>) compares
/// its <see cref="Low"/> bound, so a lucky few pairs do not let a candidate through.
/// </summary>
public sealed record WinRate(long Wins, long Ties, long Losses, double? Estimate, double Low, double High)
{
    public const double Z = 1.96;

    public long Decided => Wins + Ties + Losses;
    public long Decisive => Wins + Losses;

    public static WinRate Of(PairwiseCounts counts) => Of(counts.Wins, counts.Ties, counts.Losses);

    public static WinRate Of(long wins, long ties, long losses)
    {
        var n = wins + losses;
        if (n == 0)
        {
            return new WinRate(wins, ties, losses, null, 0, 1);
        }
        var (low, high) = Wilson(wins, n, Z);
        return new WinRate(wins, ties, losses, (double)wins / n, low, high);
    }

    /// <summary>The Wilson score interval of <paramref name="successes"/> in <paramref name="n"/> trials.</summary>
    public static (double Low, double High) Wilson(long successes, long n, double z)
    {
        var p = (double)successes / n;
        var z2 = z * z;
        var denominator = 1 + z2 / n;
        var centre = (p + z2 / (2.0 * n)) / denominator;
        var half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denominator;
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>"62 % (95 % CI 48–75 %), 40 decided pairs: 25 wins, 3 ties, 15 losses".</summary>
    public string Describe()
    {
        static string P(double v) => (v * 100).ToString("0", System.Globalization.CultureInfo.InvariantCulture) + " %";
        return Estimate is { } e
            ? $"{P(e)} (95 % CI {P(Low)}–{P(High)}), {Decided:N0} decided pairs: {Wins:N0} wins, {Ties:N0} ties, {Losses:N0} losses"
            : $"no decisive pair yet ({Ties:N0} ties)";
    }
}
