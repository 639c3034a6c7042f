using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Tests.Features.Audit;

public sealed class AuditChainTests : IntegrationTest
{


    private async Task<AuditVerifyResult> VerifyViaApiAsync()
    {
        var admin = await SignIn.AsAsync(Factory, TestUsers.Admin);
        return (await admin.GetFromJsonAsync<AuditVerifyResult>("/api/v1/audit/verify", TestContext.Current.CancellationToken))!;
    }

    private async Task<long> AuditCountAsync() => await Db.QueryAsync(Factory, db => db.AuditEntries.LongCountAsync());

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
}
