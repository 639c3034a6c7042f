using System.Diagnostics;

namespace OpsConsole.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL and a Redis of a test's own (.ci/test-servers.sh), for fault tests that stop and start
/// them: the shared servers serve every other test running in parallel.
/// </summary>
public sealed class PrivateServers : IAsyncDisposable
{
    private readonly string _dir;

    private PrivateServers(string dir, string postgres, string redis)
    {
        _dir = dir;
        Postgres = postgres;
        Redis = redis;
    }

    /// <summary>Connection string to the server's <c>postgres</c> database.</summary>
    public string Postgres { get; }

    /// <summary>host:port of the Redis server.</summary>
    public string Redis { get; }

    public static async Task<PrivateServers> StartAsync()
    {
        var dir = (await ScriptAsync("start")).Trim().Split('\n')[^1].Trim();
        var env = File.ReadAllLines(Path.Combine(dir, "env"))
            .Select(l => l.Replace("export ", "", StringComparison.Ordinal).Split('=', 2))
            .ToDictionary(p => p[0], p => p[1].Trim('\''));
        return new PrivateServers(dir, env["OPSCONSOLE_TEST_POSTGRES"], env["OPSCONSOLE_TEST_REDIS"]);
    }

    /// <summary>Stops PostgreSQL as a crash would (immediate shutdown).</summary>
    public Task StopPostgresAsync() => ScriptAsync("pg-stop", _dir);

    /// <summary>Starts it again on the same port with the same data.</summary>
    public Task StartPostgresAsync() => ScriptAsync("pg-start", _dir);

    private static async Task<string> ScriptAsync(params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(RepoPaths.Root, ".ci", "test-servers.sh"), args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // A crash test counts acknowledged writes afterwards: PostgreSQL's durable defaults, not the fast test settings.
        psi.Environment["OPSCONSOLE_PG_DURABLE"] = "1";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"test-servers.sh {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}");
        }
        return await stdout;
    }

    public async ValueTask DisposeAsync() => await ScriptAsync("stop", _dir);
}
