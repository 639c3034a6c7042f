using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using OpsConsole.Web.Features.Demo;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Host;

namespace OpsConsole.Tests.Infrastructure;

/// <summary>The options classes read the settings README documents, under the same names and with the same defaults.</summary>
public sealed class OptionsBindingTests
{
    private static T Bind<T>(string section, Dictionary<string, string?> settings) where T : new() =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(section).Get<T>() ?? new T();

    [Fact]
    public void Demo_Unset_DefaultsAndOnOnlyInDevelopment()
    {
        var demo = Bind<DemoOptions>(DemoOptions.Section, []);
        Assert.Equal((DemoOptions.DefaultPassword, DemoOptions.DefaultApiKey), (demo.Password, demo.ApiKey));
        Assert.Equal((true, 4, 10, true, 8, 10), (demo.Traffic.Enabled, demo.Traffic.EventsPerSecond, demo.Traffic.DriftAfterMinutes, demo.Traffic.ErrorBursts, demo.Traffic.HistoryDays, demo.Traffic.HistoryEveryMinutes));
        Assert.True(demo.IsEnabled(new Environment(Environments.Development)));
        Assert.False(demo.IsEnabled(new Environment(Environments.Production)));
    }

    [Fact]
    public void Demo_Set_ReadFromItsSettings()
    {
        var demo = Bind<DemoOptions>(DemoOptions.Section, new()
        {
            ["OpsConsole:Demo:Enabled"] = "false",
            ["OpsConsole:Demo:Password"] = "another demo password",
            ["OpsConsole:Demo:ApiKey"] = "ocs_another_demo_key_123",
            ["OpsConsole:Demo:Traffic:Enabled"] = "false",
            ["OpsConsole:Demo:Traffic:EventsPerSecond"] = "0.5",
        });
        Assert.False(demo.IsEnabled(new Environment(Environments.Development)));
        Assert.Equal(("another demo password", "ocs_another_demo_key_123"), (demo.Password, demo.ApiKey));
        Assert.Equal((false, 0.5), (demo.Traffic.Enabled, demo.Traffic.EventsPerSecond));
    }

    [Fact]
    public void Incidents_AckTimeout_DefaultThirtyOrSet()
    {
        Assert.Equal(30, Bind<IncidentsOptions>(IncidentsOptions.Section, []).AckTimeoutMinutes);
        Assert.Equal(5, Bind<IncidentsOptions>(IncidentsOptions.Section, new() { ["OpsConsole:Incidents:AckTimeoutMinutes"] = "5" }).AckTimeoutMinutes);
    }

    [Fact]
    public void Https_DefaultsOff_ProxiesListed()
    {
        var none = Bind<HttpsOptions>(HttpsOptions.Section, []);
        Assert.Equal((false, false, 0), (none.Hsts, none.RedirectToHttps, none.KnownProxies.Length));
        var set = Bind<HttpsOptions>(HttpsOptions.Section, new()
        {
            ["OpsConsole:Https:Hsts"] = "true",
            ["OpsConsole:Https:RedirectToHttps"] = "true",
            ["OpsConsole:Https:KnownProxies:0"] = "10.0.0.5",
            ["OpsConsole:Https:KnownProxies:1"] = "172.18.0.2",
        });
        Assert.Equal((true, true), (set.Hsts, set.RedirectToHttps));
        Assert.Equal(["10.0.0.5", "172.18.0.2"], set.KnownProxies);
    }

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "OpsConsole.Web";
        public string ContentRootPath { get; set; } = "";
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
