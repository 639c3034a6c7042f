using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Evaluation;

/// <summary>
/// Golden sets and evaluation runs from CI: a key with <c>evaluations:write</c> for the path, or a
/// signed-in owner or admin of it. Datasets hold real inputs, so reading them needs the same.
/// </summary>
public static class EvaluationApi
{
    public const int MaxDatasetBytes = 32 * 1024 * 1024;
    public const int MaxRunBytes = 32 * 1024 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
    };

    public static IEndpointRouteBuilder MapEvaluationApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/paths/{slug}").RequireAuthorization(p => p.AddAuthenticationSchemes(ApiKeysFeature.KeyOrCookieScheme).RequireAuthenticatedUser());
        api.MapPost("/datasets/{name}/versions", PostVersionAsync).WithName("CreateDatasetVersion")
            .WithSummary("Uploads a new version of a golden set as JSON Lines (one case per line).")
            .Produces<DatasetVersionView>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        api.MapGet("/datasets/{name}/versions/{version:int}", ExportAsync).WithName("ExportDatasetVersion")
            .WithSummary("A dataset version as JSON Lines.").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/evaluations", PostRunAsync).WithName("SubmitEvaluation")
            .WithSummary("Submits an evaluation run; answers the verdict against the stable release's run and failCi.")
            .Produces<EvaluationAnswer>(StatusCodes.Status201Created).Produces<EvaluationAnswer>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return app;
    }

    private static IResult Problem(int status, string title, string detail) => Results.Problem(statusCode: status, title: title, detail: detail);

    private static async Task<(AuditActor? Actor, IResult? Refusal)> CallerAsync(HttpContext http, string slug)
    {
        if (http.Features.Get<ApiCaller>() is { } key)
        {
            return key.Has(ApiScopes.EvaluationsWrite) && key.MayUse(slug)
                ? (new AuditActor(null, "key:" + key.Name), null)
                : (null, Problem(StatusCodes.Status403Forbidden, "Not allowed", $"Datasets and evaluations need an API key with {ApiScopes.EvaluationsWrite} for path '{slug}'."));
        }
        var permissions = http.RequestServices.GetRequiredService<Permissions>();
        return await permissions.MayAsync(http.User, PathAction.Edit, slug, http.RequestAborted)
            ? (AuditActor.From(http.User), null)
            : (null, Problem(StatusCodes.Status403Forbidden, "Not allowed", "Only the path's owners and admins manage its datasets and evaluations."));
    }

    private static void Limit(HttpContext http, long bytes)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = bytes;
        }
    }

    private static IResult TooLarge(string what, long bytes) => Problem(StatusCodes.Status413PayloadTooLarge, "Too large", $"{what} is at most {bytes / (1024 * 1024)} MB.");

    private static async Task<IResult> PostVersionAsync(HttpContext http, string slug, string name, EvaluationService evaluations, CancellationToken ct)
    {
        var (actor, refusal) = await CallerAsync(http, slug);
        if (refusal is not null)
        {
            return refusal;
        }
        var type = http.Request.ContentType ?? "";
        if (!(type.StartsWith("application/x-ndjson", StringComparison.OrdinalIgnoreCase) || type.StartsWith("application/jsonl", StringComparison.OrdinalIgnoreCase)
            || type.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase)))
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type", "Send JSON Lines as 'Content-Type: application/x-ndjson' (one case per line).");
        }
        if (http.Request.ContentLength > MaxDatasetBytes)
        {
            return TooLarge("A dataset file", MaxDatasetBytes);
        }
        Limit(http, MaxDatasetBytes);
        string text;
        try
        {
            using var reader = new StreamReader(http.Request.Body, new UTF8Encoding(false, throwOnInvalidBytes: true));
            text = await reader.ReadToEndAsync(ct);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge("A dataset file", MaxDatasetBytes);
        }
        catch (DecoderFallbackException)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid dataset", "The file is not valid UTF-8.");
        }
        var (cases, errors) = DatasetJsonl.Parse(text);
        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors.ToDictionary(e => e.Line == 0 ? "file" : $"line {e.Line}", e => new[] { e.Error }),
                title: "Invalid dataset", detail: $"{errors.Count} problem{(errors.Count == 1 ? "" : "s")}; no version was made.");
        }
        var result = await evaluations.CreateVersionAsync(slug, name, cases, "upload", actor!, ct);
        if (result.FieldErrors.Count > 0)
        {
            return Results.ValidationProblem(result.FieldErrors.ToDictionary(kv => kv.Key, kv => new[] { kv.Value }), title: "Invalid dataset");
        }
        if (!result.Succeeded)
        {
            return Problem(StatusCodes.Status404NotFound, "Unknown path", result.Error!);
        }
        return result.Value!.Created
            ? Results.Created($"/api/v1/paths/{slug}/datasets/{name}/versions/{result.Value.Version}", result.Value)
            : Results.Ok(result.Value);
    }

    private static async Task<IResult> ExportAsync(HttpContext http, string slug, string name, int version, EvaluationService evaluations, CancellationToken ct)
    {
        var (_, refusal) = await CallerAsync(http, slug);
        if (refusal is not null)
        {
            return refusal;
        }
        var cases = await evaluations.ExportAsync(slug, name, version, ct);
        return cases is null
            ? Problem(StatusCodes.Status404NotFound, "Unknown dataset version", $"Path '{slug}' has no dataset '{name}' version {version}.")
            : Results.Text(DatasetJsonl.Write(cases), "application/x-ndjson", Encoding.UTF8);
    }

    private static async Task<IResult> PostRunAsync(HttpContext http, string slug, EvaluationService evaluations, CancellationToken ct)
    {
        var (actor, refusal) = await CallerAsync(http, slug);
        if (refusal is not null)
        {
            return refusal;
        }
        if (!http.Request.HasJsonContentType())
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type", "Send the run as 'Content-Type: application/json'.");
        }
        if (http.Request.ContentLength > MaxRunBytes)
        {
            return TooLarge("A run", MaxRunBytes);
        }
        Limit(http, MaxRunBytes);
        EvaluationInput? input;
        try
        {
            input = await JsonSerializer.DeserializeAsync<EvaluationInput>(http.Request.Body, Json, ct);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge("A run", MaxRunBytes);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid run", "The body is not an evaluation run: " + ex.Message);
        }
        if (input is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid run", "The body is null; send an evaluation run object.");
        }
        if (input.Cases is { Count: > EvaluationInput.MaxCases })
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "Too many cases", $"A run has at most {EvaluationInput.MaxCases:N0} cases; this one has {input.Cases.Count:N0}. Split the dataset.");
        }
        var result = await evaluations.SubmitAsync(slug, input, actor!, ct);
        if (result.FieldErrors.Count > 0)
        {
            return Results.ValidationProblem(result.FieldErrors.ToDictionary(kv => kv.Key, kv => new[] { kv.Value }), title: "Invalid run", detail: result.Error);
        }
        if (!result.Succeeded)
        {
            return Problem(StatusCodes.Status404NotFound, "Unknown path", result.Error!);
        }
        return result.Value!.Created ? Results.Created($"/api/v1/paths/{slug}/evaluations/{result.Value.Id}", result.Value) : Results.Ok(result.Value);
    }
}
