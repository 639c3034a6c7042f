using Bunit;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Budgets;
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Decisions;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Overview;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Components;

/// <summary>The overview sorts a path whose budget is spent with the breached SLOs, and says so on its row.</summary>
[Trait("Category", "Integration")]
public sealed class BudgetOverviewTests : FactoryComponentTest
{
    protected override async Task ArrangeAsync()
    {
        Use<PathService>();
        Use<DashboardService>();
        Use<OpsConsole.Web.Features.Metrics.MetricsQueries>();
        Use<ControlsService>();
        Use<ConfigChangeNotifier>();
        Use<ReviewNotifier>();
        Use<IncidentNotifier>();
        Use<TimeProvider>();
        Use<BudgetService>();
        await SignInAsync(TestUsers.Viewer, AppRoles.Viewer);
    }

    private static string[] Order(IRenderedComponent<PathsPage> page) =>
        [.. page.FindAll("[data-testid=paths-table] tr [data-slug]").Select(c => c.GetAttribute("data-slug")!)];

    [Fact]
    public async Task Overview_SpentBudget_SortsFirst_WithItsChip()
    {
        var ct = Xunit.TestContext.Current.CancellationToken;
        using var client = Factory.CreateClient();
        // Every path gets the same traffic; the one the overview puts last gets the spent budget.
        foreach (var slug in new[] { "invoice-field-extraction", "support-reply-draft", "ticket-triage" })
        {
            // Fast and cheap: within every demo path's SLOs.
            await Ingest.PostOkAsync(client, Ingest.Batch([.. Enumerable.Range(0, 5).Select(i =>
            {
                var e = Ingest.Event($"{slug}-{i}", slug);
                e["latencyMs"] = 50;
                e["costUsd"] = 0.0001;
                return (System.Text.Json.Nodes.JsonNode)e;
            })]));
        }
        var before = Render<PathsPage>();
        before.WaitForAssertion(() => Assert.Equal(3, Order(before).Length));
        var last = Order(before)[^1];
        Assert.Empty(before.FindAll("[data-testid=path-budget]"));
        Assert.DoesNotContain("SLO breached", before.Find("[data-testid=paths-table]").TextContent);

        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var saved = await Factory.Services.GetRequiredService<BudgetService>().SaveAsync(last, new BudgetInput(0.0001, null, null, null, 85, 95, BudgetAction.NotifyOnly, null, false), admin, ct);
        Assert.True(saved.Succeeded, saved.Error);
        var after = Render<PathsPage>();
        after.WaitForAssertion(() =>
        {
            Assert.Equal(last, Order(after)[0]);
            Assert.Contains("budget exhausted", after.Find("[data-testid=path-budget]").TextContent);
        });
    }
}
