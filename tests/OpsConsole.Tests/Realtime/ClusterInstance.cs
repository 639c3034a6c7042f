using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Realtime;

namespace OpsConsole.Tests.Realtime;

/// <summary>
/// One console instance of a cluster: the first of a test creates the PostgreSQL database, the
/// others are built on the same database path and so run on the same database (see
/// <see cref="OpsConsoleFactory"/>). Each listens on Kestrel (the client library needs real sockets),
/// keeps its own key folder, and records its log lines.
/// </summary>
public sealed class ClusterInstance : OpsConsoleFactory
{
    public ClusterInstance(string? existingDatabase, string? redis)
        : base(existingDatabase)
    {
        if (redis is not null)
        {
            With(RealtimeFeature.RedisSetting, redis);
        }
        if (existingDatabase is not null)
        {
            // The audit checkpoints are kept per instance.
            With("OpsConsole:DataProtection:KeysPath", Path.Combine(Path.GetDirectoryName(existingDatabase)!, "keys-" + Guid.NewGuid().ToString("N")));
        }
    }

    public LogLines Logs { get; } = new();

    public Uri Address { get; private set; } = null!;

    public ClusterBus Bus => Services.GetRequiredService<ClusterBus>();

    public T Get<T>()
        where T : notnull => Services.GetRequiredService<T>();

    public ClusterInstance Start()
    {
        UseKestrel(0);
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Address = new Uri(address.Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1"));
        return this;
    }

    public HttpClient Http(string? bearer = null)
    {
        var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        if (bearer is not null)
        {
            http.DefaultRequestHeaders.Authorization = new("Bearer", bearer);
        }
        return http;
    }

    /// <summary>The Cookie header of a signed-in user, for a hub connection to this instance.</summary>
    public async Task<string> CookieAsync(string email)
    {
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = Address };
        return await SignIn.CookieHeaderAsync(http, email);
    }

    protected override void ConfigureTestServices(IServiceCollection services) => services.AddSingleton<ILoggerProvider>(Logs);

    /// <summary>Formatted log lines, for "logged once" checks.</summary>
    public sealed class LogLines : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Lines { get; } = new();

        public int Count(LogLevel level, string contains) => Lines.Count(l => l.Level == level && l.Message.Contains(contains, StringComparison.Ordinal));

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(LogLines lines, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Lines.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }
}

/// <summary>The servers the cluster tests need, from the test command's environment (<c>.ci/test-servers.sh</c>).</summary>
public static class ClusterServers
{
    /// <summary>
    /// Multi-instance tests need the shared database: they are marked <c>Provider=PostgresOnly</c>, so only
    /// the PostgreSQL pass runs them. Run on SQLite by hand, they fail saying so (never skip).
    /// </summary>
    public static void RequirePostgres()
    {
        if (!TestDatabase.IsPostgres)
        {
            throw new InvalidOperationException("Several instances share one PostgreSQL database; this runs in the PostgreSQL pass (OPSCONSOLE_TEST_PROVIDER=Postgres).");
        }
    }

    /// <summary>The test Redis with a channel prefix of its own, so parallel tests sharing the server never hear each other.</summary>
    public static string Redis() =>
        (Environment.GetEnvironmentVariable("OPSCONSOLE_TEST_REDIS") is { Length: > 0 } redis
            ? redis
            : throw new InvalidOperationException("The PostgreSQL pass needs OPSCONSOLE_TEST_REDIS (see .ci/test-servers.sh)."))
        + ",channelPrefix=t" + Guid.NewGuid().ToString("N")[..12];

    public static async Task<TimeSpan> UntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < timeout, $"timed out after {timeout.TotalSeconds:0.#} s waiting for {what}");
            await Task.Delay(2, TestContext.Current.CancellationToken);
        }
        return watch.Elapsed;
    }

    public static async Task<TimeSpan> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < timeout, $"timed out after {timeout.TotalSeconds:0.#} s waiting for {what}");
            await Task.Delay(2, TestContext.Current.CancellationToken);
        }
        return watch.Elapsed;
    }

    public static void Report(string figure)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(figure);
        if (Environment.GetEnvironmentVariable("OPSCONSOLE_TEST_FIGURES") is { Length: > 0 } file)
        {
            File.AppendAllText(file, $"{TestContext.Current.Test?.TestDisplayName}: {figure}{Environment.NewLine}");
        }
    }
}

/// <summary>
/// A Redis server of the test's own (redis-server on a free port), so a test can stop it and start it
/// again on the same port without disturbing the tests that share the test command's Redis.
/// </summary>
public sealed class OwnRedis : IAsyncDisposable
{
    private Process? _server;

    public int Port { get; } = FreePort();

    public string Connection => $"127.0.0.1:{Port}";

    public async Task StartAsync()
    {
        _server = Process.Start(new ProcessStartInfo("redis-server", ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        await ClusterServers.UntilAsync(() => Answers(), TimeSpan.FromSeconds(10), "redis-server to accept connections");
    }

    /// <summary>What the brief of the test asks for: <c>redis-cli -p PORT shutdown nosave</c>, then the process is gone.</summary>
    public async Task ShutdownAsync()
    {
        using var cli = Process.Start(new ProcessStartInfo("redis-cli", ["-p", Port.ToString(), "shutdown", "nosave"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        await cli.WaitForExitAsync(TestContext.Current.CancellationToken);
        await _server!.WaitForExitAsync(TestContext.Current.CancellationToken);
        _server.Dispose();
        _server = null;
    }

    private async Task<bool> Answers()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            await using var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var n = await stream.ReadAsync(buffer);
            return n >= 5 && buffer.AsSpan(0, 5).SequenceEqual("+PONG"u8);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is { HasExited: false } server)
        {
            server.Kill();
            await server.WaitForExitAsync();
        }
        _server?.Dispose();
    }
}
