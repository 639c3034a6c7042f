using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Features.Traces;

/// <summary>The event page of a span that became an inference event.</summary>
public sealed record SpanEventLink(string Slug, long EventDbId, string EventId)
{
    public string Href => $"/paths/{Slug}/events/{EventDbId}";
}

/// <summary>The stored spans of one trace (at most <see cref="SpanLimits.MaxSpansPerTrace"/>) with links keyed by span id.</summary>
public sealed record TraceData(string TraceId, IReadOnlyList<TraceSpan> Spans, IReadOnlyDictionary<string, SpanEventLink> Links)
{
    public bool AtLimit => Spans.Count >= SpanLimits.MaxSpansPerTrace;
}

/// <summary>An event of an incident's window whose trace was stored.</summary>
public sealed record ExampleTrace(string TraceId, long EventDbId, string EventId, string Outcome, double? Confidence, string? ReviewReason,
    DateTime OccurredAt, int Spans, int ErrorSpans);

/// <summary>The reads of the trace tab, the example traces of an incident and the scores of an event.</summary>
public sealed class TraceQueries(IDbContextFactory<AppDbContext> dbFactory)
{
    /// <summary>Below this an event counts as low confidence when example traces are ranked.</summary>
    public const double LowConfidence = 0.5;
    /// <summary>Events of the window looked at for examples: enough to find errors, bounded for a busy path.</summary>
    private const int Candidates = 500;

    public async Task<TraceData> TraceAsync(string traceId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var spans = await db.TraceSpans.AsNoTracking().Where(s => s.TraceId == traceId)
            .OrderBy(s => s.StartUnixNano).ThenBy(s => s.Id).Take(SpanLimits.MaxSpansPerTrace).ToListAsync(ct);
        var linked = spans.Where(s => s.EventId is not null).Select(s => s.EventId!).Distinct().ToList();
        var links = new Dictionary<string, SpanEventLink>(StringComparer.Ordinal);
        if (linked.Count > 0)
        {
            var pathIds = spans.Select(s => s.PathId).Distinct().ToList();
            var events = await (from e in db.InferenceEvents.AsNoTracking()
                                join p in db.Paths.AsNoTracking() on e.PathId equals p.Id
                                where pathIds.Contains(e.PathId) && linked.Contains(e.EventId)
                                select new { e.Id, e.PathId, e.EventId, p.Slug }).ToListAsync(ct);
            foreach (var s in spans.Where(s => s.EventId is not null))
            {
                var e = events.FirstOrDefault(x => x.PathId == s.PathId && x.EventId == s.EventId);
                if (e is not null)
                {
                    links.TryAdd(s.SpanId, new SpanEventLink(e.Slug, e.Id, e.EventId));
                }
            }
        }
        return new TraceData(traceId, spans, links);
    }

    /// <summary>Number of stored spans of a trace, for the tab's label.</summary>
    public async Task<int> SpanCountAsync(string traceId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.TraceSpans.CountAsync(s => s.TraceId == traceId, ct);
    }

    /// <summary>
    /// Up to <paramref name="max"/> events of the path that occurred in [from, to) and have stored spans, one per
    /// trace: errors first (an error outcome or an error span), then those routed to review or of low confidence, then newest.
    /// </summary>
    public async Task<IReadOnlyList<ExampleTrace>> ExampleTracesAsync(int pathId, DateTime from, DateTime to, int max, CancellationToken ct)
    {
        if (max <= 0)
        {
            return [];
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var spans = db.TraceSpans;
        var events = await db.InferenceEvents.AsNoTracking()
            .Where(e => e.PathId == pathId && e.OccurredAt >= from && e.OccurredAt < to && e.TraceId != null
                && spans.Any(s => s.TraceId == e.TraceId))
            .OrderByDescending(e => e.Outcome != Outcomes.Ok).ThenByDescending(e => e.OccurredAt).Take(Candidates)
            .Select(e => new { e.Id, e.EventId, TraceId = e.TraceId!, e.Outcome, e.Confidence, e.ReviewReason, e.OccurredAt })
            .ToListAsync(ct);
        var traceIds = events.Select(e => e.TraceId).Distinct().ToList();
        var counts = await db.TraceSpans.AsNoTracking().Where(s => traceIds.Contains(s.TraceId)).GroupBy(s => s.TraceId)
            .Select(g => new { TraceId = g.Key, Spans = g.Count(), Errors = g.Count(s => s.StatusCode == SpanStatus.Error) })
            .ToDictionaryAsync(g => g.TraceId, ct);
        return events
            .Select(e =>
            {
                var c = counts.GetValueOrDefault(e.TraceId);
                return new ExampleTrace(e.TraceId, e.Id, e.EventId, e.Outcome, e.Confidence, e.ReviewReason, e.OccurredAt,
                    Math.Min(c?.Spans ?? 0, SpanLimits.MaxSpansPerTrace), c?.Errors ?? 0);
            })
            .OrderByDescending(x => x.Outcome != Outcomes.Ok || x.ErrorSpans > 0)
            .ThenByDescending(x => x.ReviewReason is not null || x.Confidence < LowConfidence)
            .ThenByDescending(x => x.OccurredAt).ThenByDescending(x => x.EventDbId)
            .DistinctBy(x => x.TraceId)
            .Take(max)
            .ToList();
    }

    /// <summary>Example traces of the path with this slug; empty for an unknown path.</summary>
    public async Task<IReadOnlyList<ExampleTrace>> ExampleTracesAsync(string slug, DateTime from, DateTime to, int max, CancellationToken ct)
    {
        int? pathId;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            pathId = await db.Paths.AsNoTracking().Where(p => p.Slug == slug).Select(p => (int?)p.Id).FirstOrDefaultAsync(ct);
        }
        return pathId is { } id ? await ExampleTracesAsync(id, from, to, max, ct) : [];
    }

    /// <summary>The evaluation scores of an event, by name.</summary>
    public async Task<IReadOnlyList<EventScore>> ScoresAsync(int pathId, string eventId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var scores = await db.EventScores.AsNoTracking().Where(s => s.PathId == pathId && s.EventId == eventId).ToListAsync(ct);
        return scores.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
    }
}
