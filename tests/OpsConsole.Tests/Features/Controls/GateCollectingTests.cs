using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Tests.Features.Controls;

/// <summary>Gates right after the percentage changed: waiting for data, not failed.</summary>
[Trait("Category", "Integration")]
public sealed class GateCollectingTests : IntegrationTest
{
    private const string Slug = "ticket-triage";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ControlsService Controls => Factory.Services.GetRequiredService<ControlsService>();

    private async Task GatedAsync()
    {
        var paths = Factory.Services.GetRequiredService<PathService>();
        var p = (await paths.GetAsync(Slug, Ct))!.Path;
        var input = PathInput.From(p);
        input.Gates = new GatesInput { MinDecidedReviews = "10", MinQualityPercent = "90", MaxP95LatencyMs = "2000", NoOpenSev1OrSev2 = true };
        Assert.True((await paths.UpdateAsync(Slug, input, p.UpdatedAt, Principals.Admin("admin"), Ct)).Succeeded);
    }

    [Fact]
    public async Task Gates_PercentageJustChanged_MetricGatesCollectingSinceTheChange_NotPassed()
    {
        await GatedAsync();
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var percent = await Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == Slug).Select(p => p.RolloutPercent).SingleAsync(Ct));
        Assert.True((await Controls.DecreaseRolloutAsync(Slug, percent, percent - 1, "calmer rollout", owner, Ct)).Succeeded);
        var changedAt = await Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == Slug).Select(p => p.RolloutChangedAt).SingleAsync(Ct));

        var view = await Controls.GetAsync(Slug, owner, Ct);

        var metricGates = view!.Gates.Where(g => g.Gate is "decided reviews" or "quality" or "p95 latency").ToList();
        Assert.Equal(3, metricGates.Count);
        Assert.All(metricGates, g =>
        {
            Assert.Equal(changedAt, g.CollectingSince);
            Assert.StartsWith($"collecting data since {changedAt:yyyy-MM-dd HH:mm} UTC", g.Evidence);
            // No evidence is no pass: an increase still cannot be approved on it.
            Assert.False(g.Passed);
        });
        Assert.Contains("needs ≥ 90.0%", metricGates.Single(g => g.Gate == "quality").Evidence.Replace(" %", "%"));
        // A gate that needs no metrics is judged as always.
        var incident = view.Gates.Single(g => g.Gate == "no open SEV1/SEV2 incident");
        Assert.Null(incident.CollectingSince);
    }

    [Fact]
    public async Task Gates_PercentageChangedLongAgo_NoDataIsFailed()
    {
        await GatedAsync();
        await Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == Slug)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.RolloutChangedAt, DateTime.UtcNow.AddDays(-30)), Ct));
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);

        var view = await Controls.GetAsync(Slug, owner, Ct);

        Assert.All(view!.Gates, g => Assert.Null(g.CollectingSince));
    }
}
