using System.Text.Json;
using System.Text.Json.Serialization;
using OpsConsole.Web.Infrastructure;

namespace OpsConsole.Web.Features.Budgets;

/// <summary>
/// A path's budget for scripts and infrastructure-as-code: read it with its status, replace it.
/// Signed-in people only (owners of the path and admins may change it; whoever may see the path may read it).
/// </summary>
public static class BudgetsApi
{
    public const int MaxBodyBytes = 16 * 1024;

    /// <summary>The budget as sent; an absent warning level takes its default, an absent action is notify only.</summary>
    public sealed record BudgetBody(
        double? DailyUsd, long? DailyTokens, double? MonthlyUsd, long? MonthlyTokens, int? WarnPercent, int? SecondWarnPercent,
        string? Action, int? LowerToPercent, bool? RestoreAtReset);

    public sealed record BudgetResponse(string Path, BudgetInput? Budget, IReadOnlyList<BudgetLine> Lines, bool Contained);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
        // "NaN" and "Infinity" are read, so the answer can say what is wrong with them instead of "not a number".
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public static IEndpointRouteBuilder MapBudgetsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/paths/{slug}").RequireAuthorization(p => p.AddAuthenticationSchemes(Microsoft.AspNetCore.Identity.IdentityConstants.ApplicationScheme).RequireAuthenticatedUser());
        api.MapGet("/budget", GetAsync).WithName("Budget").WithSummary("The path's budget and where its spend stands.")
            .Produces<BudgetResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/budget", PutAsync).WithName("SetBudget").WithSummary("Replaces the path's budget (no limit at all removes it).")
            .Produces<BudgetResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }

    /// <summary>The actions as the API spells them.</summary>
    public static string Name(BudgetAction action) => JsonNamingPolicy.KebabCaseLower.ConvertName(action.ToString());

    private static async Task<IResult> GetAsync(HttpContext http, string slug, BudgetService budgets, Infrastructure.Security.Permissions permissions, CancellationToken ct)
    {
        if (!await permissions.MayAsync(http.User, Infrastructure.Security.PathAction.View, slug, ct) || await budgets.StatusAsync(slug, ct) is not { } status)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown path", detail: $"No path '{slug}' that you may see.");
        }
        return Results.Json(Response(status), Json);
    }

    private static async Task<IResult> PutAsync(HttpContext http, string slug, BudgetService budgets, CancellationToken ct)
    {
        if (!await budgets.MayEditAsync(http.User, slug, ct))
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed", detail: "Only the path's owners and admins can set its budget.");
        }
        var (body, problem) = await RequestBody.ReadJsonAsync<BudgetBody>(http, MaxBodyBytes, Json, ct);
        if (problem is not null)
        {
            return problem;
        }
        BudgetAction action = BudgetAction.NotifyOnly;
        if (body!.Action is { } named && !Enum.GetValues<BudgetAction>().Any(a => Name(a) == named))
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["action"] = [$"Unknown action '{named}': use notify-only, lower-rollout, candidate-off or kill-switch."] }, title: "Budget not saved");
        }
        if (body.Action is { } known)
        {
            action = Enum.GetValues<BudgetAction>().First(a => Name(a) == known);
        }
        var input = new BudgetInput(body.DailyUsd, body.DailyTokens, body.MonthlyUsd, body.MonthlyTokens, body.WarnPercent ?? 85, body.SecondWarnPercent ?? 95,
            action, body.LowerToPercent, body.RestoreAtReset ?? false);
        var result = await budgets.SaveAsync(slug, input, http.User, ct);
        if (!result.Succeeded)
        {
            return result.ToProblem("Budget not saved");
        }
        return Results.Json(Response((await budgets.StatusAsync(slug, ct))!), Json);
    }

    private static BudgetResponse Response(BudgetStatus s) => new(s.Slug, s.Budget is null ? null : BudgetInput.From(s.Budget), s.Lines, s.ContainedByBudget);
}
