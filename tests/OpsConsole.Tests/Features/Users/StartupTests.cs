using System.Diagnostics;
using System.Net;
using OpsConsole.Tests.Infrastructure;

namespace OpsConsole.Tests.Features.Users;

[Trait("Category", "Integration")]
public class StartupTests
{
    [Fact]
    public async Task Start_EmptyDatabaseWithBootstrapSettings_AdminCanSignIn()
    {
        await using var factory = new OpsConsoleFactory()
            .With("OpsConsole:Demo:Enabled", "false")
            .With("OpsConsole:Bootstrap:AdminEmail", "first.admin@example.com")
            .With("OpsConsole:Bootstrap:AdminPassword", "a long enough passphrase");

        var client = await SignIn.AsAsync(factory, "first.admin@example.com", "a long enough passphrase");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/admin/users", TestContext.Current.CancellationToken)).StatusCode);
        await Assert.ThrowsAsync<InvalidOperationException>(() => SignIn.AsAsync(factory, TestUsers.Admin));
    }

    [Fact]
    public async Task Start_EmptyDatabaseNoBootstrapNoDemo_RefusesWithHowToMessage()
    {
        var dir = Directory.CreateTempSubdirectory("opsconsole-refuse");
        var (exit, stderr) = await RunConsoleAsync(new()
        {
            ["ConnectionStrings__OpsConsole"] = $"Data Source={Path.Combine(dir.FullName, "db.sqlite")}",
            ["OpsConsole__Demo__Enabled"] = "false",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        });
        Assert.Equal(2, exit);
        Assert.Contains("OpsConsole__Bootstrap__AdminEmail", stderr);
        Assert.Contains("OpsConsole__Bootstrap__AdminPassword", stderr);
    }

    [Fact]
    public async Task Start_BootstrapPasswordTooShort_RefusesWithReason()
    {
        var dir = Directory.CreateTempSubdirectory("opsconsole-refuse");
        var (exit, stderr) = await RunConsoleAsync(new()
        {
            ["ConnectionStrings__OpsConsole"] = $"Data Source={Path.Combine(dir.FullName, "db.sqlite")}",
            ["OpsConsole__Demo__Enabled"] = "false",
            ["OpsConsole__Bootstrap__AdminEmail"] = "root@example.com",
            ["OpsConsole__Bootstrap__AdminPassword"] = "short",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        });
        Assert.Equal(2, exit);
        Assert.Contains("at least 12 characters", stderr);
    }

    /// <summary>Runs the real console process; it must exit on its own within the timeout.</summary>
    internal static async Task<(int Exit, string Stderr)> RunConsoleAsync(Dictionary<string, string> env)
    {
        var (exit, _, stderr) = await RunConsoleWithOutputAsync(env);
        return (exit, stderr);
    }

    /// <summary>As <see cref="RunConsoleAsync"/>, with what it logged (standard output) too.</summary>
    internal static async Task<(int Exit, string Stdout, string Stderr)> RunConsoleWithOutputAsync(Dictionary<string, string> env)
    {
        var psi = new ProcessStartInfo("dotnet", [RepoPaths.WebDll])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The console kept running instead of refusing to start. Output: " + await stdout);
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
