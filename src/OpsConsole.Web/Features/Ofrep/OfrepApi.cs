using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using OpsConsole.Client;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Decisions;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Features.Ofrep;

/// <summary>
/// The OpenFeature Remote Evaluation Protocol (OFREP 0.3, open-feature/protocol service/openapi.yaml):
/// a path is a boolean flag whose key is the slug, and <c>context.targetingKey</c> is the unit. The
/// answer is <see cref="Rollout.Decide"/> on the same in-memory snapshot as the decision API, so an
/// OpenFeature client and a decision client never disagree. Keys as for the decision API
/// (<c>decisions:read</c>), as a bearer token or in <c>X-API-Key</c>.
/// Evaluation failures have the spec's own body (<c>errorCode</c>, <c>errorDetails</c>), not RFC 9457
/// problem details: OFREP providers read those fields. Statuses the spec does not name (413, 415)
/// and the 401/403 it leaves without a body are problem details like the rest of the API.
/// </summary>
public static class OfrepApi
{
    /// <summary>An evaluation context is a targeting key and a few attributes; anything near this size is not one.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>As the decision API's <c>unit</c>.</summary>
    public const int MaxTargetingKeyLength = 512;

    public static IEndpointRouteBuilder MapOfrepApi(this IEndpointRouteBuilder app)
    {
        // The key is checked in the handlers, as in the decision API (no principal per evaluation).
        var api = app.MapGroup("/ofrep/v1/evaluate").AllowAnonymous();
        api.MapPost("/flags/{key}", EvaluateAsync).WithName("OfrepEvaluateFlag")
            .WithSummary("OFREP: evaluates one path (flag key = slug) for context.targetingKey (the unit).")
            .Produces<OfrepEvaluation>().Produces<OfrepFailure>(StatusCodes.Status400BadRequest).Produces<OfrepFailure>(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        api.MapPost("/flags", EvaluateAllAsync).WithName("OfrepEvaluateFlags")
            .WithSummary("OFREP: evaluates every path the key may read for context.targetingKey, with an ETag.")
            .Produces<OfrepBulkResponse>().Produces(StatusCodes.Status304NotModified).Produces<OfrepFailure>(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return app;
    }

    private static async Task<IResult> EvaluateAsync(HttpContext http, string key, ApiKeyStore keys, DecisionBudget budget, PathCatalog catalog)
    {
        var (caller, problem) = await DecisionApi.AuthenticateAsync(http, keys, budget, orApiKeyHeader: true);
        if (problem is not null)
        {
            return problem;
        }
        var context = await ReadContextAsync(http.Request, http.RequestAborted);
        if (context.Problem is not null)
        {
            return context.Problem;
        }
        if (context.ErrorCode is not null)
        {
            return Failure(StatusCodes.Status400BadRequest, key, context.ErrorCode, context.Details!);
        }
        // A key that may not read the path learns nothing about it, not even whether it exists.
        var path = caller!.MayUse(key) ? await catalog.FindAsync(key, http.RequestAborted) : null;
        if (path is null)
        {
            return Failure(StatusCodes.Status404NotFound, key, OfrepErrorCodes.FlagNotFound, $"No flag '{key}' that this key may read.");
        }
        return TypedResults.Json(Evaluate(path.Decision, context.TargetingKey!), OfrepJson.Default.OfrepEvaluation);
    }

    private static async Task<IResult> EvaluateAllAsync(HttpContext http, ApiKeyStore keys, DecisionBudget budget, PathCatalog catalog)
    {
        var (caller, problem) = await DecisionApi.AuthenticateAsync(http, keys, budget, orApiKeyHeader: true);
        if (problem is not null)
        {
            return problem;
        }
        var context = await ReadContextAsync(http.Request, http.RequestAborted);
        if (context.Problem is not null)
        {
            return context.Problem;
        }
        if (context.ErrorCode is not null)
        {
            // The whole request fails: the spec's bulkEvaluationFailure has no flag key.
            return Failure(StatusCodes.Status400BadRequest, null, context.ErrorCode, context.Details!);
        }
        var unit = context.TargetingKey!;
        var paths = (await catalog.GetAllAsync(http.RequestAborted)).Values.Where(p => caller!.MayUse(p.Slug))
            .OrderBy(p => p.Slug, StringComparer.Ordinal).Select(p => p.Decision).ToList();
        var version = DecisionApi.VersionOf(paths);
        var etag = $"\"{ETagOf(version, unit)}\"";
        http.Response.Headers.ETag = etag;
        http.Response.Headers.CacheControl = "no-cache";
        if (DecisionApi.IfNoneMatch(http.Request, etag))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        var flags = paths.Select(p => Evaluate(p, unit)).ToList();
        return TypedResults.Json(new OfrepBulkResponse(flags, new OfrepBulkMetadata(version)), OfrepJson.Default.OfrepBulkResponse);
    }

    /// <summary>
    /// The bulk answer's entity tag: the config document's version (every decision input of every path
    /// the key may read, and which paths those are) with the targeting key. Nothing else in the context
    /// changes an answer, so nothing else is in the tag.
    /// </summary>
    public static string ETagOf(string configVersion, string targetingKey) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(configVersion + "\n" + targetingKey)).AsSpan(0, 12));

    /// <summary>One path for one unit, as OFREP answers it: the rule of the decision API, its reason mapped by <see cref="OfrepReasons.Of"/>.</summary>
    public static OfrepEvaluation Evaluate(PathConfig path, string unit)
    {
        var decision = Rollout.Decide(path, unit);
        return new OfrepEvaluation(path.Slug, decision.Enabled, OfrepReasons.Of(path, decision), decision.Variant,
            new OfrepMetadata(decision.Release, decision.ConfigVersion, decision.Reason,
                decision.Shadow ? true : null, decision.Shadow ? decision.ShadowRelease : null));
    }

    private static IResult Failure(int status, string? key, string errorCode, string details) =>
        TypedResults.Json(new OfrepFailure(key, errorCode, details), OfrepJson.Default.OfrepFailure, statusCode: status);

    /// <summary>The targeting key of a request body, an OFREP error code (400) with details, or a problem (413, 415).</summary>
    private readonly record struct ContextRead(string? TargetingKey, string? ErrorCode = null, string? Details = null, IResult? Problem = null);

    private static ContextRead Invalid(string code, string details) => new(null, code, details);

    private static IResult TooLarge() => Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Body too large",
        detail: $"An evaluation request is at most {MaxBodyBytes / 1024} KB.");

    private static async Task<ContextRead> ReadContextAsync(HttpRequest request, CancellationToken ct)
    {
        if (!request.HasJsonContentType())
        {
            return new(null, Problem: Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported content type",
                detail: "Send the evaluation request as 'Content-Type: application/json'."));
        }
        if (request.ContentLength > MaxBodyBytes)
        {
            return new(null, Problem: TooLarge());
        }
        // Read by hand with a cap, whatever the server's own limit and whether or not a length was sent.
        var buffer = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, MaxBodyBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                var read = await request.Body.ReadAsync(buffer.AsMemory(length), ct);
                if (read == 0)
                {
                    break;
                }
                length += read;
                if (length > MaxBodyBytes)
                {
                    return new(null, Problem: TooLarge());
                }
            }
            return ContextOf(buffer.AsMemory(0, length));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new(null, Problem: TooLarge());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ContextRead ContextOf(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            return Invalid(OfrepErrorCodes.ParseError, "The body is not JSON: " + ex.Message);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("context", out var context) || context.ValueKind != JsonValueKind.Object)
            {
                return Invalid(OfrepErrorCodes.InvalidContext, "The body must be an object with a 'context' object.");
            }
            JsonElement? targetingKey = null;
            foreach (var property in context.EnumerateObject())
            {
                if (property.NameEquals("targetingKey"))
                {
                    if (targetingKey is not null)
                    {
                        return Invalid(OfrepErrorCodes.InvalidContext, "context.targetingKey is given twice.");
                    }
                    targetingKey = property.Value;
                }
            }
            if (targetingKey is not { } value || value.ValueKind == JsonValueKind.Null || value.ValueKind == JsonValueKind.String && value.ValueEquals(""u8))
            {
                return Invalid(OfrepErrorCodes.TargetingKeyMissing, "context.targetingKey (the unit: a user, session or ticket id) is required.");
            }
            if (value.ValueKind != JsonValueKind.String)
            {
                return Invalid(OfrepErrorCodes.InvalidContext, "context.targetingKey must be a string.");
            }
            string unit;
            try
            {
                unit = value.GetString()!;
            }
            catch (InvalidOperationException)
            {
                // An escaped lone surrogate (\ud800): valid JSON, not text.
                return Invalid(OfrepErrorCodes.InvalidContext, "context.targetingKey is not valid text.");
            }
            if (unit.Length > MaxTargetingKeyLength)
            {
                return Invalid(OfrepErrorCodes.InvalidContext, $"context.targetingKey must be at most {MaxTargetingKeyLength} characters.");
            }
            return new(unit);
        }
    }
}

/// <summary>
/// Our decision reasons as OpenFeature resolution reasons (OFREP allows STATIC, TARGETING_MATCH,
/// SPLIT, DISABLED, UNKNOWN; OpenFeature's DEFAULT is not among them). No rule of ours looks at the
/// context's attributes, so TARGETING_MATCH is never answered.
/// </summary>
public static class OfrepReasons
{
    public const string Static = "STATIC";
    public const string Split = "SPLIT";
    public const string Disabled = "DISABLED";
    public const string Unknown = "UNKNOWN";

    /// <summary>
    /// <c>kill_switch</c>, <c>rollout_off</c> (0 %) and <c>budget_exhausted</c> → DISABLED: the path is off for everyone (or, for a
    /// budget that lowered the rollout, for this unit until the budget resets).
    /// <c>in_rollout</c> and <c>outside_rollout</c> → SPLIT when the unit's hash buckets decided it
    /// (a partial rollout, or a candidate sharing the units with stable), else STATIC (100 % and one
    /// release: every unit gets the same answer). <c>full_rollout</c> (100 % without a unit) → STATIC.
    /// </summary>
    public static string Of(PathConfig path, Decision decision) => decision.Reason switch
    {
        DecisionReasons.KillSwitch or DecisionReasons.RolloutOff or DecisionReasons.BudgetExhausted => Disabled,
        DecisionReasons.InRollout or DecisionReasons.OutsideRollout => DependsOnUnit(path) ? Split : Static,
        DecisionReasons.FullRollout => Static,
        _ => Unknown,
    };

    private static bool DependsOnUnit(PathConfig path) =>
        path.RolloutPercent < 100 || path.Candidate is not null && path.CandidateShare is > 0 and < 1000;
}

/// <summary>OpenFeature error codes as OFREP sends them.</summary>
public static class OfrepErrorCodes
{
    public const string FlagNotFound = "FLAG_NOT_FOUND";
    public const string TargetingKeyMissing = "TARGETING_KEY_MISSING";
    public const string InvalidContext = "INVALID_CONTEXT";
    public const string ParseError = "PARSE_ERROR";
}

/// <summary>A successful evaluation (the spec's evaluationSuccess with a boolean value).</summary>
public sealed record OfrepEvaluation(string Key, bool Value, string Reason, string Variant, OfrepMetadata Metadata);

/// <summary>
/// The flag metadata: the release the unit runs (absent while off or before the first release),
/// the path's config version, and our own decision reason. For a unit in the candidate's shadow
/// sample, <c>shadow: true</c> and the candidate's release id: run it too, send its output as an
/// event with <c>shadowOf</c>, never show it (both absent otherwise, as OFREP metadata is never null).
/// </summary>
public sealed record OfrepMetadata(string? Release, long ConfigVersion, string DecisionReason, bool? Shadow = null, string? ShadowRelease = null);

/// <summary>An evaluation failure: with the flag key for one flag; without it when a bulk request fails as a whole.</summary>
public sealed record OfrepFailure(string? Key, string ErrorCode, string ErrorDetails);

/// <summary>The bulk answer: every path the key may read, by slug; the metadata names the config version.</summary>
public sealed record OfrepBulkResponse(IReadOnlyList<OfrepEvaluation> Flags, OfrepBulkMetadata Metadata);

public sealed record OfrepBulkMetadata(string Version);

/// <summary>Source-generated JSON, as for the decision API; absent values are left out (OFREP metadata values are never null).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OfrepEvaluation))]
[JsonSerializable(typeof(OfrepFailure))]
[JsonSerializable(typeof(OfrepBulkResponse))]
internal sealed partial class OfrepJson : JsonSerializerContext;
