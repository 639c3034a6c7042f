using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OpsConsole.E2E;

/// <summary>The console's sub-commands, run as a person or a container runtime would: the built app with arguments.</summary>
public sealed class CommandLineTests(AppFixture app) : IClassFixture<AppFixture>
{
    private async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet", [AppFixture.WebDll, .. args])
        {
            WorkingDirectory = AppFixture.WebDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["ConnectionStrings__OpsConsole"] = $"Data Source={app.DatabasePath}";
        psi.Environment["OpsConsole__Jobs__Enabled"] = "false";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{string.Join(' ', args)}` did not exit within 90 s.");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task Healthcheck_RunningConsole_ExitsZero_NothingListening_ExitsOne()
    {
        Assert.Equal(0, (await RunAsync("healthcheck", app.BaseUrl + "/health/live")).ExitCode);

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        Assert.Equal(1, (await RunAsync("healthcheck", $"http://127.0.0.1:{port}/health/live")).ExitCode);
    }

    [Fact]
    public async Task RebuildRollups_KnownPath_RebuildsAndExitsZero_UnknownPath_ChangesNothingAndExitsTwo()
    {
        var (code, output) = await RunAsync("rebuild-rollups", "support-reply-draft");
        Assert.True(code == 0, output);
        Assert.Contains("support-reply-draft: rollups rebuilt from raw events", output);
        Assert.Contains("Compacted", output);

        (code, output) = await RunAsync("rebuild-rollups", "no-such-path");
        Assert.Equal(2, code);
        Assert.Contains("No such path: no-such-path. Nothing was changed.", output);
    }
}
