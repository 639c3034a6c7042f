using Microsoft.AspNetCore.Authentication;

namespace OpsConsole.Web.Features.ApiKeys;

public static class ApiKeysFeature
{
    public static WebApplicationBuilder AddApiKeys(this WebApplicationBuilder builder)
    {
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddSingleton<ApiKeyService>();
        return builder;
    }
}
