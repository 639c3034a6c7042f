using Hangfire;
using OpsConsole.Web.Infrastructure.Jobs;

namespace OpsConsole.Web.Features.Budgets;

/// <summary>The budget sweep: every budget checked, and containments lifted at their period's reset.</summary>
public sealed class BudgetSweepJob(BudgetGuard guard)
{
    public const string Id = "budget-sweep";

    public Task<int> RunAsync(CancellationToken ct) => guard.SweepAsync(ct);
}

public static class BudgetsFeature
{
    public static WebApplicationBuilder AddBudgets(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<BudgetCache>();
        builder.Services.AddSingleton<BudgetService>();
        builder.Services.AddSingleton<BudgetGuard>();
        builder.Services.AddSingleton<Ingestion.IIngestionObserver>(sp => sp.GetRequiredService<BudgetGuard>());
        builder.Services.AddSingleton<Dashboards.IPathDashboardPanel, BudgetPanelSlot>();
        builder.Services.AddTransient<BudgetSweepJob>();
        builder.Services.AddRecurringJobs(jobs => jobs.AddOrUpdate<BudgetSweepJob>(BudgetSweepJob.Id, j => j.RunAsync(CancellationToken.None), Cron.Minutely()));
        return builder;
    }

    public static WebApplication MapBudgets(this WebApplication app)
    {
        app.MapBudgetsApi();
        return app;
    }
}

/// <summary>The budget card on the path dashboard (Dashboards lies below Budgets, so it renders what is registered).</summary>
internal sealed class BudgetPanelSlot : Dashboards.IPathDashboardPanel
{
    public int Order => 10;
    public Type Component => typeof(BudgetCard);
}
