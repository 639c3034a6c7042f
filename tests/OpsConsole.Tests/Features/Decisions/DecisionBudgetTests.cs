using Microsoft.Extensions.Time.Testing;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Decisions;

namespace OpsConsole.Tests.Features.Decisions;

/// <summary>The per-key decision budget on its own, with a clock the test moves.</summary>
public sealed class DecisionBudgetTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 4, 10, 0, 0, TimeSpan.Zero));

    private static ApiCaller Key(int id, int? perMinute) =>
        new(id, "svc-" + id, new HashSet<string> { ApiScopes.DecisionsRead }, new HashSet<string>(), true, perMinute);

    private static int Allowed(DecisionBudget budget, ApiCaller caller, int tries) =>
        Enumerable.Range(0, tries).Count(i => budget.TryTake(caller, out _));

    [Fact]
    public void TryTake_BudgetFive_AllowsFiveThenRefusesWithRetryAfterOfOneInterval()
    {
        var budget = new DecisionBudget(_clock);
        var key = Key(1, 5);

        Assert.Equal(5, Allowed(budget, key, 5));
        Assert.False(budget.TryTake(key, out var retryAfter));

        // Five a minute refill one every 12 s.
        Assert.Equal(TimeSpan.FromSeconds(12), retryAfter);
        Assert.Equal(12, DecisionBudget.RetryAfterSeconds(retryAfter));
    }

    [Fact]
    public void TryTake_TimeMoves_RefillsAtTheBudgetPerMinuteUpToOneMinutesWorth()
    {
        var budget = new DecisionBudget(_clock);
        var key = Key(1, 5);
        Assert.Equal(5, Allowed(budget, key, 6));

        _clock.Advance(TimeSpan.FromSeconds(11));
        Assert.False(budget.TryTake(key, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(1), retryAfter);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, Allowed(budget, key, 3));

        // A quiet hour does not bank more than a minute's worth.
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(5, Allowed(budget, key, 20));
    }

    [Fact]
    public void TryTake_RetryAfterHonoured_NextRequestAllowed()
    {
        var budget = new DecisionBudget(_clock);
        var key = Key(1, 7);
        Assert.Equal(7, Allowed(budget, key, 8));

        Assert.False(budget.TryTake(key, out var retryAfter));
        _clock.Advance(TimeSpan.FromSeconds(DecisionBudget.RetryAfterSeconds(retryAfter)));

        Assert.True(budget.TryTake(key, out _));
    }

    [Fact]
    public void TryTake_NoBudget_AlwaysAllowed()
    {
        var budget = new DecisionBudget(_clock);

        Assert.Equal(10_000, Allowed(budget, Key(1, null), 10_000));
    }

    [Fact]
    public void TryTake_OneKeyOverBudget_OtherKeysUnaffected()
    {
        var budget = new DecisionBudget(_clock);
        Assert.Equal(2, Allowed(budget, Key(1, 2), 10));

        Assert.Equal(2, Allowed(budget, Key(2, 2), 10));
        Assert.Equal(100, Allowed(budget, Key(3, null), 100));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(999_999)]
    [InlineData(1_000_000)]
    public void TryTake_AnyBudget_ExactlyThatManyInAnInstant(int perMinute)
    {
        var budget = new DecisionBudget(_clock);

        Assert.Equal(perMinute, Allowed(budget, Key(1, perMinute), perMinute + 10));
    }

    [Fact]
    public async Task TryTake_ManyThreadsAtOnce_ExactlyTheBudgetAllowed()
    {
        var budget = new DecisionBudget(_clock);
        var key = Key(1, 100);
        var allowed = 0;

        await Parallel.ForAsync(0, 2_000, TestContext.Current.CancellationToken, (_, _) =>
        {
            if (budget.TryTake(key, out _))
            {
                Interlocked.Increment(ref allowed);
            }
            return ValueTask.CompletedTask;
        });

        Assert.Equal(100, allowed);
    }

    [Fact]
    public void TryTake_HotPath_AllocatesNothing()
    {
        var budget = new DecisionBudget(_clock);
        var key = Key(1, 1_000_000);
        budget.TryTake(key, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            budget.TryTake(key, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(0.2, 1)]
    [InlineData(11.01, 12)]
    [InlineData(12.0, 12)]
    public void RetryAfterSeconds_Fraction_RoundedUpAndAtLeastOne(double seconds, int expected)
    {
        Assert.Equal(expected, DecisionBudget.RetryAfterSeconds(TimeSpan.FromSeconds(seconds)));
    }
}
