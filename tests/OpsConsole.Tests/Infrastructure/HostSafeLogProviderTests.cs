using Microsoft.Extensions.Logging;
using OpsConsole.Web.Infrastructure.Jobs;

namespace OpsConsole.Tests.Infrastructure;

/// <summary>
/// Hangfire's log provider is process-wide; a stopped host's disposed logger factory must not throw in a
/// host still running (seen as ObjectDisposedException from RecurringJobManager in the PostgreSQL test run).
/// </summary>
public sealed class HostSafeLogProviderTests
{
    [Fact]
    public void GetLogger_FactoryOfAStoppedHost_SilentLoggerInsteadOfException()
    {
        var factory = LoggerFactory.Create(_ => { });
        var provider = new HostSafeLogProvider(factory);
        Assert.NotNull(provider.GetLogger("before"));
        factory.Dispose();

        var log = provider.GetLogger("Hangfire.RecurringJobManager");

        Assert.False(log.Log(Hangfire.Logging.LogLevel.Error, () => "nobody hears this"));
        // The plain provider throws here: this is what the wrapper is for.
        Assert.Throws<ObjectDisposedException>(() => new Hangfire.AspNetCore.AspNetCoreLogProvider(factory).GetLogger("x"));
    }
}
