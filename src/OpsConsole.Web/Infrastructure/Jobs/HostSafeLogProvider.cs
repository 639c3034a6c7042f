using Hangfire.Logging;

namespace OpsConsole.Web.Infrastructure.Jobs;

/// <summary>
/// Hangfire keeps one log provider for the whole process, set by the last host that configured it.
/// When that host stops (tests run many hosts in one process, one after another and side by side),
/// its logger factory is disposed and the next Hangfire component that asks for a logger would throw
/// <see cref="ObjectDisposedException"/> in a host that is still running. This provider answers such a
/// request with a logger that writes nothing instead. In a normal single-host process nothing changes.
/// </summary>
internal sealed class HostSafeLogProvider(ILoggerFactory loggerFactory) : ILogProvider
{
    private readonly Hangfire.AspNetCore.AspNetCoreLogProvider _inner = new(loggerFactory);

    public ILog GetLogger(string name)
    {
        try
        {
            return _inner.GetLogger(name);
        }
        catch (ObjectDisposedException)
        {
            return Silent.Instance;
        }
    }

    private sealed class Silent : ILog
    {
        public static readonly Silent Instance = new();

        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null) => false;
    }
}
