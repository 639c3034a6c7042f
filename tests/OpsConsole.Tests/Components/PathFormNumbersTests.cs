using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure.Security;
using OpsConsole.Web.Features.PathEditor;

namespace OpsConsole.Tests.Components;

/// <summary>
/// Every number of the path form, typed into the real edit page and saved through the real service:
/// a value in range is stored as typed (percentages as fractions), any other is refused at its field
/// and nothing is saved. Nothing is ever clamped or rescaled.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PathFormNumbersTests : ComponentTestBase, IClassFixture<OpsConsoleFactory>
{
    private const string Slug = "support-reply-draft";
    private readonly OpsConsoleFactory _factory;

    public PathFormNumbersTests(OpsConsoleFactory factory)
    {
        _factory = factory;
        Services.AddSingleton(factory.Services.GetRequiredService<PathService>());
        Services.AddSingleton(factory.Services.GetRequiredService<OpsConsole.Web.Features.Otlp.TraceSettingsService>());
        Services.AddSingleton(factory.Services.GetRequiredService<OpsConsole.Web.Features.Budgets.BudgetService>());
        SignedInAs(AppRoles.Admin);
    }

    /// <summary>Field id, text typed, value expected in the database (stored units: fractions for percentages).</summary>
    public static TheoryData<string, string, double?> InRange => new()
    {
        { "confidence-threshold", "0.85", 0.85 },
        { "confidence-threshold", "1", 1 },
        { "confidence-threshold", "0", 0 },
        { "qa-sample-rate", "12.5", 0.125 },
        { "qa-sample-rate", "0", 0 },
        { "review-sla", "90", 90 },
        { "drift-window-hours", "48", 48 },
        { "drift-latency-ratio", "2.5", 2.5 },
        { "drift-cost-ratio", "1.25", 1.25 },
        { "drift-contain-percent", "10", 10 },
        { "drift-contain-percent", "0", 0 },
        { "drift-contain-percent", "", null },
        { "slo-p95", "1500", 1500 },
        { "slo-p95", "", null },
        { "slo-cost", "0.004", 0.004 },
        { "slo-quality", "85", 0.85 },
        { "slo-quality", "100", 1 },
        // 1.5 is 1.5 %, not a fraction to clamp to 100 %.
        { "slo-quality", "1.5", 0.015 },
        { "slo-quality", "", null },
        { "slo-error-rate", "1.5", 0.015 },
        { "slo-stale-context", "12.5", 0.125 },
        { "slo-stale-context", "", null },
        { "gate-min-decided", "250", 250 },
        { "gate-min-decided", "0", 0 },
        { "gate-min-quality", "92.5", 0.925 },
        { "gate-max-p95", "3000", 3000 },
        { "gate-max-cost", "0.03", 0.03 },
        { "gate-max-error", "0.5", 0.005 },
        { "context-freshness-0", "30", 30 },
    };

    /// <summary>Field id, text typed, the part of the field's message that names its range.</summary>
    public static TheoryData<string, string, string> OutOfRange => new()
    {
        { "confidence-threshold", "1.5", "from 0 to 1" },
        { "confidence-threshold", "85", "from 0 to 1" },
        { "confidence-threshold", "-0.1", "from 0 to 1" },
        { "confidence-threshold", "", "from 0 to 1" },
        { "qa-sample-rate", "150", "from 0 to 100" },
        { "qa-sample-rate", "-3", "from 0 to 100" },
        { "qa-sample-rate", "1,5", "from 0 to 100" },
        { "review-sla", "0", "from 1 to 43,200" },
        { "review-sla", "-3", "from 1 to 43,200" },
        { "review-sla", "1.5", "from 1 to 43,200" },
        { "review-sla", "43201", "from 1 to 43,200" },
        { "review-sla", "", "from 1 to 43,200" },
        { "drift-window-hours", "0", "from 1 to 168" },
        { "drift-window-hours", "169", "from 1 to 168" },
        { "drift-window-hours", "1.5", "from 1 to 168" },
        { "drift-latency-ratio", "1", "above 1" },
        { "drift-latency-ratio", "0", "above 1" },
        { "drift-latency-ratio", "-3", "above 1" },
        { "drift-latency-ratio", "101", "above 1" },
        { "drift-cost-ratio", "1", "above 1" },
        { "drift-cost-ratio", "abc", "above 1" },
        { "drift-contain-percent", "100", "from 0 to 99" },
        { "drift-contain-percent", "-3", "from 0 to 99" },
        { "drift-contain-percent", "1.5", "from 0 to 99" },
        { "slo-p95", "0", "from 1 to 3,600,000" },
        { "slo-p95", "-3", "from 1 to 3,600,000" },
        { "slo-p95", "1.5", "from 1 to 3,600,000" },
        { "slo-p95", "3600001", "from 1 to 3,600,000" },
        { "slo-cost", "-0.01", "from 0 to 1,000" },
        { "slo-cost", "1001", "from 0 to 1,000" },
        { "slo-quality", "150", "from 0 to 100" },
        { "slo-quality", "-3", "from 0 to 100" },
        { "slo-quality", "0,85", "from 0 to 100" },
        { "slo-error-rate", "101", "from 0 to 100" },
        { "slo-error-rate", "-1", "from 0 to 100" },
        { "slo-stale-context", "100.5", "from 0 to 100" },
        { "slo-stale-context", "-0.1", "from 0 to 100" },
        { "slo-stale-context", "ten", "from 0 to 100" },
        { "gate-min-decided", "-1", "from 0 to 1,000,000" },
        { "gate-min-decided", "1.5", "from 0 to 1,000,000" },
        { "gate-min-quality", "150", "from 0 to 100" },
        { "gate-min-quality", "-3", "from 0 to 100" },
        { "gate-max-p95", "0", "from 1 to 3,600,000" },
        { "gate-max-p95", "-5", "from 1 to 3,600,000" },
        { "gate-max-cost", "-1", "from 0 to 1,000" },
        { "gate-max-error", "101", "from 0 to 100" },
        { "gate-max-error", "-0.5", "from 0 to 100" },
        { "context-freshness-0", "0", "from 1 to 525,600" },
        { "context-freshness-0", "-3", "from 1 to 525,600" },
        { "context-freshness-0", "1.5", "from 1 to 525,600" },
        { "context-freshness-0", "525601", "from 1 to 525,600" },
    };

    [Fact]
    public void Render_EveryNumberFieldOfTheForm_CoveredByBothTheories()
    {
        // One freshness field per context source: the theories type into the first.
        // The budget section below the form has its own tests (BudgetComponentsTests).
        var rendered = OpenEditPage().FindAll("input[inputmode=numeric], input[inputmode=decimal]").Where(i => !i.Id!.StartsWith("budget-", StringComparison.Ordinal))
            .Select(i => i.Id!.StartsWith("context-freshness-", StringComparison.Ordinal) ? "context-freshness-0" : i.Id!).Distinct().Order().ToList();

        Assert.Equal(18, rendered.Count);
        Assert.Equal(rendered, FieldsIn(InRange));
        Assert.Equal(rendered, FieldsIn(OutOfRange));
    }

    private static List<string> FieldsIn(IEnumerable<ITheoryDataRow> data) => data.Select(r => (string)r.GetData()[0]!).Distinct().Order().ToList();

    [Theory]
    [MemberData(nameof(InRange))]
    public async Task Save_NumberInRange_StoredAsTypedAndShownAsTypedOnReload(string field, string typed, double? expected)
    {
        var page = OpenEditPage();
        // Awaited, so the click below finds the form as the change left it (a synchronous trigger may still be queued).
        await page.Find($"#{field}").ChangeAsync(new ChangeEventArgs { Value = typed });
        await page.Find("[data-testid=save-path]").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.EndsWith($"/paths/{Slug}", Services.GetRequiredService<NavigationManager>().Uri));
        Assert.Equal(expected, Stored(await LoadAsync(), field));
        Assert.Equal(typed, OpenEditPage().Find($"#{field}").GetAttribute("value") ?? "");
    }

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public async Task Save_NumberOutOfRange_RefusedAtTheFieldNothingSaved(string field, string typed, string range)
    {
        var before = await LoadAsync();
        var page = OpenEditPage();
        // Awaited, so the click below finds the form as the change left it (a synchronous trigger may still be queued).
        await page.Find($"#{field}").ChangeAsync(new ChangeEventArgs { Value = typed });
        await page.Find("[data-testid=save-path]").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.Contains(range, FieldText(page, field)));
        Assert.Equal("true", page.Find($"#{field}").GetAttribute("aria-invalid"));
        Assert.Equal(typed, page.Find($"#{field}").GetAttribute("value") ?? "");
        Assert.DoesNotContain("/paths/", Services.GetRequiredService<NavigationManager>().Uri);
        var after = await LoadAsync();
        Assert.Equal(before.UpdatedAt, after.UpdatedAt);
        Assert.Equal(Stored(before, field), Stored(after, field));
    }

    private IRenderedComponent<PathEditPage> OpenEditPage()
    {
        var page = Render<PathEditPage>(p => p.Add(x => x.Slug, Slug));
        page.WaitForElement("[data-testid=save-path]");
        return page;
    }

    /// <summary>The text around a field: its label, helper and error message.</summary>
    private static string FieldText(IRenderedComponent<PathEditPage> page, string field) =>
        page.Find($"#{field}").Closest(".mud-input-control")?.TextContent ?? "";

    private Task<OperatingPath> LoadAsync() => Db.QueryAsync(_factory, db => db.Paths.AsNoTracking().SingleAsync(p => p.Slug == Slug));

    private static double? Stored(OperatingPath p, string field) => field switch
    {
        "confidence-threshold" => p.ConfidenceThreshold,
        "qa-sample-rate" => p.QaSampleRate,
        "review-sla" => p.ReviewSlaMinutes,
        "drift-window-hours" => p.Drift.CurrentWindowHours,
        "drift-latency-ratio" => p.Drift.LatencyRatioAlert,
        "drift-cost-ratio" => p.Drift.CostRatioAlert,
        "drift-contain-percent" => p.Drift.ContainToPercent,
        "slo-p95" => p.Slo.P95LatencyMs,
        "slo-cost" => p.Slo.CostPerRequestUsd,
        "slo-quality" => p.Slo.QualityTarget,
        "slo-error-rate" => p.Slo.MaxErrorRate,
        "slo-stale-context" => p.Slo.MaxStaleContextRate,
        "gate-min-decided" => p.Gates.MinDecidedReviews,
        "gate-min-quality" => p.Gates.MinQuality,
        "gate-max-p95" => p.Gates.MaxP95LatencyMs,
        "gate-max-cost" => p.Gates.MaxCostPerRequestUsd,
        "gate-max-error" => p.Gates.MaxErrorRate,
        "context-freshness-0" => p.ContextSources[0].FreshnessSloMinutes,
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "not a numeric field of the path form"),
    };
}
