using System.Security.Claims;
using Bunit;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Components;

/// <summary>
/// Set up as MudBlazor's own tests: loose JS interop, no transitions. Authorization uses the app's
/// real policies (not bUnit's fake service) so a test sees what a user with those roles sees.
/// </summary>
public abstract class ComponentTestBase : BunitContext
{
    protected ComponentTestBase()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices(o =>
        {
            o.SnackbarConfiguration.ShowTransitionDuration = 0;
            o.SnackbarConfiguration.HideTransitionDuration = 0;
            o.PopoverOptions.CheckForPopoverProvider = false;
        });
        Services.AddAuthorizationCore(Policies.Configure);
        // bUnit pre-registers placeholders for these; the real ones evaluate the app's policies.
        Services.AddSingleton<IAuthorizationService, DefaultAuthorizationService>();
        Services.AddSingleton<IAuthorizationPolicyProvider, DefaultAuthorizationPolicyProvider>();
        Services.AddCascadingAuthenticationState();
    }

    protected void SignedInAs(params string[] roles) => SignedInAsUser("u1", "someone@opsconsole.local", roles);

    protected void SignedInAsUser(string userId, string name, params string[] roles) => SignedInAsUser(userId, name, [], roles);

    /// <summary>The same with claims of the cookie's own, such as its session.</summary>
    protected void SignedInAsUser(string userId, string name, IEnumerable<Claim> extra, params string[] roles)
    {
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.NameIdentifier, userId), .. roles.Select(r => new Claim(ClaimTypes.Role, r)), .. extra],
            authenticationType: "test");
        Services.AddSingleton<AuthenticationStateProvider>(new FixedAuthState(new ClaimsPrincipal(identity)));
    }

    private sealed class FixedAuthState(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }
}
