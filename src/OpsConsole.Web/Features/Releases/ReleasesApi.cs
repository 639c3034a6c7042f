using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Releases;

/// <summary>
/// <c>POST /api/v1/paths/{slug}/releases</c> (from CI: an API key with <c>releases:write</c> for
/// the path) creates a release, or returns the existing one with the same content;
/// <c>GET</c> lists the path's releases (such a key, one with <c>decisions:read</c>, or a person who
/// may view the path).
/// </summary>
public static class ReleasesApi
{
    public const int MaxBodyBytes = 256 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
    };

    public sealed record ReleaseResponse(
        string Id, string Path, string Model, string PromptVersion, string? PromptTemplateHash, JsonElement Parameters, JsonElement Context,
        string Notes, DateTime CreatedAt, string CreatedBy, bool Stable, bool Candidate);

    public static IEndpointRouteBuilder MapReleasesApi(this IEndpointRouteBuilder app)
    {
        const string Route = "/api/v1/paths/{slug}/releases";
        app.MapPost(Route, PostAsync).RequireAuthorization(KeyOrSession).WithName("CreateRelease")
            .WithSummary("Creates a release of the path from its content (idempotent: the same content is the same release).")
            .Produces<ReleaseResponse>(StatusCodes.Status201Created).Produces<ReleaseResponse>()
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        app.MapGet(Route, GetAsync).RequireAuthorization(KeyOrSession).WithName("ListReleases").WithSummary("The path's releases, newest first.")
            .Produces<IReadOnlyList<ReleaseResponse>>().ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }

    private static void KeyOrSession(Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder p) =>
        p.AddAuthenticationSchemes(ApiKeysFeature.KeyOrCookieScheme).RequireAuthenticatedUser();

    private static IResult Forbidden(string detail) => Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed", detail: detail);

    private static async Task<IResult> PostAsync(HttpContext http, string slug, ReleaseService releases, Permissions permissions, CancellationToken ct)
    {
        var key = http.Features.Get<ApiCaller>();
        AuditActor actor;
        if (key is not null)
        {
            // A key that may not write releases of this path learns nothing about it, not even whether it exists.
            if (!key.Has(ApiScopes.ReleasesWrite) || !key.MayUse(slug))
            {
                return Forbidden($"Releases are created with an API key that has {ApiScopes.ReleasesWrite} for path '{slug}'.");
            }
            actor = new AuditActor(null, "key:" + key.Name);
        }
        else
        {
            if (!await permissions.MayAsync(http.User, PathAction.Edit, slug, ct))
            {
                return Forbidden("Only the path's owners and admins create releases.");
            }
            actor = AuditActor.From(http.User);
        }
        if (!http.Request.HasJsonContentType())
        {
            return Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported content type",
                detail: "Send the release as 'Content-Type: application/json'.");
        }
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            return TooLarge();
        }
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }
        ReleaseInput? input;
        try
        {
            input = await JsonSerializer.DeserializeAsync<ReleaseInput>(http.Request.Body, Json, ct);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge();
        }
        catch (JsonException ex) when (ex.InnerException is InvalidOperationException inner)
        {
            // Valid JSON whose text is not valid UTF-16 (an escaped lone surrogate such as \ud800).
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid release",
                detail: $"{ex.Path} is not valid text: {inner.Message}");
        }
        catch (JsonException ex)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid release",
                detail: "The body is not a release object: " + ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            // System.Text.Json refuses an escaped lone surrogate this way.
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid release", detail: "The body has invalid text: " + ex.Message);
        }
        if (input is null)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid release", detail: "The body is null; send a release object.");
        }
        var result = await releases.CreateAsync(slug, input, actor, ct);
        if (result.FieldErrors.Count > 0)
        {
            return Results.ValidationProblem(result.FieldErrors.ToDictionary(kv => kv.Key, kv => new[] { kv.Value }),
                title: "Invalid release", detail: result.Error);
        }
        if (!result.Succeeded)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown path", detail: result.Error);
        }
        var created = result.Value!;
        var body = Response(slug, new ReleaseView(created.Release, created.IsStable, created.IsCandidate));
        return created.Created
            ? Results.Created($"/api/v1/paths/{slug}/releases/{created.Release.Id}", body)
            : Results.Ok(body);
    }

    private static async Task<IResult> GetAsync(HttpContext http, string slug, ReleaseService releases, Permissions permissions, CancellationToken ct)
    {
        var key = http.Features.Get<ApiCaller>();
        var allowed = key is not null
            ? (key.Has(ApiScopes.ReleasesWrite) || key.Has(ApiScopes.DecisionsRead)) && key.MayUse(slug)
            : await permissions.MayAsync(http.User, PathAction.View, slug, ct);
        if (!allowed)
        {
            return Forbidden($"Releases are listed with an API key that has {ApiScopes.ReleasesWrite} or {ApiScopes.DecisionsRead} for path '{slug}', or by a person who may view it.");
        }
        var list = await releases.ListAsync(slug, ct);
        return list is null
            ? Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown path", detail: $"Path '{slug}' does not exist.")
            : Results.Ok(list.Select(r => Response(slug, r)).ToList());
    }

    private static ReleaseResponse Response(string slug, ReleaseView v) => new(
        v.Release.Id, slug, v.Release.Model, v.Release.PromptVersion, v.Release.PromptTemplateHash,
        ReleaseConfigs.Element(v.Release.ParametersJson), ReleaseConfigs.Element(v.Release.ContextJson), v.Release.Notes, v.Release.CreatedAt, v.Release.CreatedByName, v.IsStable, v.IsCandidate);

    private static IResult TooLarge() => Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Release too large",
        detail: $"A release body is at most {MaxBodyBytes / 1024} KB.");
}
