using OpsConsole.Web.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using OpsConsole.Web.Features.Demo;

namespace OpsConsole.Web.Host;

internal static class StartupBanner
{
    public static void Print(WebApplication app)
    {
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OpsConsole");
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses)
        {
            log.LogInformation("OpsConsole is running at {Url}", address);
        }
        var demo = app.Services.GetRequiredService<IOptions<DemoOptions>>().Value;
        if (demo.IsEnabled(app.Environment))
        {
            log.LogInformation("Demo sign-in: admin@opsconsole.local (also owner@, owner2@, reviewer@, oncall@, viewer@) with password {Password}", demo.Password);
        }
    }
}
