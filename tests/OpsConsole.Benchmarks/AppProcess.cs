using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OpsConsole.Benchmarks;

/// <summary>Thrown when the benchmark cannot produce a trustworthy figure; the run exits non-zero.</summary>
public sealed class BenchmarkFailedException(string message) : Exception(message);

/// <summary>The web app's build output, copied so the concurrent build of the real folder cannot disturb the run.</summary>
public sealed record AppBuild(string SourceDirectory, string Configuration, DateTime BuiltAtUtc, string AppDirectory)
{
    public const string DllName = "OpsConsole.Web.dll";

    /// <summary>
    /// Finds the repository (the folder holding OpsConsole.sln above this program), picks the
    /// Release output of the web app if it exists, else Debug, and copies it to <paramref name="target"/>.
    /// A Release output older than the Debug one is stale (the app was rebuilt in Debug since) and
    /// would benchmark old code, so then Debug is taken and <see cref="Note"/> says so.
    /// <paramref name="forced"/> (Release or Debug) overrides the choice.
    /// The benchmark never builds the app itself: another build may be running in the same obj/ folder.
    /// </summary>
    public static AppBuild Locate(string target, string? forced)
    {
        var repo = new DirectoryInfo(AppContext.BaseDirectory);
        while (repo is not null && !File.Exists(Path.Combine(repo.FullName, "OpsConsole.sln")))
        {
            repo = repo.Parent;
        }
        if (repo is null)
        {
            throw new BenchmarkFailedException($"OpsConsole.sln not found above {AppContext.BaseDirectory}; run the benchmark from the repository.");
        }
        var bin = Path.Combine(repo.FullName, "src", "OpsConsole.Web", "bin");
        string Folder(string configuration) => Path.Combine(bin, configuration, "net10.0");
        DateTime? Built(string configuration) =>
            File.Exists(Path.Combine(Folder(configuration), DllName)) ? File.GetLastWriteTimeUtc(Path.Combine(Folder(configuration), DllName)) : null;

        var release = Built("Release");
        var debug = Built("Debug");
        string chosen;
        var note = "";
        if (forced is not null)
        {
            chosen = forced;
            note = "chosen with --app-config";
        }
        else if (release is { } r && !(debug is { } d0 && d0 > r))
        {
            chosen = "Release";
        }
        else if (debug is { } d)
        {
            chosen = "Debug";
            if (release is { } stale)
            {
                note = $"the Release output ({stale:HH:mm} UTC) is older than the Debug one ({d:HH:mm} UTC), so stale; Debug used";
            }
        }
        else
        {
            throw new BenchmarkFailedException(
                $"No build of the web app under {bin}/{{Release,Debug}}/net10.0. Build it first (dotnet build src/OpsConsole.Web -c Release); the benchmark does not build it.");
        }
        var built = Built(chosen) ?? throw new BenchmarkFailedException($"No {chosen} build of the web app in {Folder(chosen)}.");
        CopyWithRetry(Folder(chosen), target);
        return new AppBuild(Folder(chosen), chosen, built, target) { Note = note };
    }

    /// <summary>Why this build was chosen, when it was not the plain default.</summary>
    public string Note { get; init; } = "";

    // The other build may be rewriting the output right now; a short pause usually gets past it.
    private static void CopyWithRetry(string source, string target)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Copy(source, target);
                return;
            }
            catch (IOException ex) when (attempt < 5)
            {
                Console.Error.WriteLine($"copying the app failed ({ex.Message}); retrying in 10 s");
                Thread.Sleep(TimeSpan.FromSeconds(10));
            }
        }
    }

    private static void Copy(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var dir in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, dir);
            // A database or key ring left by someone running the output folder directly is not part of the app.
            if (!IsStateFolder(relative))
            {
                Directory.CreateDirectory(Path.Combine(target, relative));
            }
        }
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (!IsStateFolder(relative))
            {
                File.Copy(file, Path.Combine(target, relative), overwrite: true);
            }
        }
    }

    private static bool IsStateFolder(string relative)
    {
        var first = relative.Split(Path.DirectorySeparatorChar)[0];
        return first is "data" or "keys";
    }
}

/// <summary>
/// One running instance of the web app on 127.0.0.1. Every instance is registered so that
/// <see cref="KillAll"/> can still kill it when the benchmark is terminated.
/// </summary>
public sealed class AppProcess : IDisposable
{
    public const string DemoApiKey = "ocs_demo_4f9c2a7e1b8d4c6a9e3f5b7d1c2a4e6f";
    private const int MaxKeptLines = 200;

    private static readonly ConcurrentDictionary<int, Process> _running = new();
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _tail = new();
    private readonly ConcurrentQueue<string> _problems = new();
    private int _problemCount;
    private int _disposed;

    private AppProcess(Process process, string label, int port)
    {
        _process = process;
        Label = label;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
    }

    public string Label { get; }
    public Uri BaseAddress { get; }
    /// <summary>Lines the app wrote at Warning or above (stdout JSON logs) plus everything on stderr.</summary>
    public int ProblemCount => _problemCount;

    /// <summary>CPU time the app process has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }
    public IReadOnlyCollection<string> ProblemLines => _problems;

    /// <summary>Starts the app with the database at <paramref name="databaseFile"/> and waits until /health/ready answers 200.</summary>
    public static Task<AppProcess> StartAsync(AppBuild build, string databaseFile, string label, CancellationToken ct) =>
        StartAsync(build, new Dictionary<string, string> { ["ConnectionStrings__OpsConsole"] = $"Data Source={databaseFile}" }, label, ct);

    /// <summary>
    /// Starts the app with <paramref name="settings"/> (environment variables: the database, Redis, …)
    /// on top of the benchmark's defaults, and waits until /health/ready answers 200.
    /// </summary>
    public static Task<AppProcess> StartAsync(AppBuild build, IReadOnlyDictionary<string, string> settings, string label, CancellationToken ct)
    {
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = build.AppDirectory };
        psi.ArgumentList.Add(Path.Combine(build.AppDirectory, AppBuild.DllName));
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add($"http://127.0.0.1:{port}");
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["OpsConsole__Demo__Enabled"] = "true";
        psi.Environment["OpsConsole__Demo__Traffic__Enabled"] = "false";
        psi.Environment["OpsConsole__Ingestion__RequestsPerSecond"] = "100000";
        psi.Environment["OpsConsole__Ingestion__Burst"] = "100000";
        foreach (var (name, value) in settings)
        {
            psi.Environment[name] = value;
        }
        return LaunchAsync(psi, label, port, ct);
    }

    /// <summary>
    /// Starts another program of the benchmark's own (the bare SignalR server) as a process on a free
    /// port; <paramref name="arguments"/> follow the dll, then <c>--urls</c>. It must answer /health/ready.
    /// </summary>
    public static Task<AppProcess> StartDllAsync(string dll, IEnumerable<string> arguments, string label, CancellationToken ct)
    {
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)! };
        psi.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add($"http://127.0.0.1:{port}");
        return LaunchAsync(psi, label, port, ct);
    }

    private static async Task<AppProcess> LaunchAsync(ProcessStartInfo psi, string label, int port, CancellationToken ct)
    {
        psi.UseShellExecute = false;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        // Inherited listen settings would fight with --urls.
        foreach (var name in new[] { "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_URLS" })
        {
            psi.Environment.Remove(name);
        }
        psi.Environment["Logging__LogLevel__Default"] = "Warning";

        var process = new Process { StartInfo = psi };
        if (!process.Start())
        {
            throw new BenchmarkFailedException($"Could not start 'dotnet' for {label}.");
        }
        _running[process.Id] = process;
        var app = new AppProcess(process, label, port);
        process.OutputDataReceived += (_, e) => app.Collect(e.Data, stderr: false);
        process.ErrorDataReceived += (_, e) => app.Collect(e.Data, stderr: true);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await app.WaitReadyAsync(ct);
        }
        catch
        {
            app.Dispose();
            throw;
        }
        return app;
    }

    private async Task WaitReadyAsync(CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var ready = new Uri(BaseAddress, "health/ready");
        var deadline = Stopwatch.StartNew();
        string last = "no answer";
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited)
            {
                throw new BenchmarkFailedException($"The app ({Label}) exited with code {_process.ExitCode} before it was ready.\n{Tail()}");
            }
            try
            {
                using var response = await http.GetAsync(ready, ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
                last = $"{(int)response.StatusCode} {response.ReasonPhrase}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                last = "timeout";
            }
            await Task.Delay(200, ct);
        }
        throw new BenchmarkFailedException($"The app ({Label}) was not ready within 60 s (last answer: {last}).\n{Tail()}");
    }

    private void Collect(string? line, bool stderr)
    {
        if (line is null)
        {
            return;
        }
        line = (stderr ? "stderr: " : "stdout: ") + line;
        Keep(_tail, line);
        // Logging is at Warning, so every JSON log line is worth reporting; stderr always is.
        if (stderr || line.Contains("\"LogLevel\":\"Warning\"") || line.Contains("\"LogLevel\":\"Error\"") || line.Contains("\"LogLevel\":\"Critical\""))
        {
            Interlocked.Increment(ref _problemCount);
            Keep(_problems, line);
        }
    }

    private static void Keep(ConcurrentQueue<string> queue, string line)
    {
        queue.Enqueue(line);
        while (queue.Count > MaxKeptLines && queue.TryDequeue(out _))
        {
        }
    }

    private string Tail() => string.Join('\n', _tail.TakeLast(30));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Kills the app (a benchmark has nothing to shut down gracefully) and waits for it to go.</summary>
    public void Dispose()
    {
        // Idempotent: an instance may be disposed by its phase and again by the run's clean-up.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        Kill(_process);
        _running.TryRemove(_process.Id, out _);
        _process.Dispose();
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>Kills every instance still running; for the benchmark's exit handler.</summary>
    public static void KillAll()
    {
        foreach (var process in _running.Values)
        {
            Kill(process);
        }
    }
}
