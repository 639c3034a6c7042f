using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Otlp;

using OpsConsole.Web.Features.Traces;

/// <summary>One row of a path's price table as edited.</summary>
public sealed class ModelPriceInput
{
    public string Model { get; set; } = "";
    public double? InputUsdPerMillion { get; set; }
    public double? OutputUsdPerMillion { get; set; }
}

/// <summary>A service whose spans reached no path, as admins see it.</summary>
public sealed record UnroutedSource(string ServiceName, string Reason, long SpanCount, DateTime FirstSeenAt, DateTime LastSeenAt, string? LastSpanName, string? LastTraceId);

/// <summary>The settings and counters of the trace door: per-path model prices, unrouted services.</summary>
public sealed class TraceSettingsService(IDbContextFactory<AppDbContext> dbFactory, AuditLog audit, Permissions permissions)
{
    public const int MaxPrices = 50;
    /// <summary>No model costs more than this per million tokens; beyond it a price is a typo.</summary>
    public const double MaxUsdPerMillion = 10_000;

    public async Task<IReadOnlyList<ModelPriceInput>> PricesAsync(string slug, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pathId = await db.Paths.Where(p => p.Slug == slug).Select(p => (int?)p.Id).FirstOrDefaultAsync(ct);
        return await db.ModelPrices.AsNoTracking()
            .Where(p => p.PathId == pathId)
            .OrderBy(p => p.Model)
            .Select(p => new ModelPriceInput { Model = p.Model, InputUsdPerMillion = p.InputUsdPerMillion, OutputUsdPerMillion = p.OutputUsdPerMillion })
            .ToListAsync(ct);
    }

    /// <summary>Replaces the path's price table; each row is checked and named in the errors ("row N: …").</summary>
    public async Task<CommandResult> SetPricesAsync(string slug, IReadOnlyList<ModelPriceInput> rows, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!await permissions.MayAsync(user, PathAction.Edit, slug, ct))
        {
            return CommandResult.Fail("Only the path's owners and admins set its model prices.");
        }
        var errors = new Dictionary<string, string>();
        if (rows.Count > MaxPrices)
        {
            errors["prices"] = $"At most {MaxPrices} models per path.";
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            var model = r.Model?.Trim() ?? "";
            if (model.Length is 0 or > 200)
            {
                errors[$"row{i}"] = $"Row {i + 1}: the model name is 1–200 characters, as spans send it in gen_ai.response.model or gen_ai.request.model.";
            }
            else if (!seen.Add(model))
            {
                errors[$"row{i}"] = $"Row {i + 1}: '{model}' is priced twice.";
            }
            else if (!Valid(r.InputUsdPerMillion) || !Valid(r.OutputUsdPerMillion))
            {
                errors[$"row{i}"] = $"Row {i + 1}: prices are US dollars per million tokens, from 0 to {MaxUsdPerMillion:N0}.";
            }
        }
        if (errors.Count > 0)
        {
            return CommandResult.Invalid(errors);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pathId = await db.Paths.Where(p => p.Slug == slug).Select(p => (int?)p.Id).FirstOrDefaultAsync(ct);
        if (pathId is null)
        {
            return CommandResult.Fail($"Path '{slug}' does not exist.");
        }
        await using var write = await audit.BeginAsync(db, ct);
        var existing = await db.ModelPrices.Where(p => p.PathId == pathId).ToListAsync(ct);
        var before = existing.OrderBy(p => p.Model).Select(p => new { p.Model, p.InputUsdPerMillion, p.OutputUsdPerMillion }).ToList();
        db.ModelPrices.RemoveRange(existing);
        var after = rows.Select(r => new ModelPrice
        {
            PathId = pathId.Value,
            Model = r.Model.Trim(),
            InputUsdPerMillion = r.InputUsdPerMillion!.Value,
            OutputUsdPerMillion = r.OutputUsdPerMillion!.Value,
        }).ToList();
        db.ModelPrices.AddRange(after);
        write.Record(AuditActor.From(user), "path.prices", "path", slug, slug, before,
            after.OrderBy(p => p.Model).Select(p => new { p.Model, p.InputUsdPerMillion, p.OutputUsdPerMillion }).ToList());
        await write.CommitAsync(ct);
        return CommandResult.Ok();
    }

    private static bool Valid(double? usd) => usd is { } v && double.IsFinite(v) && v is >= 0 and <= MaxUsdPerMillion;

    public async Task<IReadOnlyList<UnroutedSource>> UnroutedAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.UnroutedSpanSources.AsNoTracking().ToListAsync(ct);
        return rows.OrderByDescending(r => r.LastSeenAt)
            .Select(r => new UnroutedSource(r.ServiceName, r.Reason, r.SpanCount, r.FirstSeenAt, r.LastSeenAt, r.LastSpanName, r.LastTraceId))
            .ToList();
    }
}
