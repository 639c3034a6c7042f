using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Features.Incidents;

public sealed record IncidentFilter(string? PathSlug = null, string? Status = null, string? Severity = null, string? AssigneeUserId = null, bool OpenOnly = false);

public sealed record IncidentRow(long Id, string PathSlug, string Title, string Severity, string Source, string Status, string? Assignee, DateTime TriggeredAt,
    DateTime? AcknowledgedAt, DateTime? ResolvedAt, DateTime? EscalatedAt);

/// <summary>One line of an incident's timeline.</summary>
public sealed record IncidentEntryView(long Id, DateTime At, string Actor, string Kind, string Text, long? DriftRunId);

/// <param name="Cause">What opened it (drift, slo:p95, error-spike, manual:…): which events are its examples.</param>
/// <param name="ConfidenceThreshold">The path's threshold under which an event is low confidence.</param>
public sealed record IncidentDetail(IncidentRow Incident, string? AssigneeUserId, IReadOnlyList<IncidentEntryView> Timeline, string Cause, double ConfidenceThreshold)
{
    /// <summary>The drift check run that opened it (or, failing that, the first that added to it).</summary>
    public long? RaisedByRunId => Timeline.FirstOrDefault(e => e.DriftRunId is not null)?.DriftRunId;
}

/// <summary>Mean time to acknowledge and to resolve, over incidents triggered in a window (null without any).</summary>
public sealed record IncidentTimes(int Count, TimeSpan? Mtta, TimeSpan? Mttr);

public sealed class IncidentQueries(IDbContextFactory<AppDbContext> dbFactory)
{
    public async Task<IReadOnlyList<IncidentRow>> ListAsync(IncidentFilter f, IReadOnlyCollection<string>? visibleSlugs, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = from i in db.Incidents.AsNoTracking()
                join p in db.Paths on i.PathId equals p.Id
                join u in db.Users on i.AssigneeUserId equals u.Id into users
                from u in users.DefaultIfEmpty()
                select new { i, p.Slug, Assignee = u == null ? null : u.Email };
        if (visibleSlugs is not null)
        {
            q = q.Where(x => visibleSlugs.Contains(x.Slug));
        }
        if (f.PathSlug is { Length: > 0 } slug)
        {
            q = q.Where(x => x.Slug == slug);
        }
        if (f.Status is { Length: > 0 } status)
        {
            q = q.Where(x => x.i.Status == status);
        }
        if (f.OpenOnly)
        {
            q = q.Where(x => x.i.Status != IncidentStatuses.Resolved);
        }
        if (f.Severity is { Length: > 0 } severity)
        {
            q = q.Where(x => x.i.Severity == severity);
        }
        if (f.AssigneeUserId is { Length: > 0 } assignee)
        {
            q = q.Where(x => x.i.AssigneeUserId == assignee);
        }
        var rows = await q.OrderByDescending(x => x.i.Id).Take(200).ToListAsync(ct);
        return rows.Select(x => Row(x.i, x.Slug, x.Assignee))
            // Open first, then the most severe, then the newest.
            .OrderBy(r => r.Status == IncidentStatuses.Resolved).ThenBy(r => r.Severity).ThenByDescending(r => r.TriggeredAt).ToList();
    }

    public async Task<IncidentDetail?> GetAsync(long id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var x = await (from i in db.Incidents.AsNoTracking()
                       join p in db.Paths on i.PathId equals p.Id
                       join u in db.Users on i.AssigneeUserId equals u.Id into users
                       from u in users.DefaultIfEmpty()
                       where i.Id == id
                       select new { i, p.Slug, p.ConfidenceThreshold, Assignee = u == null ? null : u.Email }).FirstOrDefaultAsync(ct);
        if (x is null)
        {
            return null;
        }
        var timeline = await db.IncidentEntries.AsNoTracking().Where(e => e.IncidentId == id).OrderBy(e => e.At).ThenBy(e => e.Id)
            .Select(e => new IncidentEntryView(e.Id, e.At, e.Actor, e.Kind, e.Text, e.DriftRunId)).ToListAsync(ct);
        return new IncidentDetail(Row(x.i, x.Slug, x.Assignee), x.i.AssigneeUserId, timeline, x.i.Cause, x.ConfidenceThreshold);
    }

    public async Task<IncidentTimes> TimesAsync(int pathId, DateTime from, DateTime to, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Incidents.AsNoTracking().Where(i => i.PathId == pathId && i.TriggeredAt >= from && i.TriggeredAt < to)
            .Select(i => new { i.TriggeredAt, i.AcknowledgedAt, i.ResolvedAt }).ToListAsync(ct);
        static TimeSpan? Mean(IEnumerable<TimeSpan> spans)
        {
            var list = spans.ToList();
            return list.Count == 0 ? null : TimeSpan.FromTicks((long)list.Average(s => s.Ticks));
        }
        return new IncidentTimes(rows.Count,
            Mean(rows.Where(r => r.AcknowledgedAt is not null).Select(r => r.AcknowledgedAt!.Value - r.TriggeredAt)),
            Mean(rows.Where(r => r.ResolvedAt is not null).Select(r => r.ResolvedAt!.Value - r.TriggeredAt)));
    }

    private static IncidentRow Row(Incident i, string slug, string? assignee) =>
        new(i.Id, slug, i.Title, i.Severity, i.Source, i.Status, assignee, i.TriggeredAt, i.AcknowledgedAt, i.ResolvedAt, i.EscalatedAt);
}
