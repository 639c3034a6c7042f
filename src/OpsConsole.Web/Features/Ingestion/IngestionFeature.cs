using Hangfire;
using OpsConsole.Web.Infrastructure.Jobs;
using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Explorer;

namespace OpsConsole.Web.Features.Ingestion;

public static class IngestionFeature
{
    public const string WritePolicy = "ApiEventsWrite";
    public const string RateLimitPolicy = "per-api-key";
    public const string RateLimitedCode = "ingestion_rate_limited";

    public static WebApplicationBuilder AddIngestion(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<IngestionOptions>(builder.Configuration.GetSection(IngestionOptions.Section));
        var options = builder.Configuration.GetSection(IngestionOptions.Section).Get<IngestionOptions>() ?? new();

        services.AddSingleton<IngestionWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<IngestionWriter>());
        services.AddSingleton<IngestionService>();

        services.AddAuthorizationBuilder().AddPolicy(WritePolicy, p => p
            .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireClaim(ApiKeyAuthenticationHandler.ScopeClaim, ApiScopes.EventsWrite));

        services.AddRateLimiter(o =>
        {
            // A token bucket per key: bursts up to Burst requests, then RequestsPerSecond.
            o.AddPolicy(RateLimitPolicy, http => RateLimitPartition.GetTokenBucketLimiter(
                http.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "anonymous",
                _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = Math.Max(1, options.Burst),
                    TokensPerPeriod = Math.Max(1, options.RequestsPerSecond),
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
            o.OnRejected = async (ctx, ct) =>
            {
                var seconds = ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)) : 1;
                ctx.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                ctx.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Rate limit exceeded",
                    detail: $"This key may send {options.RequestsPerSecond} requests per second (bursts of {options.Burst}). Retry after {seconds} s.",
                    // Distinct from the decision API's decision_budget_exceeded, so a client can tell which limit it met.
                    extensions: new Dictionary<string, object?> { ["code"] = RateLimitedCode })
                    .ExecuteAsync(ctx.HttpContext);
            };
        });
        return builder;
    }

    public static WebApplication MapIngestion(this WebApplication app)
    {
        app.MapEventsApi();
        return app;
    }
}
