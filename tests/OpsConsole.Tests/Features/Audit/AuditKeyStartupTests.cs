using System.Security.Cryptography;
using OpsConsole.Tests.Features.Users;
using OpsConsole.Tests.Infrastructure;

namespace OpsConsole.Tests.Features.Audit;

/// <summary>The console refuses to start rather than keep a chain it could not verify later.</summary>
[Trait("Category", "Integration")]
public sealed class AuditKeyStartupTests
{
    private static Dictionary<string, string> Env(string database, params (string Key, string Value)[] extra)
    {
        // No demo and no bootstrap admin: on a console that ignored the audit settings this refuses for another reason.
        var env = new Dictionary<string, string>
        {
            ["ConnectionStrings__OpsConsole"] = $"Data Source={database}",
            ["OpsConsole__Demo__Enabled"] = "false",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        };
        foreach (var (key, value) in extra)
        {
            env[key] = value;
        }
        return env;
    }

    public static TheoryData<string> InvalidKeys => new()
    {
        "",
        "not base64 at all!",
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)),
    };

    [Theory]
    [MemberData(nameof(InvalidKeys))]
    public async Task Start_ConfiguredChainKeyEmptyOrInvalid_RefusesWithHowToMessage(string key)
    {
        var dir = Directory.CreateTempSubdirectory("opsconsole-audit-key");
        var (exit, stderr) = await StartupTests.RunConsoleAsync(Env(Path.Combine(dir.FullName, "db.sqlite"), ("OpsConsole__Audit__ChainKey", key)));

        Assert.Equal(2, exit);
        Assert.Contains("OpsConsole:Audit:ChainKey", stderr);
        Assert.Contains("32", stderr);
    }

    // Key files are the SQLite default; PostgreSQL requires a configured key.
    [Trait("Provider", "SqliteOnly")]
    [Fact]
    public async Task Start_KeyFileMissingButCheckpointsExist_RefusesInsteadOfNewKey()
    {
        var dir = Directory.CreateTempSubdirectory("opsconsole-audit-key");
        var keys = Directory.CreateDirectory(Path.Combine(dir.FullName, "keys"));
        await File.WriteAllTextAsync(Path.Combine(keys.FullName, "audit-checkpoints.log"), "{\"id\":12}\n", TestContext.Current.CancellationToken);

        var (exit, stderr) = await StartupTests.RunConsoleAsync(Env(Path.Combine(dir.FullName, "db.sqlite")));

        Assert.Equal(2, exit);
        Assert.Contains("audit-chain.key", stderr);
        Assert.False(File.Exists(Path.Combine(keys.FullName, "audit-chain.key")));
    }

    [Fact]
    public async Task Start_ConfiguredKeyDiffersFromCheckpointKey_Refuses()
    {
        var factory = new OpsConsoleFactory();
        factory.CreateClient().Dispose();
        var database = factory.DatabasePath;
        await factory.DisposeAsync(keepDatabase: true);
        try
        {
            var other = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            var (exit, stderr) = await StartupTests.RunConsoleAsync(Env(database, ("OpsConsole__Audit__ChainKey", other)));

            Assert.Equal(2, exit);
            Assert.Contains("OpsConsole:Audit:ChainKey", stderr);
            Assert.Contains("audit-checkpoints.log", stderr);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(database)!, recursive: true);
        }
    }
}
