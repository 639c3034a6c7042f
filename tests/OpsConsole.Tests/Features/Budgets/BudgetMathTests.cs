using OpsConsole.Client;
using OpsConsole.Web.Features.Budgets;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Ofrep;

namespace OpsConsole.Tests.Features.Budgets;

/// <summary>Periods, percentages, levels and the forecast on hand-checked cases; the input rules; the decision's reason.</summary>
public sealed class BudgetMathTests
{
    private static DateTime Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) => new(y, mo, d, h, mi, s, DateTimeKind.Utc);

    [Theory]
    [InlineData(2026, 12, 4, 23, 59, 59, 2026, 12, 4, 2026, 12, 5)]
    [InlineData(2026, 12, 5, 0, 0, 0, 2026, 12, 5, 2026, 12, 6)]
    [InlineData(2028, 2, 29, 12, 0, 0, 2028, 2, 29, 2028, 3, 1)]
    [InlineData(2026, 12, 31, 23, 0, 0, 2026, 12, 31, 2027, 1, 1)]
    public void Day_IsTheUtcCalendarDay(int y, int mo, int d, int h, int mi, int s, int sy, int smo, int sd, int ey, int emo, int ed)
    {
        var start = BudgetMath.PeriodStart(BudgetPeriods.Day, Utc(y, mo, d, h, mi, s));
        Assert.Equal(Utc(sy, smo, sd), start);
        Assert.Equal(Utc(ey, emo, ed), BudgetMath.PeriodEnd(BudgetPeriods.Day, start));
    }

    [Theory]
    [InlineData(2028, 2, 29, 2028, 2, 1, 2028, 3, 1)] // leap year: February has 29 days
    [InlineData(2027, 2, 28, 2027, 2, 1, 2027, 3, 1)]
    [InlineData(2026, 12, 31, 2026, 12, 1, 2027, 1, 1)]
    [InlineData(2026, 1, 1, 2026, 1, 1, 2026, 2, 1)]
    public void Month_IsTheUtcCalendarMonth(int y, int mo, int d, int sy, int smo, int sd, int ey, int emo, int ed)
    {
        var start = BudgetMath.PeriodStart(BudgetPeriods.Month, Utc(y, mo, d, 23, 59, 59));
        Assert.Equal(Utc(sy, smo, sd), start);
        Assert.Equal(Utc(ey, emo, ed), BudgetMath.PeriodEnd(BudgetPeriods.Month, start));
        Assert.Equal((Utc(ey, emo, ed) - Utc(sy, smo, sd)).TotalDays, (BudgetMath.PeriodEnd(BudgetPeriods.Month, start) - start).TotalDays);
    }

    [Fact]
    public void LeapMonth_Has29Days_AndTheDaysPeriodsTileIt()
    {
        var start = BudgetMath.PeriodStart(BudgetPeriods.Month, Utc(2028, 2, 15));
        Assert.Equal(29, (BudgetMath.PeriodEnd(BudgetPeriods.Month, start) - start).TotalDays);
        var days = 0;
        for (var d = start; d < BudgetMath.PeriodEnd(BudgetPeriods.Month, start); d = BudgetMath.PeriodEnd(BudgetPeriods.Day, d))
        {
            days++;
        }
        Assert.Equal(29, days);
    }

    [Theory]
    [InlineData(85, 100, 85)]
    [InlineData(0, 100, 0)]
    [InlineData(12.5, 50, 25)]
    [InlineData(150, 100, 150)]
    public void Percent_HandChecked(double spent, double limit, double expected) => Assert.Equal(expected, BudgetMath.Percent(spent, limit), 9);

    [Fact]
    public void Percent_OfAZeroLimit_IsInfiniteOnceAnythingIsSpent()
    {
        Assert.Equal(0, BudgetMath.Percent(0, 0));
        Assert.True(double.IsPositiveInfinity(BudgetMath.Percent(0.01, 0)));
    }

    [Theory]
    [InlineData(84.99, new int[0])]
    [InlineData(85, new[] { 85 })]
    [InlineData(94.9, new[] { 85 })]
    [InlineData(95, new[] { 85, 95 })]
    [InlineData(100, new[] { 85, 95, 100 })]
    [InlineData(1e9, new[] { 85, 95, 100 })]
    public void LevelsReached_DefaultWarnings(double percent, int[] expected) =>
        Assert.Equal(expected, BudgetMath.LevelsReached(percent, 85, 95));

    [Fact]
    public void LevelsReached_EqualWarningsOrAWarningAt100_CountOnce() =>
        Assert.Equal([90, 100], BudgetMath.LevelsReached(100, 90, 90).Concat(BudgetMath.LevelsReached(50, 100, 100)));

    [Fact]
    public void Forecast_LinearOnTheWindowsRate()
    {
        // $6 spent by 12:00; $1.50 in the last 3 hours = $0.50/h; 12 hours left → 6 + 6 = 12.
        var now = Utc(2026, 12, 4, 12);
        Assert.Equal(12, BudgetMath.Forecast(6, 1.5, TimeSpan.FromHours(3), now, Utc(2026, 12, 5))!.Value, 9);
        // Nothing in the window: the spend stays where it is.
        Assert.Equal(6, BudgetMath.Forecast(6, 0, TimeSpan.FromHours(3), now, Utc(2026, 12, 5))!.Value, 9);
        // At the period's very start there is no window to read a rate from.
        Assert.Null(BudgetMath.Forecast(0, 0, TimeSpan.Zero, Utc(2026, 12, 4), Utc(2026, 12, 5)));
    }

    [Fact]
    public void WindowFor_IsCutAtThePeriodsStart()
    {
        Assert.Equal(TimeSpan.FromHours(3), BudgetMath.WindowFor(Utc(2026, 12, 4), Utc(2026, 12, 4, 12)));
        Assert.Equal(TimeSpan.FromMinutes(90), BudgetMath.WindowFor(Utc(2026, 12, 4), Utc(2026, 12, 4, 1, 30)));
    }

    [Fact]
    public void BreachAt_HandChecked()
    {
        // $8 of $10, $1 per hour → 2 hours from now.
        var now = Utc(2026, 12, 4, 12);
        Assert.Equal(Utc(2026, 12, 4, 14), BudgetMath.BreachAt(8, 10, 3, TimeSpan.FromHours(3), now));
        Assert.Null(BudgetMath.BreachAt(10, 10, 3, TimeSpan.FromHours(3), now)); // already reached
        Assert.Null(BudgetMath.BreachAt(8, 10, 0, TimeSpan.FromHours(3), now)); // no rate
    }

    [Fact]
    public void Line_States_FromOkToExhausted()
    {
        var now = Utc(2026, 12, 4, 12);
        // $2 of $10 at $0.10/h: forecast 3.2, no breach.
        Assert.Equal(BudgetState.Ok, BudgetMath.Line(BudgetPeriods.Day, BudgetMath.Usd, now, 2, 10, 0.3, 85).State);
        // $5 of $10 at $1/h: reaches 10 at 17:00, before midnight → forecast breach, a warning before it happens.
        var forecast = BudgetMath.Line(BudgetPeriods.Day, BudgetMath.Usd, now, 5, 10, 3, 85);
        Assert.Equal(BudgetState.ForecastBreach, forecast.State);
        Assert.Equal(Utc(2026, 12, 4, 17), forecast.ForecastBreachAt);
        Assert.Equal(17, forecast.Forecast!.Value, 9);
        Assert.Equal(BudgetState.Warning, BudgetMath.Line(BudgetPeriods.Day, BudgetMath.Usd, now, 8.5, 10, 0, 85).State);
        Assert.Equal(BudgetState.Exhausted, BudgetMath.Line(BudgetPeriods.Day, BudgetMath.Usd, now, 10, 10, 0, 85).State);
    }

    [Fact]
    public void SpendDeltas_CountEveryPeriod_SaturateTokens_IgnoreNonFiniteCost()
    {
        var d = new SpendDeltas();
        var at = Utc(2026, 12, 4, 13, 59, 59);
        d.Add(1, at, 0.25, 100, 50);
        d.Add(1, at.AddSeconds(1), 0.25, long.MaxValue, 10); // the next hour, same day
        d.Add(1, at, double.NaN, null, null);
        d.Add(1, at, double.PositiveInfinity, -5, null);
        var rows = d.Rows.ToDictionary(r => (r.Key.Period, r.Key.Start), r => r.Value);
        Assert.Equal(4, rows.Count);
        Assert.Equal((0.5, long.MaxValue, 4L), rows[("day", Utc(2026, 12, 4))]);
        Assert.Equal((0.5, long.MaxValue, 4L), rows[("month", Utc(2026, 12, 1))]);
        Assert.Equal((0.25, 150L, 3L), rows[("hour", Utc(2026, 12, 4, 13))]);
        Assert.Equal((0.25, long.MaxValue, 1L), rows[("hour", Utc(2026, 12, 4, 14))]);
    }

    [Fact]
    public void Validate_RefusesNegativeNonFiniteAndOutOfRange_PerField()
    {
        var ok = new BudgetInput(10, 1_000_000, 200, null, 85, 95, BudgetAction.LowerRollout, 10, true);
        Assert.Empty(BudgetService.Validate(ok, rolloutPercent: 50));
        var bad = new BudgetInput(-1, 0, double.NaN, -5, 0, 101, BudgetAction.LowerRollout, 60, false);
        var errors = BudgetService.Validate(bad, rolloutPercent: 50);
        Assert.Equal(["dailyTokens", "dailyUsd", "lowerToPercent", "monthlyTokens", "monthlyUsd", "secondWarnPercent", "warnPercent"], errors.Keys.Order());
        Assert.Contains("never raise", errors["lowerToPercent"]);
        Assert.Contains("above 0", BudgetService.Validate(ok with { DailyUsd = double.PositiveInfinity }, 50)["dailyUsd"]);
        Assert.Contains("above 0", BudgetService.Validate(ok with { DailyUsd = double.NegativeInfinity }, 50)["dailyUsd"]);
        Assert.Contains("above 0", BudgetService.Validate(ok with { DailyUsd = 2e9 }, 50)["dailyUsd"]);
        Assert.Contains("at or above the first", BudgetService.Validate(ok with { WarnPercent = 90, SecondWarnPercent = 80 }, 50)["secondWarnPercent"]);
        Assert.Contains("Give the percentage", BudgetService.Validate(ok with { LowerToPercent = null }, 50)["lowerToPercent"]);
        Assert.Contains("never raise", BudgetService.Validate(ok with { LowerToPercent = 50 }, 50)["lowerToPercent"]);
        Assert.Contains("nothing to lower", BudgetService.Validate(ok with { LowerToPercent = 0 }, 0)["lowerToPercent"]);
        Assert.Contains("action", BudgetService.Validate(ok with { Action = (BudgetAction)42 }, 50)["action"]);
        // The limits at their bounds are accepted; the other actions need no percentage.
        Assert.Empty(BudgetService.Validate(ok with { WarnPercent = 1, SecondWarnPercent = 100, DailyUsd = 1e9, MonthlyTokens = BudgetService.MaxTokens }, 50));
        Assert.Empty(BudgetService.Validate(ok with { Action = BudgetAction.KillSwitch, LowerToPercent = 999 }, 50));
    }

    [Fact]
    public void Decide_ContainedByBudget_SaysBudgetExhausted()
    {
        var killed = new PathConfig("p", true, 50, 3, "rules") { ContainedBy = Containments.Budget };
        Assert.Equal((false, DecisionReasons.BudgetExhausted), Pair(Rollout.Decide(killed, "u1")));
        Assert.Equal((false, DecisionReasons.BudgetExhausted), Pair(Rollout.Decide(killed, null)));
        Assert.Equal(OfrepReasons.Disabled, OfrepReasons.Of(killed, Rollout.Decide(killed, "u1")));
        // Lowered to 0 %: everyone is off for the budget; lowered to 10 %: units outside are off for it, units inside stay on.
        var zero = new PathConfig("p", false, 0, 3, "rules") { ContainedBy = Containments.Budget };
        Assert.Equal((false, DecisionReasons.BudgetExhausted), Pair(Rollout.Decide(zero, "u1")));
        var ten = new PathConfig("p", false, 10, 3, "rules") { ContainedBy = Containments.Budget };
        var units = Enumerable.Range(0, 400).Select(i => "unit-" + i).ToList();
        Assert.All(units, u =>
        {
            var d = Rollout.Decide(ten, u);
            Assert.Equal(Rollout.Bucket("p", u) <= 10, d.Enabled);
            Assert.Equal(d.Enabled ? DecisionReasons.InRollout : DecisionReasons.BudgetExhausted, d.Reason);
            Assert.Equal(d.Enabled, Rollout.IsEnabled(ten, u));
        });
        // Without the budget mark, the usual reasons.
        Assert.Equal(DecisionReasons.KillSwitch, Rollout.Decide(killed with { ContainedBy = null }, "u1").Reason);
    }

    private static (bool, string) Pair(Decision d) => (d.Enabled, d.Reason);
}
