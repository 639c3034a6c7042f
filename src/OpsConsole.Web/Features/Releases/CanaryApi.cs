using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Releases;

/// <summary>
/// Moving releases from CI or scripts: start a candidate with its canary plan, read where it stands,
/// approve a passed step (a person: four-eyes), roll the candidate back, revert stable. A key needs
/// <c>releases:write</c> for the path; a person needs the same rights as on the path page.
/// </summary>
public static class CanaryApi
{
    public const int MaxBodyBytes = 64 * 1024;

    public sealed record TrialResponse(
        long Id, string Path, string Release, string? Stable, string State, int Step, int Steps, int Share, string? LastVerdict, DateTime? LastLookAt,
        DateTime StartedAt, DateTime StepStartedAt, bool AutoAdvance, double Alpha, IReadOnlyList<CanaryStep> Plan, string? EndReason, long? IncidentId,
        double? ShadowShare = null, double? MinWinRate = null);

    public sealed record ApproveBody(int? Step);

    public sealed record ReasonBody(string? Reason);

    public sealed record RevertBody(string? Release, string? Reason);

    public static IEndpointRouteBuilder MapCanaryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/paths/{slug}").RequireAuthorization(p => p.AddAuthenticationSchemes(ApiKeysFeature.KeyOrCookieScheme).RequireAuthenticatedUser());
        api.MapPost("/candidate", StartAsync).WithName("StartCandidate").WithSummary("Makes a release the candidate at the first step of its canary plan.")
            .Produces<TrialResponse>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapPost("/candidate/start", StartFromShadowAsync).WithName("StartCandidateFromShadow").WithSummary("Moves a candidate in shadow to the first step of its canary plan (refused while its minimum win rate is not reached).")
            .Produces<TrialResponse>().ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/candidate", GetAsync).WithName("Candidate").WithSummary("The path's latest canary trial.")
            .Produces<TrialResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/candidate/approve", ApproveAsync).WithName("ApproveCanaryStep").WithSummary("Approves the next step of a passed canary step (a second owner or an admin).")
            .Produces<TrialResponse>().ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapPost("/candidate/rollback", RollBackAsync).WithName("RollBackCandidate").WithSummary("Takes the candidate away at once (reason required).")
            .Produces(StatusCodes.Status204NoContent).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/stable", RevertAsync).WithName("RevertStable").WithSummary("Makes an earlier release of the path stable again (reason required).")
            .Produces(StatusCodes.Status204NoContent).ProducesValidationProblem();
        return app;
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
    };

    private static IResult Problem(int status, string title, string detail) => Results.Problem(statusCode: status, title: title, detail: detail);

    /// <summary>Who acts: the key (with releases:write for the path) or the signed-in person; a refusal otherwise.</summary>
    private static async Task<(AuditActor? Actor, bool IsKey, IResult? Refusal)> CallerAsync(HttpContext http, string slug, PathAction action)
    {
        var key = http.Features.Get<ApiCaller>();
        if (key is null)
        {
            // A person's right is checked before the body is read (the service checks again inside its write).
            var permissions = http.RequestServices.GetRequiredService<Permissions>();
            return await permissions.MayAsync(http.User, action, slug, http.RequestAborted)
                ? (AuditActor.From(http.User), false, null)
                : (null, false, Problem(StatusCodes.Status403Forbidden, "Not allowed", action == PathAction.Edit
                    ? "Only the path's owners and admins start candidates and approve canary steps."
                    : "Only the path's on-call person, owners and admins roll back a candidate or revert stable."));
        }
        return key.Has(ApiScopes.ReleasesWrite) && key.MayUse(slug)
            ? (new AuditActor(null, "key:" + key.Name), true, null)
            : (null, true, Problem(StatusCodes.Status403Forbidden, "Not allowed", $"Moving releases needs an API key with {ApiScopes.ReleasesWrite} for path '{slug}'."));
    }

    private static Task<(T? Body, IResult? Problem)> ReadAsync<T>(HttpContext http, CancellationToken ct) where T : class =>
        RequestBody.ReadJsonAsync<T>(http, MaxBodyBytes, Json, ct);

    private static IResult Refused(CommandResult result, string title) => result.ToProblem(title);

    private static async Task<IResult> StartAsync(HttpContext http, string slug, ReleaseService releases, CancellationToken ct)
    {
        var (actor, isKey, refusal) = await CallerAsync(http, slug, PathAction.Edit);
        if (refusal is not null)
        {
            return refusal;
        }
        var (body, problem) = await ReadAsync<CandidateInput>(http, ct);
        if (problem is not null)
        {
            return problem;
        }
        var result = isKey ? await releases.StartCandidateAsync(slug, body!, actor!, ct) : await releases.StartCandidateAsync(slug, body!, http.User, ct);
        if (!result.Succeeded)
        {
            return Refused(result, "Candidate not started");
        }
        return Results.Created($"/api/v1/paths/{slug}/candidate", Response(slug, result.Value!));
    }

    private static async Task<IResult> StartFromShadowAsync(HttpContext http, string slug, ReleaseService releases, CancellationToken ct)
    {
        var (actor, isKey, refusal) = await CallerAsync(http, slug, PathAction.Edit);
        if (refusal is not null)
        {
            return refusal;
        }
        var result = isKey ? await releases.StartFromShadowAsync(slug, actor!, ct) : await releases.StartFromShadowAsync(slug, http.User, ct);
        return result.Succeeded ? Results.Ok(Response(slug, result.Value!)) : Refused(result, "Canary not started");
    }

    private static async Task<IResult> GetAsync(HttpContext http, string slug, IDbContextFactory<AppDbContext> dbFactory, Permissions permissions, CancellationToken ct)
    {
        var key = http.Features.Get<ApiCaller>();
        var allowed = key is not null
            ? (key.Has(ApiScopes.ReleasesWrite) || key.Has(ApiScopes.DecisionsRead)) && key.MayUse(slug)
            : await permissions.MayAsync(http.User, PathAction.View, slug, ct);
        if (!allowed)
        {
            return Problem(StatusCodes.Status403Forbidden, "Not allowed", $"Reading the candidate needs a key with {ApiScopes.ReleasesWrite} or {ApiScopes.DecisionsRead} for '{slug}', or a person who may view the path.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pathId = await db.Paths.Where(p => p.Slug == slug).Select(p => (int?)p.Id).FirstOrDefaultAsync(ct);
        var trial = pathId is null ? null : await db.CanaryTrials.AsNoTracking().Where(t => t.PathId == pathId).OrderByDescending(t => t.Id).FirstOrDefaultAsync(ct);
        return trial is null
            ? Problem(StatusCodes.Status404NotFound, "No candidate", $"Path '{slug}' does not exist or has never had a candidate.")
            : Results.Ok(Response(slug, trial));
    }

    private static async Task<IResult> ApproveAsync(HttpContext http, string slug, ReleaseService releases, IDbContextFactory<AppDbContext> dbFactory, CancellationToken ct)
    {
        if (http.Features.Get<ApiCaller>() is not null)
        {
            return Problem(StatusCodes.Status403Forbidden, "Not allowed", "Approving a canary step is a person's decision (four-eyes); sign in to approve.");
        }
        var (_, _, refusal) = await CallerAsync(http, slug, PathAction.Edit);
        if (refusal is not null)
        {
            return refusal;
        }
        var (body, problem) = await ReadAsync<ApproveBody>(http, ct);
        if (problem is not null)
        {
            return problem;
        }
        if (body!.Step is not { } step || step < 1 || step > CanaryPlan.MaxSteps)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["step"] = [$"Name the step that passed (1 to {CanaryPlan.MaxSteps})."] }, title: "Invalid approval");
        }
        var result = await releases.ApproveStepAsync(slug, step - 1, http.User, ct);
        if (!result.Succeeded)
        {
            return Refused(result, "Step not approved");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pathId = await db.Paths.Where(p => p.Slug == slug).Select(p => p.Id).FirstAsync(ct);
        var trial = await db.CanaryTrials.AsNoTracking().Where(t => t.PathId == pathId).OrderByDescending(t => t.Id).FirstAsync(ct);
        return Results.Ok(Response(slug, trial));
    }

    private static async Task<IResult> RollBackAsync(HttpContext http, string slug, ReleaseService releases, CancellationToken ct)
    {
        var (actor, isKey, refusal) = await CallerAsync(http, slug, PathAction.Contain);
        if (refusal is not null)
        {
            return refusal;
        }
        var (body, problem) = await ReadAsync<ReasonBody>(http, ct);
        if (problem is not null)
        {
            return problem;
        }
        CommandResult result;
        if (isKey)
        {
            result = ReleaseService.CheckReason(body!.Reason) is { } why
                ? CommandResult.Invalid("reason", why)
                : await releases.RollBackCandidateAsync(slug, body.Reason!.Trim(), actor!, ct);
        }
        else
        {
            result = await releases.RollBackCandidateAsync(slug, body!.Reason, http.User, ct);
        }
        return result.Succeeded ? Results.NoContent() : Refused(result, "Not rolled back");
    }

    private static async Task<IResult> RevertAsync(HttpContext http, string slug, ReleaseService releases, CancellationToken ct)
    {
        var (actor, isKey, refusal) = await CallerAsync(http, slug, PathAction.Contain);
        if (refusal is not null)
        {
            return refusal;
        }
        var (body, problem) = await ReadAsync<RevertBody>(http, ct);
        if (problem is not null)
        {
            return problem;
        }
        if (string.IsNullOrWhiteSpace(body!.Release))
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["release"] = ["Name the release to make stable."] }, title: "Not reverted");
        }
        CommandResult result;
        if (isKey)
        {
            result = ReleaseService.CheckReason(body.Reason) is { } why
                ? CommandResult.Invalid("reason", why)
                : await releases.RevertStableAsync(slug, body.Release.Trim(), body.Reason!.Trim(), actor!, ct);
        }
        else
        {
            result = await releases.RevertStableAsync(slug, body.Release.Trim(), body.Reason, http.User, ct);
        }
        return result.Succeeded ? Results.NoContent() : Refused(result, "Not reverted");
    }

    public static TrialResponse Response(string slug, CanaryTrial t) => new(
        t.Id, slug, t.ReleaseId, t.StableReleaseId, t.State, t.StepIndex + 1, t.Steps.Count, t.State == CanaryStates.Shadow ? 0 : t.Steps[t.StepIndex].Share, t.LastVerdict, t.LastLookAt,
        t.StartedAt, t.StepStartedAt, t.AutoAdvance, t.Alpha, t.Steps, t.EndReason, t.IncidentId,
        t.ShadowShare > 0 ? t.ShadowShare / 1000.0 : null, t.MinWinRate);
}
