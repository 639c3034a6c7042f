using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Web.Data;

namespace OpsConsole.Tests.Infrastructure;

/// <summary>The ClaimsPrincipal a signed-in demo user carries, built by Identity itself.</summary>
public static class Principals
{
    public static async Task<ClaimsPrincipal> ForAsync(OpsConsoleFactory factory, string email)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var claims = scope.ServiceProvider.GetRequiredService<IUserClaimsPrincipalFactory<AppUser>>();
        var user = await users.FindByEmailAsync(email) ?? throw new InvalidOperationException($"No user {email}");
        return await claims.CreateAsync(user);
    }

    public static async Task<string> IdOfAsync(OpsConsoleFactory factory, string email)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        return (await users.FindByEmailAsync(email))!.Id;
    }

    /// <summary>An admin that exists only as claims: enough for services that need an id, a name and a role.</summary>
    public static ClaimsPrincipal Admin(string name) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, "id-" + name), new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, OpsConsole.Web.Infrastructure.Security.AppRoles.Admin)], "test"));
}
