using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Users;
using OpsConsole.Web.Infrastructure.Security;
using OpsConsole.Web.Features.Audit;

namespace OpsConsole.Tests.Features.Users;

[Trait("Category", "Integration")]
public sealed class UserAdminServiceTests : IntegrationTest
{
    private UserAdminService _users = null!;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _users = Factory.Services.GetRequiredService<UserAdminService>();
    }

    private async Task<string> LastActionAsync() =>
        await Db.QueryAsync(Factory, db => db.AuditEntries.OrderByDescending(e => e.Id).Select(e => e.Action).FirstAsync());

    [Fact]
    public async Task Create_ValidUser_CanSignInAndIsAudited()
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var result = await _users.CreateAsync("new.reviewer@example.com", "New Reviewer", "twelve chars ok", [AppRoles.Reviewer], admin, CancellationToken.None);
        Assert.True(result.Succeeded, string.Join(";", result.Problems.Values));
        Assert.Equal("user.create", await LastActionAsync());
        await SignIn.AsAsync(Factory, "new.reviewer@example.com", "twelve chars ok");
    }

    [Theory]
    [InlineData("eleven char", "at least 12")]
    [InlineData(null, "at most 128")]
    public async Task Create_PasswordOutOfBounds_ClearError(string? password, string message)
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var result = await _users.CreateAsync("p@example.com", "P", password ?? new string('x', 129), [AppRoles.Viewer], admin, CancellationToken.None);
        Assert.Contains(result.Problems.Values, e => e.Contains(message));
    }

    [Fact]
    public async Task Create_SixtyFourCharPassphraseWithoutComposition_Accepted()
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var passphrase = "quiet lanterns drift over the harbour while grey gulls argue now";
        Assert.Equal(64, passphrase.Length);
        var result = await _users.CreateAsync("long@example.com", "Long", passphrase, [AppRoles.Viewer], admin, CancellationToken.None);
        Assert.True(result.Succeeded, string.Join(";", result.Problems.Values));
    }

    [Fact]
    public async Task Create_UncommonThirteenCharPassword_Accepted()
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var result = await _users.CreateAsync("thirteen@example.com", "Thirteen", "plum tractor9", [AppRoles.Viewer], admin, CancellationToken.None);
        Assert.True(result.Succeeded, string.Join(";", result.Problems.Values));
        await SignIn.AsAsync(Factory, "thirteen@example.com", "plum tractor9");
    }

    /// <summary>Common, one repeated character, or the account's own e-mail, name or e-mail's local part (any case).</summary>
    public static TheoryData<string, string, string> WeakPasswords(string email) => new()
    {
        { email, "password1234", "common" },
        { email, "PASSWORD1234", "common" },
        { email, "qwertyuiop123", "common" },
        { email, "aaaaaaaaaaaa", "repeat" },
        { email, email, "e-mail" },
        { email, email.ToUpperInvariant(), "e-mail" },
        { email, "my " + email + " password", "e-mail" },
        { email, email.Split('@')[0] + " and more words", "e-mail" },
    };

    public static TheoryData<string, string, string> WeakNewUserPasswords() => WeakPasswords("casey.jones@example.com");

    public static TheoryData<string, string, string> WeakResetPasswords() => WeakPasswords(TestUsers.Reviewer);

    [Theory]
    [MemberData(nameof(WeakNewUserPasswords))]
    public async Task Create_WeakPassword_RefusedWithReason(string email, string password, string reason)
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var result = await _users.CreateAsync(email, "Casey", password, [AppRoles.Viewer], admin, CancellationToken.None);
        Assert.False(result.Succeeded);
        Assert.Contains(result.Problems.Values, e => e.Contains(reason, StringComparison.OrdinalIgnoreCase));
        Assert.Null(await Db.QueryAsync(Factory, db => db.Users.FirstOrDefaultAsync(u => u.Email == email)));
    }

    [Theory]
    [MemberData(nameof(WeakResetPasswords))]
    public async Task ResetPassword_WeakPassword_RefusedAndOldStillWorks(string email, string password, string reason)
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var result = await _users.ResetPasswordAsync(await Principals.IdOfAsync(Factory, email), password, admin, CancellationToken.None);
        Assert.False(result.Succeeded);
        Assert.Contains(result.Problems.Values, e => e.Contains(reason, StringComparison.OrdinalIgnoreCase));
        await SignIn.AsAsync(Factory, email);
    }

    [Fact]
    public async Task Create_DuplicateEmailOrBadInput_RefusedAndNotAudited()
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var before = await Db.QueryAsync(Factory, db => db.AuditEntries.CountAsync());
        Assert.Contains("already exists", (await _users.CreateAsync(TestUsers.Viewer, "x", "twelve chars ok", [AppRoles.Viewer], admin, CancellationToken.None)).Problems.Values.First());
        Assert.Contains("valid e-mail", (await _users.CreateAsync("not-an-email", "x", "twelve chars ok", [AppRoles.Viewer], admin, CancellationToken.None)).Problems.Values.First());
        Assert.Contains("Unknown role", (await _users.CreateAsync("r@example.com", "x", "twelve chars ok", ["Superuser"], admin, CancellationToken.None)).Problems.Values.First());
        Assert.Equal(before, await Db.QueryAsync(Factory, db => db.AuditEntries.CountAsync()));
    }

    [Fact]
    public async Task AnyOperation_ByNonAdmin_Refused()
    {
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var viewerId = await Principals.IdOfAsync(Factory, TestUsers.Viewer);
        Assert.False((await _users.SetRolesAsync(viewerId, [AppRoles.Admin], owner, CancellationToken.None)).Succeeded);
        Assert.False((await _users.SetLockedAsync(viewerId, true, owner, CancellationToken.None)).Succeeded);
        Assert.False((await _users.ResetPasswordAsync(viewerId, "new password here", owner, CancellationToken.None)).Succeeded);
        Assert.False((await _users.CreateAsync("x@example.com", "x", "twelve chars ok", [AppRoles.Admin], owner, CancellationToken.None)).Succeeded);
    }

    [Fact]
    public async Task SetRoles_GrantsNewRights_AndAudits()
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var viewerId = await Principals.IdOfAsync(Factory, TestUsers.Viewer);
        Assert.True((await _users.SetRolesAsync(viewerId, [AppRoles.Viewer, AppRoles.Admin], admin, CancellationToken.None)).Succeeded);
        Assert.Equal("user.roles", await LastActionAsync());
        var viewer = await SignIn.AsAsync(Factory, TestUsers.Viewer);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await viewer.GetAsync("/admin/users", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task SetRoles_RemoveOwnAdmin_Refused()
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var result = await _users.SetRolesAsync(await Principals.IdOfAsync(Factory, TestUsers.Admin), [AppRoles.Viewer], admin, CancellationToken.None);
        Assert.Equal("You cannot remove your own Admin role.", result.Problems.Values.Single());
    }

    [Fact]
    public async Task Lock_ThenUnlock_SignInFollows()
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var viewerId = await Principals.IdOfAsync(Factory, TestUsers.Viewer);
        Assert.True((await _users.SetLockedAsync(viewerId, true, admin, CancellationToken.None)).Succeeded);
        await Assert.ThrowsAsync<InvalidOperationException>(() => SignIn.AsAsync(Factory, TestUsers.Viewer));
        Assert.True((await _users.SetLockedAsync(viewerId, false, admin, CancellationToken.None)).Succeeded);
        await SignIn.AsAsync(Factory, TestUsers.Viewer);
        Assert.Equal("user.unlock", await LastActionAsync());
        Assert.False((await _users.SetLockedAsync(await Principals.IdOfAsync(Factory, TestUsers.Admin), true, admin, CancellationToken.None)).Succeeded);
    }

    [Fact]
    public async Task ResetPassword_OldStopsNewWorks_SecretNotInAudit()
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var id = await Principals.IdOfAsync(Factory, TestUsers.Reviewer);
        Assert.True((await _users.ResetPasswordAsync(id, "brand new passphrase", admin, CancellationToken.None)).Succeeded);
        await SignIn.AsAsync(Factory, TestUsers.Reviewer, "brand new passphrase");
        await Assert.ThrowsAsync<InvalidOperationException>(() => SignIn.AsAsync(Factory, TestUsers.Reviewer));
        var entry = await Db.QueryAsync(Factory, db => db.AuditEntries.OrderByDescending(e => e.Id).FirstAsync());
        Assert.DoesNotContain("brand new passphrase", entry.AfterJson);
    }
}
