using System.Diagnostics;
using System.Text;

namespace OpsConsole.E2E;

/// <summary>The test OpenID Connect provider (e2e/OpsConsole.TestIdp) as its own process on 127.0.0.1.</summary>
public sealed class TestIdpProcess : IAsyncDisposable
{
    public const string ClientId = "opsconsole";
    /// <summary>The password of every test user of the provider (alice, olga, nina, eve).</summary>
    public const string UserPassword = "idp-password";

    private readonly StringBuilder _log = new();
    private readonly Process _process;

    private TestIdpProcess(Process process, string authority)
    {
        _process = process;
        Authority = authority;
    }

    /// <summary>The provider's base address, with the trailing slash its issuer has.</summary>
    public string Authority { get; }

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

    public static string Dll { get; } = Path.Combine(AppFixture.RepoRoot, "e2e", "OpsConsole.TestIdp", "bin",
        AppContext.BaseDirectory.Contains("/Release/") ? "Release" : "Debug", "net10.0", "OpsConsole.TestIdp.dll");

    /// <param name="redirectUri">The console's callback, the only one the provider accepts.</param>
    /// <param name="issuer">An issuer other than its own address, for the attack of a provider answering as someone else.</param>
    public static async Task<TestIdpProcess> StartAsync(int port, string redirectUri, string clientSecret, string? issuer = null)
    {
        var url = $"http://127.0.0.1:{port}";
        var psi = new ProcessStartInfo("dotnet", [Dll, "--urls", url])
        {
            WorkingDirectory = Path.GetDirectoryName(Dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["Idp__ClientId"] = ClientId;
        psi.Environment["Idp__ClientSecret"] = clientSecret;
        psi.Environment["Idp__RedirectUri"] = redirectUri;
        if (issuer is not null)
        {
            psi.Environment["Idp__Issuer"] = issuer;
        }
        var idp = new TestIdpProcess(Process.Start(psi)!, url + "/");
        idp._process.OutputDataReceived += (_, e) => idp.Append(e.Data);
        idp._process.ErrorDataReceived += (_, e) => idp.Append(e.Data);
        idp._process.BeginOutputReadLine();
        idp._process.BeginErrorReadLine();
        try
        {
            await idp.WaitReadyAsync(TimeSpan.FromSeconds(120));
        }
        catch
        {
            await idp.DisposeAsync();
            throw;
        }
        return idp;
    }

    private async Task WaitReadyAsync(TimeSpan within)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The test IdP exited with {_process.ExitCode}:\n{Log}");
            }
            try
            {
                if ((await http.GetAsync(Authority + ".well-known/openid-configuration")).IsSuccessStatusCode)
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
                throw new TimeoutException($"The test IdP was not ready within {within.TotalSeconds:0} s:\n{Log}");
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
}
