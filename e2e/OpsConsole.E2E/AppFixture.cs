namespace OpsConsole.E2E;

/// <summary>
/// Starts the real console as its own process on 127.0.0.1 (a free port, a fresh SQLite file,
/// demo users and paths), and a headless Debian Chromium driven by Playwright.
/// </summary>
public class AppFixture : IAsyncLifetime
{
    public const string Password = "opsconsole-demo-2026";

    private readonly string _dataDir = Directory.CreateTempSubdirectory("opsconsole-e2e").FullName;
    private ConsoleProcess? _app;
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

    public string AppLog => _app?.Log ?? "";

    public async ValueTask InitializeAsync()
    {
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__OpsConsole"] = $"Data Source={DatabasePath}",
            ["OpsConsole__Demo__Enabled"] = "true",
            // Most journeys need no past traffic; the drift journey's fixture keeps the demo's week of history.
            ["OpsConsole__Demo__Traffic__HistoryDays"] = "0",
            // Journeys start their own candidates; the demo canary has a journey (and a fixture) of its own.
            ["OpsConsole__Demo__Canary"] = "false",
            // Every browser of a journey comes from 127.0.0.1, and a class's journeys sign several people in
            // within a minute; the per-address throttle itself is tested in the integration tests.
            ["OpsConsole__SignIn__AttemptsPerMinute"] = "60",
        };
        Configure(environment);
        _app = await ConsoleProcess.StartAsync(environment.Where(e => e.Value is not null).ToDictionary(e => e.Key, e => e.Value!));
        BaseUrl = _app.BaseUrl;
        (_playwright, Browser) = await LaunchChromiumAsync();
    }

    /// <summary>Debian's Chromium, headless, with the flags this machine needs (no sandbox, no GPU, no background traffic).</summary>
    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchChromiumAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return (playwright, browser);
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
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
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
