using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Tests.Features.Audit;

[Trait("Category", "Integration")]
public sealed class AuditChainTests : IntegrationTest
{
    private async Task<AuditVerifyResult> VerifyViaApiAsync()
    {
        var admin = await SignIn.AsAsync(Factory, TestUsers.Admin);
        return (await admin.GetFromJsonAsync<AuditVerifyResult>("/api/v1/audit/verify", TestContext.Current.CancellationToken))!;
    }

    /// <summary>The whole answer, for the fields a caller reads beyond status, id and problem.</summary>
    private async Task<JsonElement> VerifyJsonViaApiAsync()
    {
        var admin = await SignIn.AsAsync(Factory, TestUsers.Admin);
        return await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify", TestContext.Current.CancellationToken);
    }

    private async Task<long> AuditCountAsync() => await Db.QueryAsync(Factory, db => db.AuditEntries.LongCountAsync());

    private async Task<long> HeadIdAsync() => await Db.QueryAsync(Factory, db => db.AuditEntries.MaxAsync(e => e.Id));

    [Fact]
    public async Task Verify_UntouchedChain_ReportsOk()
    {
        var result = await VerifyViaApiAsync();
        Assert.Equal("ok", result.Status);
        Assert.Equal(await AuditCountAsync(), result.Checked);
        Assert.True(result.Checked >= 9, "demo seeding writes one entry per user and path");
    }

    [Fact]
    public async Task Verify_EntryContentChangedInDatabase_ReportsThatEntry()
    {
        await Db.ExecuteAsync(Factory, "UPDATE AuditEntries SET ActorName = 'mallory' WHERE Id = 4");
        var result = await VerifyViaApiAsync();
        Assert.Equal("broken", result.Status);
        Assert.Equal(4, result.BrokenEntryId);
        Assert.Contains("changed", result.Problem);
    }

    [Fact]
    public async Task Verify_AfterJsonChangedInDatabase_ReportsThatEntry()
    {
        await Db.ExecuteAsync(Factory, "UPDATE AuditEntries SET AfterJson = replace(AfterJson, '25', '100') WHERE Action = 'path.create' AND PathSlug = 'support-reply-draft'");
        var id = await Db.QueryAsync(Factory, db => db.AuditEntries.Where(e => e.PathSlug == "support-reply-draft").Select(e => e.Id).FirstAsync());
        var result = await VerifyViaApiAsync();
        Assert.Equal("broken", result.Status);
        Assert.Equal(id, result.BrokenEntryId);
    }

    [Fact]
    public async Task Verify_EntryDeletedFromMiddle_ReportsTheGap()
    {
        await Db.ExecuteAsync(Factory, "DELETE FROM AuditEntries WHERE Id = 3");
        var result = await VerifyViaApiAsync();
        Assert.Equal("broken", result.Status);
        Assert.Equal(4, result.BrokenEntryId);
        Assert.Contains("missing", result.Problem);
    }

    [Fact]
    public async Task Verify_EntryDeletedAndRenumbered_ReportsBrokenLink()
    {
        // A careful forger closes the gap in the ids; the hash link still gives it away.
        await Db.ExecuteAsync(Factory, "DELETE FROM AuditEntries WHERE Id = 3; UPDATE AuditEntries SET Id = Id - 1 WHERE Id > 3;");
        var result = await VerifyViaApiAsync();
        Assert.Equal("broken", result.Status);
        Assert.Equal(3, result.BrokenEntryId);
    }

    [Fact]
    public async Task Writes_ManyConcurrentChanges_ChainNeverForks()
    {
        var paths = Factory.Services.GetRequiredService<PathService>();
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var ownerId = await Principals.IdOfAsync(Factory, TestUsers.Owner);
        var before = await AuditCountAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(() => paths.CreateAsync(
            new PathInput { Slug = $"concurrent-{i}", Name = $"Concurrent {i}", OwnerIds = [ownerId] }, admin, CancellationToken.None))));

        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.Equal(before + 24, await AuditCountAsync());
        var verify = await VerifyViaApiAsync();
        Assert.Equal("ok", verify.Status);
    }

    [Fact]
    public async Task Writes_FailedChange_LeavesNoAuditEntry()
    {
        var paths = Factory.Services.GetRequiredService<PathService>();
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var before = await AuditCountAsync();

        var result = await paths.CreateAsync(new PathInput { Slug = "Bad Slug", Name = "", OwnerIds = [] }, admin, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal(before, await AuditCountAsync());
    }

    [Fact]
    public async Task Verify_UntouchedChain_ReportsTheCheckpointedHead()
    {
        var result = await VerifyJsonViaApiAsync();
        Assert.Equal("ok", result.GetProperty("status").GetString());
        // The start checkpoint is written after seeding, so it holds the head.
        Assert.Equal(await HeadIdAsync(), result.GetProperty("checkpointId").GetInt64());
        Assert.Equal(0, result.GetProperty("legacyThrough").GetInt64());
    }

    [Fact]
    public async Task Verify_LastEntriesDeleted_ReportsDroppedTail()
    {
        var head = await HeadIdAsync();
        await Db.ExecuteAsync(Factory, $"DELETE FROM AuditEntries WHERE Id > {head - 2}");

        var result = await VerifyJsonViaApiAsync();

        Assert.Equal("broken", result.GetProperty("status").GetString());
        Assert.Equal("tail_dropped", result.GetProperty("reason").GetString());
        Assert.Equal(head - 1, result.GetProperty("brokenEntryId").GetInt64());
        Assert.Contains("missing", result.GetProperty("problem").GetString());
    }

    [Fact]
    public async Task Verify_EntryRewrittenAndLaterHashesRecomputedWithSha256_ReportsThatEntry()
    {
        // The attack the unkeyed chain could not see: edit an entry, then recompute every hash after it.
        await AuditTamper.RechainAsync(Factory, 4, e => e.ActorName = "mallory", AuditTamper.Sha256);

        var result = await VerifyJsonViaApiAsync();

        Assert.Equal("broken", result.GetProperty("status").GetString());
        Assert.Equal("entry_changed", result.GetProperty("reason").GetString());
        Assert.Equal(4, result.GetProperty("brokenEntryId").GetInt64());
    }

    [Fact]
    public async Task Verify_EntryRewrittenAndRechainedWithAnotherKey_ReportsThatEntry()
    {
        var wrongKey = RandomNumberGenerator.GetBytes(32);
        await AuditTamper.RechainAsync(Factory, 5, e => e.AfterJson = "{}", (prev, e) => AuditTamper.Hmac(wrongKey, prev, e));

        var result = await VerifyJsonViaApiAsync();

        Assert.Equal("broken", result.GetProperty("status").GetString());
        Assert.Equal("entry_changed", result.GetProperty("reason").GetString());
        Assert.Equal(5, result.GetProperty("brokenEntryId").GetInt64());
        Assert.Contains("key", result.GetProperty("problem").GetString());
    }

    [Fact]
    public async Task Verify_LastEntriesDeletedThenNewChangeWritten_ReportsDroppedTail()
    {
        // The app itself writes over the cut with the right key, so only the checkpoint can tell.
        var head = await HeadIdAsync();
        await Db.ExecuteAsync(Factory, $"DELETE FROM AuditEntries WHERE Id > {head - 2}");
        var paths = Factory.Services.GetRequiredService<PathService>();
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var ownerId = await Principals.IdOfAsync(Factory, TestUsers.Owner);
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await paths.CreateAsync(new PathInput { Slug = $"after-cut-{i}", Name = $"After cut {i}", OwnerIds = [ownerId] }, admin, CancellationToken.None)).Succeeded);
        }

        var result = await VerifyJsonViaApiAsync();

        Assert.Equal("broken", result.GetProperty("status").GetString());
        Assert.Equal("tail_dropped", result.GetProperty("reason").GetString());
        Assert.Equal(head, result.GetProperty("brokenEntryId").GetInt64());
    }
}

/// <summary>What someone with write access to the database file alone can do to the chain.</summary>
internal static class AuditTamper
{
    public static string Sha256(string prev, AuditEntry e) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prev + "\n" + AuditHash.CanonicalJson(e))));

    public static string Hmac(byte[] key, string prev, AuditEntry e) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(prev + "\n" + AuditHash.CanonicalJson(e))));

    /// <summary>Edits entry <paramref name="fromId"/>, then relinks and rehashes it and every entry after it.</summary>
    public static Task RechainAsync(OpsConsoleFactory factory, long fromId, Action<AuditEntry> edit, Func<string, AuditEntry, string> hash) =>
        Db.QueryAsync(factory, async db =>
        {
            var entries = await db.AuditEntries.Where(e => e.Id >= fromId - 1).OrderBy(e => e.Id).ToListAsync();
            var prev = entries[0].Id == fromId ? entries[0].PrevHash : entries[0].Hash;
            foreach (var e in entries.Where(e => e.Id >= fromId))
            {
                if (e.Id == fromId)
                {
                    edit(e);
                }
                e.PrevHash = prev;
                e.Hash = hash(prev, e);
                prev = e.Hash;
            }
            return await db.SaveChangesAsync();
        });
}
