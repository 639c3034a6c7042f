using OpsConsole.Web.Features.Controls;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.Net.Http.Headers;
using OpsConsole.Client;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Features.Decisions;

/// <summary>
/// The decision and config APIs (DESIGN.md "Decision"). Both answer from the in-memory path
/// snapshot with the rollout rule the client library uses, so a local evaluation and the API can
/// never disagree. The key check is the store's allocation-free cache lookup, not the
/// authentication middleware: at this request rate building a principal per call would dominate.
/// </summary>
public static class DecisionApi
{
    public static IEndpointRouteBuilder MapDecisionApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").AllowAnonymous();
        api.MapGet("/paths/{slug}/decision", DecideAsync).WithName("Decision")
            .Produces<Decision>().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        api.MapGet("/config", ConfigAsync).WithName("Config")
            .Produces<ConfigDocument>().Produces(StatusCodes.Status304NotModified).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        // A constant answer through the same pipeline: the decision benchmark's baseline, and a cheap liveness probe for clients.
        api.MapGet("/ping", () => TypedResults.Json(Pong, DecisionJson.Default.PingResponse)).WithName("Ping");
        return app;
    }

    private static readonly PingResponse Pong = new("ok");

    public sealed record PingResponse(string Status);

    private static async Task<IResult> DecideAsync(HttpContext http, string slug, string? unit, ApiKeyStore keys, DecisionBudget budget, PathCatalog catalog)
    {
        var (caller, problem) = await AuthenticateAsync(http, keys, budget);
        if (problem is not null)
        {
            return problem;
        }
        // A key that may not read the path learns nothing about it, not even whether it exists.
        var path = caller!.MayUse(slug) ? await catalog.FindAsync(slug, http.RequestAborted) : null;
        if (path is null)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown path",
                detail: $"No path '{slug}' that this key may read.");
        }
        if (unit is { Length: > 512 })
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unit too long", detail: "unit must be at most 512 characters.");
        }
        return TypedResults.Json(Rollout.Decide(path.Decision, unit), DecisionJson.Default.Decision);
    }

    private static async Task<IResult> ConfigAsync(HttpContext http, ApiKeyStore keys, DecisionBudget budget, PathCatalog catalog)
    {
        var (caller, problem) = await AuthenticateAsync(http, keys, budget);
        if (problem is not null)
        {
            return problem;
        }
        var paths = (await catalog.GetAllAsync(http.RequestAborted)).Values.Where(p => caller!.MayUse(p.Slug))
            .OrderBy(p => p.Slug, StringComparer.Ordinal).Select(p => p.Decision).ToList();
        var version = VersionOf(paths);
        var etag = $"\"{version}\"";
        http.Response.Headers.ETag = etag;
        http.Response.Headers.CacheControl = "no-cache";
        if (IfNoneMatch(http.Request, etag))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return TypedResults.Json(new ConfigDocument(version, paths), DecisionJson.Default.ConfigDocument);
    }


    /// <summary>Whether the request's <c>If-None-Match</c> names <paramref name="etag"/> (quotes included) or is <c>*</c>.</summary>
    internal static bool IfNoneMatch(HttpRequest request, string etag) =>
        request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == etag || t.Trim() == "*"));

    public static string FallbackName(FallbackMode mode) => FallbackModes.Name(mode);

    /// <summary>A short hash of everything the document says: equal documents, equal version, on every instance.</summary>
    public static string VersionOf(IReadOnlyList<PathConfig> paths)
    {
        var text = new StringBuilder();
        foreach (var p in paths)
        {
            text.Append(p.Slug).Append('|').Append(p.KillSwitch).Append('|').Append(p.RolloutPercent).Append('|').Append(p.ConfigVersion).Append('|').Append(p.Fallback)
                .Append('|').Append(p.Stable?.Id).Append('|').Append(p.Candidate?.Id).Append('|').Append(p.CandidateShare).Append('|').Append(p.ContainedBy).Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 12));
    }

    /// <summary>
    /// The caller's key with <c>decisions:read</c> and budget left, or the 401/403/429 to answer. The key comes as
    /// <c>Authorization: Bearer</c>; with <paramref name="orApiKeyHeader"/> also as <c>X-API-Key</c>
    /// (OFREP names both ways, and its providers send whichever header they are given).
    /// </summary>
    internal static async ValueTask<(ApiCaller? Caller, IResult? Problem)> AuthenticateAsync(
        HttpContext http, ApiKeyStore keys, DecisionBudget budget, bool orApiKeyHeader = false)
    {
        var header = http.Request.Headers.Authorization.ToString();
        var prefix = "Bearer ";
        ReadOnlySpan<char> secret;
        if (header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            secret = header.AsSpan(prefix.Length).Trim();
        }
        else if (orApiKeyHeader && header.Length == 0 && http.Request.Headers[ApiKeyHeader].ToString() is { Length: > 0 } apiKey)
        {
            secret = apiKey.AsSpan().Trim();
        }
        else
        {
            return (null, Unauthorized(http));
        }
        if (!keys.TryFindCached(secret, out var caller, out var ended))
        {
            (caller, ended) = await keys.LookupAsync(secret.ToString(), http.RequestAborted);
        }
        if (caller is null)
        {
            return (null, Unauthorized(http, ended));
        }
        if (!caller.Has(ApiScopes.DecisionsRead))
        {
            return (null, Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Scope missing",
                detail: $"This API key does not have the '{ApiScopes.DecisionsRead}' scope."));
        }
        if (!budget.TryTake(caller, out var retryAfter))
        {
            return (null, DecisionBudget.Exceeded(http, caller, retryAfter));
        }
        return (caller, null);
    }

    public const string ApiKeyHeader = "X-API-Key";

    private static IResult Unauthorized(HttpContext http, KeyEnded? ended = null)
    {
        http.Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
        return ended is { } end
            ? Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "API key expired", detail: end.Detail)
            : Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "API key required",
                detail: "Send a valid, unrevoked key with the decisions:read scope as 'Authorization: Bearer <key>'.");
    }
}

/// <summary>Source-generated JSON for the hot endpoints (no reflection per response).</summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Decision))]
[JsonSerializable(typeof(ConfigDocument))]
[JsonSerializable(typeof(DecisionApi.PingResponse))]
internal sealed partial class DecisionJson : JsonSerializerContext;
