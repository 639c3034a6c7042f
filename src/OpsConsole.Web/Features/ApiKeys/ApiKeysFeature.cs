using Microsoft.AspNetCore.Authentication;
using OpsConsole.Web.Realtime;

namespace OpsConsole.Web.Features.ApiKeys;

public static class ApiKeysFeature
{
    public const string KeyOrCookieScheme = "ApiKeyOrCookie";

    public static WebApplicationBuilder AddApiKeys(this WebApplicationBuilder builder)
    {
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            // For endpoints both people and services call: a bearer token means a key, anything else the sign-in cookie.
            .AddPolicyScheme(KeyOrCookieScheme, KeyOrCookieScheme, o => o.ForwardDefaultSelector = http =>
                http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? ApiKeyAuthenticationHandler.SchemeName
                    : Microsoft.AspNetCore.Identity.IdentityConstants.ApplicationScheme);
        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddNotifier<ApiKeyChangeNotifier>();
        builder.Services.AddSingleton<ApiKeyService>();
        return builder;
    }
}
