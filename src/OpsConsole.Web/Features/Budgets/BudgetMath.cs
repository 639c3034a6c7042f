namespace OpsConsole.Web.Features.Budgets;

/// <summary>Spend in one period: USD and tokens (input + output).</summary>
public readonly record struct Spend(double Usd, long Tokens);

/// <summary>
/// One limit of a budget in one period as the card shows it: what was spent, the forecast to the
/// period's end, and where it stands.
/// </summary>
public sealed record BudgetLine(
    string Period, string Metric, DateTime PeriodStart, DateTime PeriodEnd, double Spent, double Limit, double? Forecast, BudgetState State, DateTime? ForecastBreachAt)
{
    public double Percent => BudgetMath.Percent(Spent, Limit);
}

public enum BudgetState
{
    Ok,
    /// <summary>The forecast reaches the limit before the period ends.</summary>
    ForecastBreach,
    /// <summary>A warning level is crossed.</summary>
    Warning,
    /// <summary>100 % spent.</summary>
    Exhausted,
}

/// <summary>The arithmetic of budgets: UTC periods, percentages, levels and the linear forecast.</summary>
public static class BudgetMath
{
    public const string Usd = "usd";
    public const string Tokens = "tokens";

    /// <summary>The forecast's rate is the spend of the last this-many hours (or of the period so far, if shorter).</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromHours(3);

    /// <summary>The start of the period holding <paramref name="at"/>: UTC midnight, or the first of the month.</summary>
    public static DateTime PeriodStart(string period, DateTime at) => period switch
    {
        BudgetPeriods.Day => new DateTime(at.Year, at.Month, at.Day, 0, 0, 0, DateTimeKind.Utc),
        BudgetPeriods.Month => new DateTime(at.Year, at.Month, 1, 0, 0, 0, DateTimeKind.Utc),
        _ => throw new ArgumentOutOfRangeException(nameof(period), period, "day or month"),
    };

    /// <summary>The (exclusive) end of the period starting at <paramref name="start"/>.</summary>
    public static DateTime PeriodEnd(string period, DateTime start) => period == BudgetPeriods.Day ? start.AddDays(1) : start.AddMonths(1);

    /// <summary>Spent as a percentage of the limit; a limit of 0 is spent by anything above nothing.</summary>
    public static double Percent(double spent, double limit) =>
        limit > 0 ? spent / limit * 100 : spent > 0 ? double.PositiveInfinity : 0;

    /// <summary>The levels (warnings, then 100) that <paramref name="percent"/> has reached, lowest first.</summary>
    public static IEnumerable<int> LevelsReached(double percent, int warn, int secondWarn)
    {
        foreach (var level in new[] { warn, secondWarn, 100 }.Distinct().Order())
        {
            if (percent >= level)
            {
                yield return level;
            }
        }
    }

    /// <summary>
    /// The linear forecast of the spend at the period's end: what is spent now plus the rate of the
    /// last <paramref name="window"/> (<paramref name="spentInWindow"/> over it) for the time left.
    /// Null when the window is empty (the period just began): nothing to extrapolate from.
    /// </summary>
    public static double? Forecast(double spent, double spentInWindow, TimeSpan window, DateTime now, DateTime periodEnd)
    {
        if (window <= TimeSpan.Zero)
        {
            return null;
        }
        var left = periodEnd - now;
        return left <= TimeSpan.Zero ? spent : spent + spentInWindow / window.TotalHours * left.TotalHours;
    }

    /// <summary>When the limit is reached at the window's rate, or null if it is already, or the rate is zero.</summary>
    public static DateTime? BreachAt(double spent, double limit, double spentInWindow, TimeSpan window, DateTime now)
    {
        if (spent >= limit || spentInWindow <= 0 || window <= TimeSpan.Zero)
        {
            return null;
        }
        var hours = (limit - spent) / (spentInWindow / window.TotalHours);
        return hours > 24 * 400 ? null : now.AddHours(hours);
    }

    /// <summary>The window the forecast reads: the last <see cref="RateWindow"/>, cut at the period's start.</summary>
    public static TimeSpan WindowFor(DateTime periodStart, DateTime now) => now - periodStart < RateWindow ? now - periodStart : RateWindow;

    public static BudgetLine Line(string period, string metric, DateTime now, double spent, double limit, double spentInWindow, int warn)
    {
        var start = PeriodStart(period, now);
        var end = PeriodEnd(period, start);
        var window = WindowFor(start, now);
        var forecast = Forecast(spent, spentInWindow, window, now, end);
        var percent = Percent(spent, limit);
        var breachAt = BreachAt(spent, limit, spentInWindow, window, now);
        var state = percent >= 100 ? BudgetState.Exhausted
            : percent >= warn ? BudgetState.Warning
            : breachAt is { } at && at < end ? BudgetState.ForecastBreach
            : BudgetState.Ok;
        return new BudgetLine(period, metric, start, end, spent, limit, forecast, state, breachAt is { } b && b < end ? b : null);
    }
}
