using Bunit;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Budgets;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Components;

/// <summary>The budget form on the path page and the budget card on the dashboard, on the real services.</summary>
[Trait("Category", "Integration")]
public sealed class BudgetComponentsTests : FactoryComponentTest
{
    private const string Slug = "ticket-triage"; // rollout 50 %
    private BudgetService _budgets = null!;

    protected override async Task ArrangeAsync()
    {
        Use<PathService>();
        Use<EventsNotifier>();
        Use<TimeProvider>();
        _budgets = Use<BudgetService>();
        await SignInAsync(TestUsers.Owner, AppRoles.PathOwner);
    }

    private static void Type(IRenderedComponent<BudgetSection> s, string id, string text) => s.Find($"#{id}").Change(text);

    [Fact]
    public async Task Section_BadValues_MessagesAtTheirFields_NothingSaved()
    {
        var section = Render<BudgetSection>(p => p.Add(x => x.Slug, Slug));
        section.WaitForElement("#budget-daily-usd");
        Type(section, "budget-daily-usd", "-5");
        Type(section, "budget-monthly-usd", "Infinity");
        Type(section, "budget-daily-tokens", "lots");
        Type(section, "budget-warn", "0");
        Type(section, "budget-warn2", "101");
        section.Find("[data-testid=budget-save]").Click();
        // "lots" is not a number: refused at the form before the service sees anything.
        section.WaitForAssertion(() => Assert.Contains("Write a whole number", section.Markup));
        Type(section, "budget-daily-tokens", "");
        section.Find("[data-testid=budget-save]").Click();
        section.WaitForAssertion(() =>
        {
            Assert.Contains("A USD budget must be a number above 0", section.Markup);
            Assert.Contains("A warning threshold must be between 1 and 100 %", section.Markup);
            Assert.Contains("Fix the marked fields; nothing was saved.", section.Find("[data-testid=budget-error]").TextContent);
        });
        Assert.Null(await _budgets.GetAsync(Slug, Ct));
    }

    [Fact]
    public async Task Section_ValidBudget_Saved_AndTheCardShowsIt()
    {
        var section = Render<BudgetSection>(p => p.Add(x => x.Slug, Slug));
        section.WaitForElement("#budget-daily-usd");
        Type(section, "budget-daily-usd", "12.5");
        Type(section, "budget-monthly-tokens", "5000000");
        section.Find("[data-testid=budget-save]").Click();
        await WaitForAsync(async () => await _budgets.GetAsync(Slug, Ct) is { DailyUsd: 12.5, MonthlyTokens: 5_000_000, Action: BudgetAction.NotifyOnly });

        var card = Render<BudgetCard>(p => p.Add(x => x.Slug, Slug));
        card.WaitForAssertion(() =>
        {
            Assert.Contains("$0.00", card.Find("[data-testid=budget-day-usd] [data-testid=budget-spent]").TextContent);
            Assert.Contains("$12.50", card.Find("[data-testid=budget-day-usd] [data-testid=budget-spent]").TextContent);
            Assert.Contains("5,000,000", card.Find("[data-testid=budget-month-tokens]").TextContent);
            Assert.Contains("within budget", card.Find("[data-testid=budget-day-usd] [data-testid=budget-state]").TextContent);
        });
    }

    [Fact]
    public void Card_NoBudget_SaysSo()
    {
        var card = Render<BudgetCard>(p => p.Add(x => x.Slug, Slug));
        card.WaitForAssertion(() => Assert.Contains("No budget set", card.Find("[data-testid=budget-empty]").TextContent));
    }

    [Fact]
    public async Task Save_LowerRolloutToAboveTheCurrent_RefusedAtItsField()
    {
        var result = await _budgets.SaveAsync(Slug, new BudgetInput(3, null, null, null, 85, 95, BudgetAction.LowerRollout, 75, false),
            await Principals.ForAsync(Factory, TestUsers.Owner), Ct);
        Assert.Contains("never raise", result.FieldErrors["lowerToPercent"]);
        Assert.Null(await _budgets.GetAsync(Slug, Ct));
    }

    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100 && !await condition(); i++)
        {
            await Task.Delay(50, Ct);
        }
        Assert.True(await condition(), "the budget was not saved");
    }
}
