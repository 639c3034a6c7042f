using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Otlp;
using OpsConsole.Web.Features.Traces;

namespace OpsConsole.Tests.Features.Traces;

/// <summary>The path's model price table: every row checked and named, owners and admins only, audited.</summary>
[Trait("Category", "Integration")]
public sealed class ModelPriceTests : IntegrationTest
{
    private const string Slug = "support-reply-draft";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TraceSettingsService Settings => Factory.Services.GetRequiredService<TraceSettingsService>();

    [Fact]
    public async Task SetPrices_BadRowsNamed_NothingSaved_ThenValidTableReplacesTheOld()
    {
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var bad = await Settings.SetPricesAsync(Slug,
        [
            new ModelPriceInput { Model = "gpt-4o", InputUsdPerMillion = 2.5, OutputUsdPerMillion = 10 },
            new ModelPriceInput { Model = "gpt-4o", InputUsdPerMillion = 1, OutputUsdPerMillion = 1 },
            new ModelPriceInput { Model = "m-nan", InputUsdPerMillion = double.NaN, OutputUsdPerMillion = 1 },
            new ModelPriceInput { Model = "m-neg", InputUsdPerMillion = -1, OutputUsdPerMillion = 1 },
            new ModelPriceInput { Model = "  ", InputUsdPerMillion = 1, OutputUsdPerMillion = 1 },
            new ModelPriceInput { Model = "m-missing", InputUsdPerMillion = null, OutputUsdPerMillion = 1 },
        ], owner, Ct);
        Assert.False(bad.Succeeded);
        Assert.Equal(["row1", "row2", "row3", "row4", "row5"], bad.FieldErrors.Keys.Order());
        Assert.Contains("priced twice", bad.FieldErrors["row1"]);
        Assert.Empty(await Settings.PricesAsync(Slug, Ct));

        Assert.True((await Settings.SetPricesAsync(Slug, [new ModelPriceInput { Model = "a", InputUsdPerMillion = 1, OutputUsdPerMillion = 2 }], owner, Ct)).Succeeded);
        var ok = await Settings.SetPricesAsync(Slug, [new ModelPriceInput { Model = " gpt-4o ", InputUsdPerMillion = 2.5, OutputUsdPerMillion = 10 }], owner, Ct);
        Assert.True(ok.Succeeded, ok.Error);
        var prices = await Settings.PricesAsync(Slug, Ct);
        Assert.Equal(("gpt-4o", 2.5, 10.0), (prices.Single().Model, prices.Single().InputUsdPerMillion!.Value, prices.Single().OutputUsdPerMillion!.Value));
        var audited = await Db.QueryAsync(Factory, db => db.Set<Web.Features.Audit.AuditEntry>().CountAsync(a => a.Action == "path.prices", Ct));
        Assert.Equal(2, audited);
    }

    [Fact]
    public async Task SetPrices_Reviewer_Refused()
    {
        var reviewer = await Principals.ForAsync(Factory, TestUsers.Reviewer);
        var result = await Settings.SetPricesAsync(Slug, [new ModelPriceInput { Model = "x", InputUsdPerMillion = 1, OutputUsdPerMillion = 1 }], reviewer, Ct);
        Assert.False(result.Succeeded);
        Assert.Equal(0, await Db.QueryAsync(Factory, db => db.ModelPrices.CountAsync(Ct)));
    }
}
