using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OpsConsole.E2E;

/// <summary>
/// Starts the real console as its own process on 127.0.0.1 (a free port, a fresh SQLite file,
/// demo users and paths), and a headless Debian Chromium driven by Playwright.
/// </summary>
public class AppFixture : IAsyncLifetime
{
    public const string Password = "opsconsole-demo-2026";

    private readonly string _dataDir = Directory.CreateTempSubdirectory("opsconsole-e2e").FullName;
    private readonly StringBuilder _log = new();
    private Process? _app;
    private IPlaywright? _playwright;

    public string BaseUrl { get; private set; } = "";

    /// <summary>The console's SQLite file: a journey that needs time to have passed (an item past due) moves it there.</summary>
    public string DatabasePath => Path.Combine(_dataDir, "opsconsole.db");
    public IBrowser Browser { get; private set; } = null!;

    public static string RepoRoot { get; } = FindRoot();
    public static string WebDir { get; } = Path.Combine(RepoRoot, "src", "OpsConsole.Web");

    /// <summary>The console as built in the same configuration as these tests.</summary>
    public static string WebDll { get; } = Path.Combine(WebDir, "bin", AppContext.BaseDirectory.Contains("/Release/") ? "Release" : "Debug", "net10.0", "OpsConsole.Web.dll");
    public static string ArtifactsDir { get; } = Directory.CreateDirectory(Path.Combine(RepoRoot, "e2e", "OpsConsole.E2E", "artifacts")).FullName;

    public string AppLog
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async ValueTask InitializeAsync()
    {
        var port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        var psi = new ProcessStartInfo("dotnet", [WebDll, "--urls", BaseUrl])
        {
            WorkingDirectory = WebDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["ConnectionStrings__OpsConsole"] = $"Data Source={DatabasePath}";
        psi.Environment["OpsConsole__Demo__Enabled"] = "true";
        // Most journeys need no past traffic; the drift journey's fixture keeps the demo's week of history.
        psi.Environment["OpsConsole__Demo__Traffic__HistoryDays"] = "0";
        // Every browser of a journey comes from 127.0.0.1, and a class's journeys sign several people in
        // within a minute; the per-address throttle itself is tested in the integration tests.
        psi.Environment["OpsConsole__SignIn__AttemptsPerMinute"] = "60";
        Configure(psi.Environment);
        _app = Process.Start(psi)!;
        _app.OutputDataReceived += (_, e) => Append(e.Data);
        _app.ErrorDataReceived += (_, e) => Append(e.Data);
        _app.BeginOutputReadLine();
        _app.BeginErrorReadLine();

        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (_app.HasExited)
            {
                throw new InvalidOperationException($"The console exited with {_app.ExitCode} before it was ready:\n{AppLog}");
            }
            try
            {
                if ((await http.GetAsync($"{BaseUrl}/health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The console was not ready within 60 s:\n{AppLog}");
            }
            await Task.Delay(200);
        }

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>Settings of the console process beyond the defaults above.</summary>
    protected virtual void Configure(IDictionary<string, string?> environment)
    {
    }

    /// <summary>A fresh browser context (its own cookies) at laptop size.</summary>
    /// <param name="forwardedFor">The client address a reverse proxy on this host would report (loopback is a trusted proxy): another person's machine.</param>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 800, string? forwardedFor = null, string? timezoneId = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl,
            ViewportSize = new() { Width = width, Height = height },
            ExtraHTTPHeaders = forwardedFor is null ? null : new Dictionary<string, string> { ["X-Forwarded-For"] = forwardedFor },
            TimezoneId = timezoneId,
        });
        // Generous: a 2-core CI machine runs the console, Chromium and the test together.
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        _playwright?.Dispose();
        if (_app is { HasExited: false })
        {
            _app.Kill(entireProcessTree: true);
            await _app.WaitForExitAsync();
        }
        _app?.Dispose();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OpsConsole.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("OpsConsole.sln not found");
    }
}
