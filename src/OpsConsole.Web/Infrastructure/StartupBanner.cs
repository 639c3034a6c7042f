using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using OpsConsole.Web.Features.Demo;

namespace OpsConsole.Web.Infrastructure;

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
        if (DemoOptions.IsEnabled(app.Configuration, app.Environment))
        {
            var password = app.Configuration["OpsConsole:Demo:Password"] ?? DemoOptions.DefaultPassword;
            log.LogInformation("Demo sign-in: admin@opsconsole.local (also owner@, owner2@, reviewer@, oncall@, viewer@) with password {Password}", password);
        }
    }
}
