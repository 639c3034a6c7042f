using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Features.Review;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Notifications;

namespace OpsConsole.Tests.Features.ApiKeys;

/// <summary>Expiry and rotation as a service sees them (the HTTP answer) with a clock the test moves forward.</summary>
[Trait("Category", "Integration")]
public sealed class ApiKeyRotationTests : IAsyncLifetime
{
    private readonly FakeClockFactory _factory = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private ApiKeyService Keys => _factory.Services.GetRequiredService<ApiKeyService>();
    private DateTime Now => _factory.Clock.GetUtcNow().UtcDateTime;

    public ValueTask InitializeAsync()
    {
        _factory.CreateClient().Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private async Task<ApiKeyCreated> CreateAsync(string email, string name = "support bot", DateTime? expiresAt = null, string path = "support-reply-draft")
    {
        var user = await Principals.ForAsync(_factory, email);
        var created = await Keys.CreateAsync(new ApiKeyInput
        {
            Name = name,
            PathSlugs = [path],
            Scopes = [ApiScopes.EventsWrite, ApiScopes.DecisionsRead],
            DecisionRequestsPerMinute = 600,
            ExpiresAt = expiresAt,
        }, user, Ct);
        Assert.True(created.Succeeded, string.Join("; ", created.Problems.Values));
        return created.Value!;
    }

    /// <summary>Posts one event as a service would (through the key authentication handler).</summary>
    private async Task<HttpResponseMessage> PostEventAsync(string secret)
    {
        using var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        return await client.PostAsJsonAsync("/api/v1/events", Ingest.Batch(Ingest.Event("ev-" + Guid.NewGuid().ToString("N"))), Ct);
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;

    [Fact]
    public async Task Rotate_WithGracePeriod_BothWorkUntilGraceUntil_ThenOldRefused_AndTheSweepRevokesIt()
    {
        var old = await CreateAsync(TestUsers.Owner, expiresAt: Now.AddDays(90));
        var owner = await Principals.ForAsync(_factory, TestUsers.Owner);

        var rotated = await Keys.RotateAsync(old.Key.Id, 24, owner, Ct);

        Assert.True(rotated.Succeeded, string.Join("; ", rotated.Problems.Values));
        var successor = rotated.Value!;
        Assert.NotEqual(old.Secret, successor.Secret);
        Assert.Equal("support bot (rotated)", successor.Key.Name);
        Assert.Equal(old.Key.Scopes, successor.Key.Scopes);
        Assert.Equal(old.Key.PathSlugs, successor.Key.PathSlugs);
        Assert.Equal(600, successor.Key.DecisionRequestsPerMinute);
        // The same lifetime from now: created 90 days ahead, replaced by a key that lasts 90 days.
        Assert.Equal(Now.AddDays(90), successor.Key.ExpiresAt);
        var graceUntil = Now.AddHours(24);
        var listed = await Keys.ListAsync(owner, Ct);
        Assert.Equal(graceUntil, listed.Single(k => k.Id == old.Key.Id).GraceUntil);
        Assert.Equal(successor.Key.Id, listed.Single(k => k.Id == old.Key.Id).ReplacedById);
        Assert.Equal("support bot", listed.Single(k => k.Id == successor.Key.Id).RotatedFromName);

        Assert.Equal(HttpStatusCode.OK, (await PostEventAsync(old.Secret)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostEventAsync(successor.Secret)).StatusCode);

        _factory.Clock.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(5));
        Assert.Equal(HttpStatusCode.OK, (await PostEventAsync(old.Secret)).StatusCode);
        Assert.Equal((0, 0), await Keys.SweepAsync(Ct)); // still in its grace period

        // Five seconds later, within the store's cache age: refused at the moment itself, before any sweep.
        _factory.Clock.Advance(TimeSpan.FromSeconds(5));
        var refused = await PostEventAsync(old.Secret);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var detail = await DetailAsync(refused);
        Assert.Contains("grace period ended at " + graceUntil.ToString("yyyy-MM-dd HH:mm:ss") + " UTC", detail);
        Assert.Equal(HttpStatusCode.OK, (await PostEventAsync(successor.Secret)).StatusCode);

        Assert.Equal((1, 0), await Keys.SweepAsync(Ct));
        var stored = await Db.QueryAsync(_factory, db => db.ApiKeys.SingleAsync(k => k.Id == old.Key.Id, Ct));
        Assert.Equal(graceUntil, stored.RevokedAt);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostEventAsync(old.Secret)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostEventAsync(successor.Secret)).StatusCode);
        var actions = await Db.QueryAsync(_factory, db => db.AuditEntries.Where(e => e.TargetType == "apikey" && e.TargetId == old.Key.Id.ToString())
            .OrderBy(e => e.Id).Select(e => e.Action).ToListAsync(Ct));
        Assert.Equal(["apikey.create", "apikey.rotate", "apikey.revoke"], actions);
        Assert.Equal((0, 0), await Keys.SweepAsync(Ct)); // recorded once
    }

    [Fact]
    public async Task Sweep_TwoInstancesTogether_RecordTheRevocationOnce()
    {
        var old = await CreateAsync(TestUsers.Owner);
        var rotated = await Keys.RotateAsync(old.Key.Id, 1, await Principals.ForAsync(_factory, TestUsers.Owner), Ct);
        Assert.True(rotated.Succeeded);
        var other = new FakeClockFactory(_factory.DatabasePath);
        try
        {
            _factory.Clock.Advance(TimeSpan.FromHours(2));
            other.Clock.SetUtcNow(_factory.Clock.GetUtcNow());
            var otherKeys = other.Services.GetRequiredService<ApiKeyService>();
            // Both find the key due; the second to hold the audit chain's lock finds it revoked already.
            var results = await Task.WhenAll(Keys.SweepAsync(Ct), otherKeys.SweepAsync(Ct));

            Assert.Equal(1, results.Sum(r => r.Revoked));
            var actions = await Db.QueryAsync(_factory, db => db.AuditEntries.Where(e => e.TargetType == "apikey" && e.TargetId == old.Key.Id.ToString())
                .Select(e => e.Action).ToListAsync(Ct));
            Assert.Single(actions, a => a == "apikey.revoke");
        }
        finally
        {
            await other.DisposeAsync(keepDatabase: true);
        }
    }

    [Fact]
    public async Task Rotate_ZeroGrace_OldKeyRevokedAtOnce()
    {
        var old = await CreateAsync(TestUsers.Admin);
        var admin = await Principals.ForAsync(_factory, TestUsers.Admin);
        Assert.Equal(HttpStatusCode.OK, (await PostEventAsync(old.Secret)).StatusCode); // cached as valid

        var rotated = await Keys.RotateAsync(old.Key.Id, 0, admin, Ct);

        Assert.True(rotated.Succeeded);
        Assert.Null(rotated.Value!.Key.ExpiresAt);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostEventAsync(old.Secret)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostEventAsync(rotated.Value.Secret)).StatusCode);
        Assert.NotNull(await Db.QueryAsync(_factory, db => db.ApiKeys.Where(k => k.Id == old.Key.Id).Select(k => k.RevokedAt).SingleAsync(Ct)));
        // Rotated once: a second rotation of the same key is refused and names the successor.
        var again = await Keys.RotateAsync(old.Key.Id, 24, admin, Ct);
        Assert.False(again.Succeeded);
    }

    [Fact]
    public async Task Expired_KeyCachedAsValid_RefusedAtItsExpiry_401NamesTheExpiry()
    {
        var expiresAt = Now.AddHours(2);
        var key = await CreateAsync(TestUsers.Owner, expiresAt: expiresAt);
        _factory.Clock.Advance(TimeSpan.FromHours(2) - TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, (await PostEventAsync(key.Secret)).StatusCode);

        _factory.Clock.Advance(TimeSpan.FromSeconds(10)); // less than ApiKeyStore.MaxAge: the cached entry itself must refuse
        var refused = await PostEventAsync(key.Secret);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("Bearer", refused.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal($"API key expired at {expiresAt:yyyy-MM-dd HH:mm:ss} UTC; create or rotate a key on the Keys page.", await DetailAsync(refused));
        // The decision API checks keys itself; it says the same.
        using var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Secret);
        var decision = await client.GetAsync("/api/v1/paths/support-reply-draft/decision?unit=u1", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, decision.StatusCode);
        Assert.Contains($"expired at {expiresAt:yyyy-MM-dd HH:mm:ss} UTC", await DetailAsync(decision));
        // An unknown key keeps the general message.
        var unknown = await PostEventAsync("ocs_" + new string('x', 40));
        Assert.DoesNotContain("expired", await DetailAsync(unknown));
    }

    [Fact]
    public async Task TryFindCached_KeyWithExpiry_AllocatesNoMoreThanWithout_AndRefusesAtTheMoment()
    {
        var key = await CreateAsync(TestUsers.Owner, expiresAt: Now.AddHours(1));
        _factory.Clock.Advance(TimeSpan.FromHours(1) - TimeSpan.FromSeconds(10));
        var store = _factory.Services.GetRequiredService<ApiKeyStore>();
        Assert.NotNull(await store.FindAsync(key.Secret, Ct));
        Assert.True(store.TryFindCached(key.Secret, out _, out _)); // warmed up

        var before = GC.GetAllocatedBytesForCurrentThread();
        var found = store.TryFindCached(key.Secret.AsSpan(), out var caller, out var ended);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(found);
        Assert.NotNull(caller);
        Assert.Null(ended);
        var plain = await CreateAsync(TestUsers.Owner, name: "no expiry");
        Assert.NotNull(await store.FindAsync(plain.Secret, Ct));
        Assert.True(store.TryFindCached(plain.Secret, out _, out _));
        var before2 = GC.GetAllocatedBytesForCurrentThread();
        store.TryFindCached(plain.Secret.AsSpan(), out _, out _);
        var allocatedPlain = GC.GetAllocatedBytesForCurrentThread() - before2;
        // The expiry check (the clock read per request) must add nothing to the cached path. The baseline
        // is measured rather than assumed: under this test host's fake clock it is not zero (48 bytes seen).
        Assert.True(allocated <= allocatedPlain, $"{allocated} bytes with an expiry, {allocatedPlain} without");
        _factory.Clock.Advance(TimeSpan.FromSeconds(10)); // within the cache age: the cached entry itself refuses
        Assert.True(store.TryFindCached(key.Secret, out caller, out ended));
        Assert.Null(caller);
        Assert.False(ended!.Value.ByRotation);
    }

    [Fact]
    public async Task Expired_KeyCanStillBeRotated_SuccessorWorks()
    {
        var key = await CreateAsync(TestUsers.Owner, expiresAt: Now.AddDays(30));
        _factory.Clock.Advance(TimeSpan.FromDays(31));
        var owner = await Principals.ForAsync(_factory, TestUsers.Owner);

        var rotated = await Keys.RotateAsync(key.Key.Id, 24, owner, Ct);

        Assert.True(rotated.Succeeded);
        Assert.Equal(Now.AddDays(30), rotated.Value!.Key.ExpiresAt);
        Assert.Equal(HttpStatusCode.OK, (await PostEventAsync(rotated.Value.Secret)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostEventAsync(key.Secret)).StatusCode);
    }

    [Fact]
    public async Task Sweep_KeyEntersItsLastWeek_CreatorNotifiedOnce()
    {
        var key = await CreateAsync(TestUsers.Owner, expiresAt: Now.AddDays(10));
        var ownerId = await Principals.IdOfAsync(_factory, TestUsers.Owner);
        Task<List<Notification>> NoticesAsync() => Db.QueryAsync(_factory, db => db.Notifications.Where(n => n.Kind == NotificationKinds.KeyExpiry).ToListAsync(Ct));

        await Keys.SweepAsync(Ct);
        Assert.Empty(await NoticesAsync()); // ten days out: too early

        _factory.Clock.Advance(TimeSpan.FromDays(3) + TimeSpan.FromMinutes(1));
        Assert.Equal((0, 1), await Keys.SweepAsync(Ct));
        _factory.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal((0, 0), await Keys.SweepAsync(Ct));

        var notice = Assert.Single(await NoticesAsync());
        Assert.Equal(ownerId, notice.UserId);
        Assert.Equal("/keys", notice.Link);
        Assert.Contains("support bot", notice.Title);
        var owner = await Principals.ForAsync(_factory, TestUsers.Owner);
        var view = (await Keys.ListAsync(owner, Ct)).Single(k => k.Id == key.Key.Id);
        Assert.True(view.ExpiresSoon(Now));
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(0.0)]
    [InlineData(731.0)]
    public async Task Create_ExpiryNotInTheFutureOrTooFar_RefusedWithTheRule(double days)
    {
        var owner = await Principals.ForAsync(_factory, TestUsers.Owner);
        var created = await Keys.CreateAsync(new ApiKeyInput { Name = "bad expiry", PathSlugs = ["support-reply-draft"], ExpiresAt = Now.AddDays(days) }, owner, Ct);

        Assert.False(created.Succeeded);
        Assert.Equal(ApiKeyService.ExpiryRule, created.FieldErrors[nameof(ApiKeyInput.ExpiresAt)]);
        Assert.Equal(0, await Db.QueryAsync(_factory, db => db.ApiKeys.CountAsync(k => k.Name == "bad expiry", Ct)));
    }

    [Theory]
    [InlineData("evil\u202Egnp.exe")]
    [InlineData("line\nbreak")]
    [InlineData("nul\0byte")]
    [InlineData("zero\u200Bwidth")]
    public async Task Create_NameWithControlOrInvisibleCharacters_Refused(string name)
    {
        var owner = await Principals.ForAsync(_factory, TestUsers.Owner);
        var created = await Keys.CreateAsync(new ApiKeyInput { Name = name, PathSlugs = ["support-reply-draft"] }, owner, Ct);

        Assert.False(created.Succeeded);
        Assert.Equal(ApiKeyService.NameRule, created.FieldErrors[nameof(ApiKeyInput.Name)]);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(-1.0)]
    [InlineData(1.5)]
    [InlineData(169.0)]
    [InlineData(1e12)]
    public async Task Rotate_InvalidGrace_RefusedAndNothingChanged(double hours)
    {
        var key = await CreateAsync(TestUsers.Owner);
        var owner = await Principals.ForAsync(_factory, TestUsers.Owner);

        var rotated = await Keys.RotateAsync(key.Key.Id, hours, owner, Ct);

        Assert.False(rotated.Succeeded);
        Assert.Equal(ApiKeyService.GraceRule, rotated.FieldErrors["GraceHours"]);
        Assert.Equal(1, await Db.QueryAsync(_factory, db => db.ApiKeys.CountAsync(k => k.Name.StartsWith("support bot"), Ct)));
        Assert.Equal(HttpStatusCode.OK, (await PostEventAsync(key.Secret)).StatusCode);
    }

    [Fact]
    public async Task Rotate_LongName_SuccessorNameFitsAndIsNotSuffixedTwice()
    {
        var key = await CreateAsync(TestUsers.Admin, name: new string('n', 100));
        var admin = await Principals.ForAsync(_factory, TestUsers.Admin);
        var first = (await Keys.RotateAsync(key.Key.Id, 1, admin, Ct)).Value!;
        Assert.Equal(100, first.Key.Name.Length);
        Assert.EndsWith(" (rotated)", first.Key.Name);
        var second = (await Keys.RotateAsync(first.Key.Id, 1, admin, Ct)).Value!;
        Assert.Equal(first.Key.Name, second.Key.Name);
    }

    [Theory]
    [InlineData(TestUsers.Viewer)]
    [InlineData(TestUsers.Reviewer)]
    [InlineData(TestUsers.OnCall)]
    public async Task Rotate_ByRoleWithoutKeyRights_RefusedAndKeyUnchanged(string email)
    {
        var key = await CreateAsync(TestUsers.Admin);
        var user = await Principals.ForAsync(_factory, email);

        var rotated = await Keys.RotateAsync(key.Key.Id, 24, user, Ct);

        Assert.False(rotated.Succeeded);
        var stored = await Db.QueryAsync(_factory, db => db.ApiKeys.SingleAsync(k => k.Id == key.Key.Id, Ct));
        Assert.Null(stored.GraceUntil);
        Assert.Null(stored.ReplacedById);
    }

    [Fact]
    public async Task Rotate_OwnerOfOtherPathsOnly_Refused_OwnerOfItsPaths_Allowed()
    {
        var admin = await Principals.ForAsync(_factory, TestUsers.Admin);
        var created = await _factory.Services.GetRequiredService<OpsConsole.Web.Features.Paths.PathService>().CreateAsync(new OpsConsole.Web.Features.Paths.PathInput
        {
            Slug = "owner2-only",
            Name = "Owner 2 only",
            OwnerIds = [await Principals.IdOfAsync(_factory, TestUsers.Owner2)],
        }, admin, Ct);
        Assert.True(created.Succeeded);
        var key = await CreateAsync(TestUsers.Owner2, path: "owner2-only");

        var byOwner = await Keys.RotateAsync(key.Key.Id, 24, await Principals.ForAsync(_factory, TestUsers.Owner), Ct);
        Assert.False(byOwner.Succeeded);
        Assert.Null(await Db.QueryAsync(_factory, db => db.ApiKeys.Where(k => k.Id == key.Key.Id).Select(k => k.ReplacedById).SingleAsync(Ct)));

        var byOwner2 = await Keys.RotateAsync(key.Key.Id, 24, await Principals.ForAsync(_factory, TestUsers.Owner2), Ct);
        Assert.True(byOwner2.Succeeded);
    }

    [Fact]
    public async Task Rotate_DemoKeyFromConfiguration_Refused()
    {
        var admin = await Principals.ForAsync(_factory, TestUsers.Admin);
        var demo = (await Keys.ListAsync(admin, Ct)).Single(k => k.IsSystem);
        Assert.False(demo.CanRotate);
        Assert.False((await Keys.RotateAsync(demo.Id, 24, admin, Ct)).Succeeded);
    }
}
