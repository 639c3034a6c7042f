using Hangfire;
using Microsoft.AspNetCore.Authentication;
using OpsConsole.Web.Infrastructure.Jobs;
using OpsConsole.Web.Realtime;

namespace OpsConsole.Web.Features.ApiKeys;

/// <summary>Revokes rotated keys whose grace period ended and warns creators of keys about to expire.</summary>
public sealed class ApiKeySweepJob(ApiKeyService keys)
{
    public const string Id = "apikey-sweep";

    [DisableConcurrentExecution(timeoutInSeconds: 300)]
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var (revoked, warned) = await keys.SweepAsync(ct);
        return revoked + warned;
    }
}

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
        builder.Services.AddTransient<ApiKeySweepJob>();
        // Every five minutes: the authentication refuses a key at its grace end by itself; the sweep only records
        // the revocation, and an expiry warning a few minutes late is still days early.
        builder.Services.AddRecurringJobs(jobs => jobs.AddOrUpdate<ApiKeySweepJob>(ApiKeySweepJob.Id, j => j.RunAsync(CancellationToken.None), "*/5 * * * *"));
        return builder;
    }
}
