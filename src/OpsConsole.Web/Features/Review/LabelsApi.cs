using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Features.Review;

/// <summary>
/// <c>GET /api/v1/paths/{slug}/labels</c>: a path's labels in id order, as JSONL (one label per
/// line) or CSV. Paged by <c>after</c> (the last label id seen) and <c>limit</c>; the next page's
/// cursor is in <c>X-Next-Cursor</c>. <c>all=true</c> streams every label (the path page's downloads).
/// An API key with <c>labels:read</c> for the path, or a signed-in owner of the path or admin.
/// </summary>
public static class LabelsApi
{
    public const int DefaultLimit = 1000;
    public const int MaxLimit = 10_000;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public sealed record LabelLine(
        long LabelId, string EventId, string Path, string Decision, string? OriginalOutput, string? CorrectedOutput, IReadOnlyList<string> ReasonTags,
        string? Note, string Reviewer, DateTime DecidedAt, string? ModelVersion, string? PromptVersion, string ReviewReason, long? SupersededBy);

    public static IEndpointRouteBuilder MapLabelsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/paths/{slug}/labels", GetAsync)
            .RequireAuthorization(p => p
                .AddAuthenticationSchemes(ApiKeysFeature.KeyOrCookieScheme)
                .RequireAuthenticatedUser())
            .WithName("GetLabels")
            .WithSummary("A path's review labels as JSONL or CSV, in a stable order, paged by cursor.");
        return app;
    }

    /// <summary>A browser navigation asks for HTML first; API clients ask for data or anything.</summary>
    private static bool WantsHtml(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));

    private static async Task<IResult> GetAsync(
        HttpContext http, string slug, long? after, int? limit, string? format, bool? all,
        IDbContextFactory<AppDbContext> dbFactory, ReviewQueueService queue, CancellationToken ct)
    {
        if (limit is < 1 or > MaxLimit)
        {
            return Results.Problem(statusCode: 400, title: "Bad limit", detail: $"limit must be between 1 and {MaxLimit:N0}.");
        }
        if (format is not (null or "jsonl" or "csv"))
        {
            return Results.Problem(statusCode: 400, title: "Bad format", detail: "format is jsonl (default) or csv.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pathId = await db.Paths.Where(p => p.Slug == slug).Select(p => (int?)p.Id).FirstOrDefaultAsync(ct);
        var allowed = pathId is { } id && (http.Features.Get<ApiCaller>() is { } key
            ? key.Has(ApiScopes.LabelsRead) && key.MayUse(slug)
            : await queue.MayReopenAsync(http.User, id, ct));
        if (!allowed)
        {
            // The path page's download links open in the browser: a person there gets the 403 page
            // that says what is needed, not a blank tab; API clients keep the problem details.
            if (http.Features.Get<ApiCaller>() is null && WantsHtml(http.Request))
            {
                var back = http.Request.Path + http.Request.QueryString;
                return Results.Redirect($"/account/access-denied?returnUrl={Uri.EscapeDataString(back)}&policy={Infrastructure.Security.Policies.PathEdit}");
            }
            return Results.Problem(statusCode: 403, title: "Not allowed",
                detail: "Labels are exported with an API key that has labels:read for this path, or by an Admin or an owner of the path.");
        }

        var csv = format == "csv";
        http.Response.ContentType = csv ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8";
        if (all == true)
        {
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"{slug}-labels.{(csv ? "csv" : "jsonl")}\"";
        }
        var take = limit ?? DefaultLimit;
        var cursor = after ?? 0;
        var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false));
        if (csv)
        {
            await writer.WriteLineAsync("label_id,event_id,path,decision,original_output,corrected_output,reason_tags,note,reviewer,decided_at,model_version,prompt_version,review_reason,superseded_by");
        }
        while (true)
        {
            var page = await db.Labels.AsNoTracking().Where(l => l.PathId == pathId && l.Id > cursor).OrderBy(l => l.Id).Take(take).ToListAsync(ct);
            if (all != true && page.Count == take)
            {
                http.Response.Headers["X-Next-Cursor"] = page[^1].Id.ToString(CultureInfo.InvariantCulture);
            }
            foreach (var l in page)
            {
                var line = new LabelLine(l.Id, l.EventId, slug, l.Decision, l.OriginalOutput, l.CorrectedOutput, l.ReasonTags, l.Note, l.ReviewerName,
                    l.DecidedAt, l.ModelVersion, l.PromptVersion, l.ReviewReason, l.SupersededByLabelId);
                await writer.WriteLineAsync(csv ? Csv(line) : JsonSerializer.Serialize(line, Json));
            }
            if (all != true || page.Count < take)
            {
                break;
            }
            cursor = page[^1].Id;
            await writer.FlushAsync(ct);
        }
        await writer.FlushAsync(ct);
        return Results.Empty;
    }

    private static string Csv(LabelLine l) => string.Join(',',
        l.LabelId.ToString(CultureInfo.InvariantCulture), Q(l.EventId), Q(l.Path), Q(l.Decision), Q(l.OriginalOutput), Q(l.CorrectedOutput),
        Q(string.Join('|', l.ReasonTags)), Q(l.Note), Q(l.Reviewer), l.DecidedAt.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        Q(l.ModelVersion), Q(l.PromptVersion), Q(l.ReviewReason), l.SupersededBy?.ToString(CultureInfo.InvariantCulture) ?? "");

    /// <summary>RFC 4180 quoting; a leading =, +, - or @ is prefixed with ' so spreadsheets do not run it as a formula.</summary>
    private static string Q(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        if (value[0] is '=' or '+' or '-' or '@')
        {
            value = "'" + value;
        }
        return "\"" + value.Replace("\"", "\"\"") + "\"";
    }
}
