using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace OpsConsole.Web.Host;

/// <summary>Forwarded headers, HSTS and the HTTPS redirect, as <c>OpsConsole:Https</c> asks.</summary>
internal static class HostHttps
{
    public static WebApplicationBuilder AddHostHttps(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HttpsOptions>().Bind(builder.Configuration.GetSection(HttpsOptions.Section));
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<HttpsOptions>>((o, https) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Behind a reverse proxy on another host, list its address in OpsConsole:Https:KnownProxies.
            foreach (var proxy in https.Value.KnownProxies)
            {
                o.KnownProxies.Add(System.Net.IPAddress.Parse(proxy));
            }
        });
        builder.Services.AddHsts(o => o.MaxAge = TimeSpan.FromDays(365));
        return builder;
    }

    public static WebApplication UseHostHttps(this WebApplication app)
    {
        var https = app.Services.GetRequiredService<IOptions<HttpsOptions>>().Value;
        app.UseForwardedHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }
        if (https.Hsts)
        {
            app.UseHsts();
        }
        if (https.RedirectToHttps)
        {
            app.UseHttpsRedirection();
        }
        return app;
    }
}
