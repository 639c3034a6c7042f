using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Audit;

namespace OpsConsole.Tests.Features.ApiKeys;

[Trait("Category", "Integration")]
public sealed class ApiKeyServiceTests : IntegrationTest
{
    private ApiKeyService _keys = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _keys = Factory.Services.GetRequiredService<ApiKeyService>();
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var created = await Factory.Services.GetRequiredService<PathService>().CreateAsync(new PathInput
        {
            Slug = "owner2-only",
            Name = "Owner 2 only",
            OwnerIds = [await Principals.IdOfAsync(Factory, TestUsers.Owner2)],
        }, admin, Ct);
        Assert.True(created.Succeeded);
    }

    [Fact]
    public async Task Create_ByOwnerForOwnPath_SecretShownOnceAndOnlyHashStored()
    {
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var created = await _keys.CreateAsync(new ApiKeyInput { Name = "support bot", PathSlugs = ["support-reply-draft"] }, owner, Ct);

        Assert.True(created.Succeeded);
        var secret = created.Value!.Secret;
        Assert.StartsWith("ocs_", secret);
        Assert.True(secret.Length >= 40);
        var stored = await Db.QueryAsync(Factory, db => db.ApiKeys.SingleAsync(k => k.Name == "support bot", Ct));
        Assert.Equal(ApiKeyStore.Hash(secret), stored.Hash);
        Assert.Equal(secret[..12], stored.Prefix);
        // The secret itself is nowhere in the row or the audit log.
        var audit = await Db.QueryAsync(Factory, db => db.AuditEntries.OrderByDescending(e => e.Id).FirstAsync(Ct));
        Assert.Equal("apikey.create", audit.Action);
        Assert.DoesNotContain(secret, audit.AfterJson);
        Assert.DoesNotContain(secret, stored.Hash);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1_000_001)]
    [InlineData(int.MaxValue)]
    public async Task Create_BudgetOutOfRange_RefusedWithTheRule(int perMinute)
    {
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var created = await _keys.CreateAsync(new ApiKeyInput { Name = "greedy", PathSlugs = ["support-reply-draft"], DecisionRequestsPerMinute = perMinute }, owner, Ct);

        Assert.False(created.Succeeded);
        Assert.Equal(ApiKeyService.BudgetRule, created.FieldErrors[nameof(ApiKeyInput.DecisionRequestsPerMinute)]);
        Assert.Equal(0, await Db.QueryAsync(Factory, db => db.ApiKeys.CountAsync(k => k.Name == "greedy", Ct)));
    }

    [Fact]
    public async Task Create_WithBudget_StoredListedAuditedAndCached()
    {
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var created = await _keys.CreateAsync(new ApiKeyInput { Name = "budgeted", PathSlugs = ["support-reply-draft"], DecisionRequestsPerMinute = 600 }, owner, Ct);

        Assert.True(created.Succeeded);
        Assert.Equal(600, created.Value!.Key.DecisionRequestsPerMinute);
        Assert.Equal(600, (await _keys.ListAsync(owner, Ct)).Single(k => k.Name == "budgeted").DecisionRequestsPerMinute);
        var audit = await Db.QueryAsync(Factory, db => db.AuditEntries.OrderByDescending(e => e.Id).FirstAsync(Ct));
        Assert.Contains("\"decisionRequestsPerMinute\":600", audit.AfterJson, StringComparison.OrdinalIgnoreCase);
        var caller = await Factory.Services.GetRequiredService<ApiKeyStore>().FindAsync(created.Value.Secret, Ct);
        Assert.Equal(600, caller!.DecisionRequestsPerMinute);
    }

    [Fact]
    public async Task Create_ByOwnerForPathTheyDoNotOwn_Refused()
    {
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var created = await _keys.CreateAsync(new ApiKeyInput { Name = "sneaky", PathSlugs = ["owner2-only"] }, owner, Ct);
        Assert.False(created.Succeeded);
        Assert.Contains("owner2-only", created.FieldErrors[nameof(ApiKeyInput.PathSlugs)]);
        Assert.Null(created.Value);
    }

    [Fact]
    public async Task Create_AllPaths_AdminOnly()
    {
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        Assert.False((await _keys.CreateAsync(new ApiKeyInput { Name = "everything", AllPaths = true }, owner, Ct)).Succeeded);
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        Assert.True((await _keys.CreateAsync(new ApiKeyInput { Name = "everything", AllPaths = true }, admin, Ct)).Succeeded);
    }

    [Theory]
    [InlineData(TestUsers.OnCall)]
    [InlineData(TestUsers.Reviewer)]
    [InlineData(TestUsers.Viewer)]
    public async Task Create_ByRoleWithoutKeyRights_Refused(string email)
    {
        var user = await Principals.ForAsync(Factory, email);
        var created = await _keys.CreateAsync(new ApiKeyInput { Name = "x", PathSlugs = ["support-reply-draft"] }, user, Ct);
        Assert.False(created.Succeeded);
        Assert.Empty(await _keys.ListAsync(user, Ct));
    }

    [Theory]
    [InlineData("", "support-reply-draft", "events:write", nameof(ApiKeyInput.Name))]
    [InlineData("ok", "", "events:write", nameof(ApiKeyInput.PathSlugs))]
    [InlineData("ok", "support-reply-draft", "", nameof(ApiKeyInput.Scopes))]
    [InlineData("ok", "support-reply-draft", "admin:all", nameof(ApiKeyInput.Scopes))]
    [InlineData("ok", "no-such-path", "events:write", nameof(ApiKeyInput.PathSlugs))]
    public async Task Create_InvalidInput_ErrorOnField(string name, string path, string scope, string field)
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var input = new ApiKeyInput { Name = name, PathSlugs = path == "" ? [] : [path], Scopes = scope == "" ? [] : [scope] };
        var created = await _keys.CreateAsync(input, admin, Ct);
        Assert.True(created.FieldErrors.ContainsKey(field), string.Join("; ", created.Problems));
    }

    [Fact]
    public async Task List_Owner_SeesOnlyKeysWithinTheirPaths()
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        await _keys.CreateAsync(new ApiKeyInput { Name = "admin-wide", AllPaths = true }, admin, Ct);
        await _keys.CreateAsync(new ApiKeyInput { Name = "owner2 key", PathSlugs = ["owner2-only"] }, admin, Ct);
        await _keys.CreateAsync(new ApiKeyInput { Name = "triage key", PathSlugs = ["ticket-triage"] }, admin, Ct);

        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var names = (await _keys.ListAsync(owner, Ct)).Select(k => k.Name).ToList();
        Assert.Contains("triage key", names);
        Assert.DoesNotContain("owner2 key", names);
        Assert.DoesNotContain("admin-wide", names);
        Assert.Contains("admin-wide", (await _keys.ListAsync(admin, Ct)).Select(k => k.Name));
    }

    [Fact]
    public async Task Revoke_OtherOwnersKey_RefusedAndStillWorks()
    {
        var owner2 = await Principals.ForAsync(Factory, TestUsers.Owner2);
        var created = await _keys.CreateAsync(new ApiKeyInput { Name = "o2", PathSlugs = ["owner2-only"] }, owner2, Ct);
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);

        var result = await _keys.RevokeAsync(created.Value!.Key.Id, owner, Ct);

        Assert.False(result.Succeeded);
        Assert.NotNull(await Factory.Services.GetRequiredService<ApiKeyStore>().FindAsync(created.Value.Secret, Ct));
    }

    [Fact]
    public async Task Revoke_Twice_SecondSaysWho()
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var created = await _keys.CreateAsync(new ApiKeyInput { Name = "k", PathSlugs = ["ticket-triage"] }, admin, Ct);
        Assert.True((await _keys.RevokeAsync(created.Value!.Key.Id, admin, Ct)).Succeeded);
        var again = await _keys.RevokeAsync(created.Value.Key.Id, admin, Ct);
        Assert.Contains(TestUsers.Admin, again.Problems.Values.Single());
        Assert.Equal("apikey.revoke", (await Db.QueryAsync(Factory, db => db.AuditEntries.OrderByDescending(e => e.Id).FirstAsync(Ct))).Action);
    }

    [Fact]
    public async Task DemoKey_FromConfiguration_CannotBeRevokedFromThePage()
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var demo = (await _keys.ListAsync(admin, Ct)).Single(k => k.IsSystem);
        Assert.False(demo.CanRevoke);
        Assert.False((await _keys.RevokeAsync(demo.Id, admin, Ct)).Succeeded);
    }

    [Fact]
    public async Task Find_AfterUse_RecordsLastUsed()
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var created = await _keys.CreateAsync(new ApiKeyInput { Name = "used", PathSlugs = ["ticket-triage"] }, admin, Ct);
        Assert.NotNull(await Factory.Services.GetRequiredService<ApiKeyStore>().FindAsync(created.Value!.Secret, Ct));

        DateTime? lastUsed = null;
        for (var i = 0; i < 50 && lastUsed is null; i++)
        {
            await Task.Delay(100, Ct);
            lastUsed = await Db.QueryAsync(Factory, db => db.ApiKeys.Where(k => k.Name == "used").Select(k => k.LastUsedAt).SingleAsync(Ct));
        }
        Assert.NotNull(lastUsed);
    }
}
