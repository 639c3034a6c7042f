using Bunit;
using OpsConsole.Web.Components.Shared;

namespace OpsConsole.Tests.Components;

/// <summary>The chart component talks to its JS module: create once, update on new options, destroy on dispose.</summary>
public sealed class ApexChartTests : ComponentTestBase
{
    public ApexChartTests()
    {
        Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
    }

    [Fact]
    public async Task Lifecycle_CreateUpdateDestroy_ThroughTheModule()
    {
        var module = JSInterop.SetupModule("./lib/opsconsole/charts.js");
        module.SetupVoid("create", _ => true).SetVoidResult();
        module.SetupVoid("update", _ => true).SetVoidResult();
        module.SetupVoid("destroy", _ => true).SetVoidResult();
        var first = new { series = new[] { 1, 2, 3 } };

        var chart = Render<ApexChart>(p => p.Add(x => x.Options, first).Add(x => x.TestId, "c1"));
        chart.WaitForAssertion(() => Assert.Single(module.Invocations, i => i.Identifier == "create"));
        var sent = Assert.IsType<System.Text.Json.JsonElement>(module.Invocations.Single(i => i.Identifier == "create").Arguments[1]);
        Assert.Equal("""{"series":[1,2,3]}""", sent.GetRawText());

        chart.Render(p => p.Add(x => x.Options, new { series = new[] { 4 } }));
        chart.WaitForAssertion(() => Assert.Single(module.Invocations, i => i.Identifier == "update"));

        await DisposeComponentsAsync();
        Assert.Single(module.Invocations, i => i.Identifier == "destroy");
    }

    [Fact]
    public void Create_NonFiniteNumbers_SentAsNullsTheInteropSerialiserAccepts()
    {
        var module = JSInterop.SetupModule("./lib/opsconsole/charts.js");
        module.SetupVoid("create", _ => true).SetVoidResult();
        var options = new { series = new object[] { new { data = new object[] { new object[] { 1L, double.PositiveInfinity }, new object[] { 2L, double.NaN }, new object[] { 3L, 4.5 } } } } };

        var chart = Render<ApexChart>(p => p.Add(x => x.Options, options));

        chart.WaitForAssertion(() => Assert.Single(module.Invocations));
        // Blazor serialises interop arguments with the web defaults, which throw on infinity and NaN.
        var json = System.Text.Json.JsonSerializer.Serialize(module.Invocations.Single().Arguments[1], System.Text.Json.JsonSerializerOptions.Web);
        Assert.Equal("""{"series":[{"data":[[1,null],[2,null],[3,4.5]]}]}""", json);
    }

    [Fact]
    public void Render_SameOptions_NoSecondCall()
    {
        var module = JSInterop.SetupModule("./lib/opsconsole/charts.js");
        module.SetupVoid("create", _ => true).SetVoidResult();
        var options = new { series = new[] { 1 } };
        var chart = Render<ApexChart>(p => p.Add(x => x.Options, options));
        chart.Render(p => p.Add(x => x.Options, options));
        chart.WaitForAssertion(() => Assert.Single(module.Invocations));
    }

    [Fact]
    public void DarkMode_FromTheLayout_ReThemesTheChart()
    {
        var module = JSInterop.SetupModule("./lib/opsconsole/charts.js");
        module.SetupVoid("create", _ => true).SetVoidResult();
        module.SetupVoid("update", _ => true).SetVoidResult();
        var options = new { series = new[] { 1 } };

        var host = Render<Microsoft.AspNetCore.Components.CascadingValue<bool>>(p => p
            .Add(x => x.Name, "DarkMode").Add(x => x.Value, false)
            .AddChildContent<ApexChart>(c => c.Add(x => x.Options, options)));
        host.WaitForAssertion(() => Assert.False((bool)module.Invocations.Single(i => i.Identifier == "create").Arguments[2]!));

        host.Render(p => p.Add(x => x.Name, "DarkMode").Add(x => x.Value, true)
            .AddChildContent<ApexChart>(c => c.Add(x => x.Options, options)));
        host.WaitForAssertion(() => Assert.True((bool)module.Invocations.Single(i => i.Identifier == "update").Arguments[2]!));
    }

    [Fact]
    public void DarkMode_ArrivesWhileTheFirstDrawRuns_DrawnOnceThenReThemed()
    {
        var module = JSInterop.SetupModule("./lib/opsconsole/charts.js");
        var create = module.SetupVoid("create", _ => true);
        module.SetupVoid("update", _ => true).SetVoidResult();
        var options = new { series = new[] { 1 } };

        var host = Render<Microsoft.AspNetCore.Components.CascadingValue<bool>>(p => p
            .Add(x => x.Name, "DarkMode").Add(x => x.Value, false)
            .AddChildContent<ApexChart>(c => c.Add(x => x.Options, options)));
        host.WaitForAssertion(() => Assert.Single(module.Invocations, i => i.Identifier == "create"));

        // The layout learns the OS is dark while ApexCharts is still drawing the light chart.
        host.Render(p => p.Add(x => x.Name, "DarkMode").Add(x => x.Value, true)
            .AddChildContent<ApexChart>(c => c.Add(x => x.Options, options)));
        Assert.Single(module.Invocations, i => i.Identifier == "create");

        create.SetVoidResult();
        host.WaitForAssertion(() => Assert.True((bool)module.Invocations.Single(i => i.Identifier == "update").Arguments[2]!));
        Assert.Single(module.Invocations, i => i.Identifier == "create");
    }
}
