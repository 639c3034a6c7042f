using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OpsConsole.E2E;

/// <summary>
/// One console as its own process on 127.0.0.1 and a free port, started from the build output of
/// these tests, with its output kept for the failure message.
/// </summary>
public sealed class ConsoleProcess : IAsyncDisposable
{
    private readonly StringBuilder _log = new();
    private readonly Process _process;

    private ConsoleProcess(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts the console with <paramref name="environment"/> on top of Development settings and waits for <c>/health/ready</c>.</summary>
    /// <param name="port">A port chosen beforehand (another process must know the console's address first); a free one otherwise.</param>
    public static async Task<ConsoleProcess> StartAsync(IReadOnlyDictionary<string, string> environment, TimeSpan? readyWithin = null, int? port = null)
    {
        var baseUrl = $"http://127.0.0.1:{port ?? FreePort()}";
        var psi = new ProcessStartInfo("dotnet", [AppFixture.WebDll, "--urls", baseUrl])
        {
            WorkingDirectory = AppFixture.WebDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }
        var console = new ConsoleProcess(Process.Start(psi)!, baseUrl);
        console._process.OutputDataReceived += (_, e) => console.Append(e.Data);
        console._process.ErrorDataReceived += (_, e) => console.Append(e.Data);
        console._process.BeginOutputReadLine();
        console._process.BeginErrorReadLine();
        try
        {
            // 120 s: on this 2-core machine a console once needed more than 60 s to start while the
            // load average stood near 10 (the fresh-clone run of 2026-12-03; alone it starts in a few seconds).
            await console.WaitReadyAsync(readyWithin ?? TimeSpan.FromSeconds(120));
        }
        catch
        {
            await console.DisposeAsync();
            throw;
        }
        return console;
    }

    private async Task WaitReadyAsync(TimeSpan within)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The console exited with {_process.ExitCode} before it was ready:\n{Log}");
            }
            try
            {
                if ((await http.GetAsync($"{BaseUrl}/health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The console was not ready within {within.TotalSeconds:0} s:\n{Log}");
            }
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
