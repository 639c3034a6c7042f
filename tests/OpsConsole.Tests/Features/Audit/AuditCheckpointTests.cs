using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Audit;

namespace OpsConsole.Tests.Features.Audit;

/// <summary>The chain across restarts and across the upgrade from the unkeyed chain: tests that restart the app on one database.</summary>
[Trait("Category", "Integration")]
public sealed class AuditCheckpointTests : IAsyncLifetime
{
    private OpsConsoleFactory _factory = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class RestartedFactory(string database) : OpsConsoleFactory(database);

    public ValueTask InitializeAsync()
    {
        _factory.CreateClient().Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private string KeysFolder => Path.Combine(Path.GetDirectoryName(_factory.DatabasePath)!, "keys");

    private async Task RestartAsync(Action? whileStopped = null)
    {
        var db = _factory.DatabasePath;
        await _factory.DisposeAsync(keepDatabase: true);
        whileStopped?.Invoke();
        _factory = new RestartedFactory(db);
        _factory.CreateClient().Dispose();
    }

    private async Task<JsonElement> VerifyAsync()
    {
        var admin = await SignIn.AsAsync(_factory, TestUsers.Admin);
        return await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify", Ct);
    }

    private async Task<long> HeadIdAsync() => await Db.QueryAsync(_factory, db => db.AuditEntries.MaxAsync(e => e.Id, Ct));

    private async Task CreatePathAsync(string slug)
    {
        var paths = _factory.Services.GetRequiredService<PathService>();
        var admin = await Principals.ForAsync(_factory, TestUsers.Admin);
        var ownerId = await Principals.IdOfAsync(_factory, TestUsers.Owner);
        Assert.True((await paths.CreateAsync(new PathInput { Slug = slug, Name = slug, OwnerIds = [ownerId] }, admin, Ct)).Succeeded);
    }

    /// <summary>Turns the database into one the console wrote before the chain was keyed: SHA-256 hashes, no key, no checkpoints.</summary>
    private async Task MakeLegacyDatabaseAsync()
    {
        await AuditTamper.RechainAsync(_factory, 1, _ => { }, AuditTamper.Sha256);
        await RestartAsync(() =>
        {
            foreach (var file in new[] { "audit-chain.key", "audit-checkpoints.log" })
            {
                var path = Path.Combine(KeysFolder, file);
                if (File.Exists(path))
                {
                    File.Delete(path);
                }
            }
        });
    }

    [Fact]
    public async Task Verify_AfterRestartWithSameKeyFile_ReportsOkAndNewHead()
    {
        await CreatePathAsync("before-restart");
        await RestartAsync();
        await CreatePathAsync("after-restart");
        await RestartAsync();

        var result = await VerifyAsync();

        Assert.Equal("ok", result.GetProperty("status").GetString());
        Assert.Equal(await HeadIdAsync(), result.GetProperty("checkpointId").GetInt64());
    }

    // A generated key file is the SQLite default; PostgreSQL requires a configured key (AuditChainKeyTests).
    [Trait("Provider", "SqliteOnly")]
    [Fact]
    public async Task Start_NoConfiguredKey_KeyFileBesideKeyRingReadableByOwnerOnly()
    {
        var keyFile = Path.Combine(KeysFolder, "audit-chain.key");
        Assert.True(File.Exists(keyFile));
        Assert.True(Convert.FromBase64String(File.ReadAllText(keyFile).Trim()).Length >= 32);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        }
        var chain = await Db.QueryAsync(_factory, db => db.AuditEntries.Select(e => e.Hash).ToListAsync(Ct));
        var key = File.ReadAllText(keyFile).Trim();
        Assert.DoesNotContain(key, chain);
    }

    [Fact]
    public async Task Verify_DatabaseFromBeforeKeying_LegacyEntriesAnchoredAndNewEntriesKeyed()
    {
        var legacyHead = await HeadIdAsync();
        await MakeLegacyDatabaseAsync();
        await CreatePathAsync("after-upgrade");

        var result = await VerifyAsync();

        Assert.Equal("ok", result.GetProperty("status").GetString());
        Assert.Equal(legacyHead, result.GetProperty("legacyThrough").GetInt64());
        var newest = await Db.QueryAsync(_factory, db => db.AuditEntries.OrderByDescending(e => e.Id).FirstAsync(Ct));
        Assert.NotEqual(AuditTamper.Sha256(newest.PrevHash, newest), newest.Hash);
    }

    [Fact]
    public async Task Verify_LegacyEntryRewrittenAndRechainedWithSha256_ReportsThatEntry()
    {
        await MakeLegacyDatabaseAsync();

        // Everything up to the head is unkeyed, so the forger recomputes it all; the anchored head gives it away.
        await AuditTamper.RechainAsync(_factory, 3, e => e.ActorName = "mallory", AuditTamper.Sha256);
        var result = await VerifyAsync();

        Assert.Equal("broken", result.GetProperty("status").GetString());
        Assert.Equal("entry_changed", result.GetProperty("reason").GetString());
        Assert.True(result.GetProperty("brokenEntryId").GetInt64() >= 3);
    }

    [Fact]
    public async Task Verify_KeyedEntryRewrittenAsUnkeyed_ReportsThatEntry()
    {
        var legacyHead = await HeadIdAsync();
        await MakeLegacyDatabaseAsync();
        await CreatePathAsync("keyed-1");
        await CreatePathAsync("keyed-2");

        // Turning keyed entries back into unkeyed ones must not pass for an older, legacy part of the chain.
        await AuditTamper.RechainAsync(_factory, legacyHead + 1, e => e.ActorName = "mallory", AuditTamper.Sha256);
        var result = await VerifyAsync();

        Assert.Equal("broken", result.GetProperty("status").GetString());
        Assert.Equal("entry_changed", result.GetProperty("reason").GetString());
        Assert.Equal(legacyHead + 1, result.GetProperty("brokenEntryId").GetInt64());
    }
}
