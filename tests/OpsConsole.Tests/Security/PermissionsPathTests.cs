using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Security;

/// <summary>
/// <see cref="Permissions"/> on the seeded database: each demo user on a path they are listed on
/// (support-reply-draft: both owners, the reviewer, the on-call person) and on another path where
/// only the second owner is listed. The per-path answer and the one-query list of paths agree with
/// <see cref="PermissionsTests.Design"/>.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PermissionsPathTests : IntegrationTest
{
    private const string Listed = "support-reply-draft";
    private const string Other = "someone-elses";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(TestUsers.Admin, AppRoles.Admin, Relation.None, Relation.None)]
    [InlineData(TestUsers.Owner, AppRoles.PathOwner, Relation.Owner, Relation.None)]
    [InlineData(TestUsers.Owner2, AppRoles.PathOwner, Relation.Owner, Relation.Owner)]
    [InlineData(TestUsers.OnCall, AppRoles.OnCall, Relation.OnCall, Relation.None)]
    [InlineData(TestUsers.Reviewer, AppRoles.Reviewer, Relation.Reviewer, Relation.None)]
    [InlineData(TestUsers.Viewer, AppRoles.Viewer, Relation.None, Relation.None)]
    public async Task MayAsyncAndSlugsAsync_DemoUser_MatchDesignTable(string email, string role, Relation onListed, Relation onOther)
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        Assert.True((await Factory.Services.GetRequiredService<PathService>().CreateAsync(
            new PathInput { Slug = Other, Name = "Someone else's", OwnerIds = [await Principals.IdOfAsync(Factory, TestUsers.Owner2)] }, admin, Ct)).Succeeded);
        var permissions = Factory.Services.GetRequiredService<Permissions>();
        var user = await Principals.ForAsync(Factory, email);

        foreach (var action in Enum.GetValues<PathAction>())
        {
            var onListedExpected = PermissionsTests.Expected(action, role, onListed);
            var onOtherExpected = PermissionsTests.Expected(action, role, onOther);
            Assert.True(onListedExpected == await permissions.MayAsync(user, action, Listed, Ct), $"{action} on {Listed}");
            Assert.True(onOtherExpected == await permissions.MayAsync(user, action, Other, Ct), $"{action} on {Other}");
            Assert.False(await permissions.MayAsync(user, action, "no-such-path", Ct) && !Permissions.MayOnEveryPath(user, action), $"{action} on a missing path");

            var slugs = await permissions.SlugsAsync(user, action, Ct);
            if (Permissions.MayOnEveryPath(user, action))
            {
                Assert.Null(slugs);
            }
            else
            {
                Assert.NotNull(slugs);
                Assert.Equal(onListedExpected, slugs.Contains(Listed));
                Assert.Equal(onOtherExpected, slugs.Contains(Other));
                Assert.Equal(slugs.Count, (await permissions.PathIdsAsync(user, action, Ct))!.Count);
            }
        }
    }
}
