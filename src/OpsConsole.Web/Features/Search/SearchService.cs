using OpsConsole.Web.Components.Shared;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Infrastructure.Security;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Incidents;

namespace OpsConsole.Web.Features.Search;

public sealed record PathHit(string Slug, string Name);

/// <summary>An event found by one of its identifiers; <see cref="MatchedOn"/> says which.</summary>
public sealed record EventHit(long Id, string PathSlug, string EventId, string? TraceId, string? Unit, DateTime OccurredAt, string MatchedOn);

public sealed record IncidentHit(long Id, string PathSlug, string Title, string Severity, string Status, DateTime TriggeredAt);

public sealed record SearchResults(string Query, IReadOnlyList<PathHit> Paths, IReadOnlyList<EventHit> Events, IReadOnlyList<IncidentHit> Incidents)
{
    public bool IsEmpty => Paths.Count == 0 && Events.Count == 0 && Incidents.Count == 0;
}

/// <summary>
/// The app bar's search: paths by slug or name, events by event id, trace id or unit (exact, as
/// people paste them from logs), incidents by number or title; only what the person may see.
/// </summary>
public sealed class SearchService(IDbContextFactory<AppDbContext> dbFactory, Permissions permissions)
{
    public const int MaxHits = 25;
    public const int MaxQueryLength = 256;

    public async Task<SearchResults> SearchAsync(ClaimsPrincipal user, string? query, CancellationToken ct)
    {
        var q = (query ?? "").Trim();
        if (q.Length == 0 || q.Length > MaxQueryLength)
        {
            return new SearchResults(q, [], [], []);
        }
        var visible = await permissions.SlugsAsync(user, PathAction.View, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var paths = db.Paths.AsNoTracking();
        if (visible is not null)
        {
            paths = paths.Where(p => visible.Contains(p.Slug));
        }
        var scope = await paths.Select(p => new { p.Id, p.Slug, p.Name }).ToListAsync(ct);
        var ids = scope.Select(p => p.Id).ToList();
        var slugOf = scope.ToDictionary(p => p.Id, p => p.Slug);

        // LIKE with the person's text as data: % and _ in it are matched literally.
        var pattern = "%" + q.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
        var pathHits = scope
            .Where(p => p.Slug.Contains(q, StringComparison.OrdinalIgnoreCase) || p.Name.Contains(q, StringComparison.OrdinalIgnoreCase))
            .OrderBy(p => !p.Slug.Equals(q, StringComparison.OrdinalIgnoreCase)).ThenBy(p => p.Slug, StringComparer.Ordinal)
            .Take(MaxHits).Select(p => new PathHit(p.Slug, p.Name)).ToList();

        // Each identifier has its own index, so each lookup is a seek, not a scan of every event.
        var byEventId = await db.InferenceEvents.AsNoTracking().Where(e => ids.Contains(e.PathId) && e.EventId == q)
            .Select(e => new { e.Id, e.PathId, e.EventId, e.TraceId, e.Unit, e.OccurredAt }).Take(MaxHits).ToListAsync(ct);
        var byTrace = await db.InferenceEvents.AsNoTracking().Where(e => e.TraceId == q && ids.Contains(e.PathId))
            .OrderByDescending(e => e.Id).Select(e => new { e.Id, e.PathId, e.EventId, e.TraceId, e.Unit, e.OccurredAt }).Take(MaxHits).ToListAsync(ct);
        var byUnit = await db.InferenceEvents.AsNoTracking().Where(e => e.Unit == q && ids.Contains(e.PathId))
            .OrderByDescending(e => e.Id).Select(e => new { e.Id, e.PathId, e.EventId, e.TraceId, e.Unit, e.OccurredAt }).Take(MaxHits).ToListAsync(ct);
        var eventHits = byEventId.Select(e => (e, "event id")).Concat(byTrace.Select(e => (e, "trace id"))).Concat(byUnit.Select(e => (e, "unit")))
            .DistinctBy(x => x.e.Id).Take(MaxHits)
            .Select(x => new EventHit(x.e.Id, slugOf[x.e.PathId], x.e.EventId, x.e.TraceId, x.e.Unit, x.e.OccurredAt, x.Item2)).ToList();

        var number = long.TryParse(q.TrimStart('#'), out var n) ? n : (long?)null;
        // SQLite's LIKE ignores ASCII case; PostgreSQL's does not, so it gets ILIKE for the same answers.
        var incidents = db.Incidents.AsNoTracking().Where(i => ids.Contains(i.PathId));
        incidents = db.Database.IsNpgsql()
            ? incidents.Where(i => i.Id == number || EF.Functions.ILike(i.Title, pattern, "\\"))
            : incidents.Where(i => i.Id == number || EF.Functions.Like(i.Title, pattern, "\\"));
        var incidentHits = await incidents
            .OrderByDescending(i => i.Id).Take(MaxHits)
            .Select(i => new { i.Id, i.PathId, i.Title, i.Severity, i.Status, i.TriggeredAt }).ToListAsync(ct);

        return new SearchResults(q, pathHits, eventHits,
            incidentHits.Select(i => new IncidentHit(i.Id, slugOf[i.PathId], i.Title, i.Severity, i.Status, i.TriggeredAt)).ToList());
    }
}

public static class SearchFeature
{
    public static WebApplicationBuilder AddSearch(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SearchService>();
        builder.Services.AddAppBarItem<SearchBox>(AppBarPlacement.BeforeThemeToggle);
        return builder;
    }
}
