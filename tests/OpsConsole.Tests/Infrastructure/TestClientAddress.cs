using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace OpsConsole.Tests.Infrastructure;

/// <summary>
/// The test server has no socket, so every request would come from the same (null) address. A test
/// that needs several clients names the address in a header that only this test-only filter reads;
/// it runs first, where the connection's address would be set by Kestrel.
/// </summary>
public sealed class TestClientAddress : IStartupFilter
{
    public const string Header = "X-Test-Remote-Address";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((ctx, nextMiddleware) =>
        {
            if (IPAddress.TryParse(ctx.Request.Headers[Header].ToString(), out var address))
            {
                ctx.Connection.RemoteIpAddress = address;
            }
            return nextMiddleware(ctx);
        });
        next(app);
    };
}
