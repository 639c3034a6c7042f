using System.Text;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Review;

namespace OpsConsole.Web.Features.Ingestion;

public static class ItemStatus
{
    public const string Accepted = "accepted";
    public const string Duplicate = "duplicate";
    public const string Rejected = "rejected";
}

/// <summary>The answer for one item, in the order the items were sent.</summary>
/// <param name="Warnings">Fields dropped from an accepted item (the item was stored without them); omitted when none.</param>
public sealed record ItemResult(int Index, string? EventId, string Status, string? Reason = null, string? Detail = null, IReadOnlyList<string>? Warnings = null);

/// <summary>A feature above ingestion that acts on newly stored events (budgets), called after each commit.</summary>
public interface IIngestionObserver
{
    /// <summary>Events of <paramref name="pathIds"/> were just committed (duplicates excluded).</summary>
    Task EventsStoredAsync(IReadOnlySet<int> pathIds, CancellationToken ct);
}

/// <summary>Who is submitting: a key (checked against its paths) or a person replaying quarantine (checked by the caller).</summary>
public sealed record Submitter(int? ApiKeyId, string? ApiKeyName, Func<string, bool> MayUsePath);

/// <summary>
/// Turns a batch of raw items into stored events, review items and quarantined rejects:
/// validate → resolve path → check the key's paths → redact → route → one commit.
/// </summary>
public sealed class IngestionService(
    PathCatalog catalog, IngestionWriter writer, PairwiseService pairwise, IEnumerable<IIngestionObserver> observers, ILogger<IngestionService> log, TimeProvider time)
{
    public const int MaxEvents = 1000;

    /// <summary>Stores a batch read from <paramref name="body"/> by <see cref="EventContract.ReadBatch"/>.</summary>
    public Task<ItemResult[]> IngestAsync(byte[] body, IReadOnlyList<ParsedItem> items, Submitter submitter, CancellationToken ct) =>
        ProcessAsync(items, item => Encoding.UTF8.GetString(body, item.Raw.Start, item.Raw.Length), null, submitter, ct);

    /// <summary>
    /// Runs read items through the remaining rules (path, key scope) and stores them. Items with a
    /// quarantine id update that quarantined row when refused again, and remove it when stored
    /// (or found already stored).
    /// </summary>
    public async Task<ItemResult[]> ProcessAsync(
        IReadOnlyList<ParsedItem> items, Func<ParsedItem, string> rawJson, IReadOnlyList<long>? quarantineIds, Submitter submitter, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var paths = await catalog.GetAllAsync(ct);
        var results = new ItemResult[items.Count];
        var rows = new List<EventRow>(items.Count);
        var rowIndexes = new List<int>(items.Count);
        var quarantine = new List<QuarantineRow>();

        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            long? quarantineId = quarantineIds is null ? null : quarantineIds[i];
            var fields = item.Fields;
            var rejection = item.Rejection;
            PathRouting? path = null;
            if (rejection is null && !paths.TryGetValue(fields.Path, out path))
            {
                rejection = new Rejection("unknown_path", $"No operating path '{fields.Path}' exists. Create it, then replay this item from quarantine.");
            }
            if (rejection is null && !submitter.MayUsePath(fields.Path))
            {
                rejection = new Rejection("forbidden", $"This API key may not write events for path '{fields.Path}'.");
            }
            if (rejection is null && fields.Release is { } named && !path!.HasRelease(named))
            {
                rejection = Rejection.Field("release", $"Path '{fields.Path}' has no release '{named}'. Create it (POST /api/v1/paths/{fields.Path}/releases), then replay this item from quarantine.");
            }
            if (rejection is { } r)
            {
                results[i] = new ItemResult(i, item.EventIdForQuarantine, ItemStatus.Rejected, r.Reason, r.Detail);
                quarantine.Add(new QuarantineRow(item.PathForQuarantine, item.EventIdForQuarantine, rawJson(item), r.Reason, submitter.ApiKeyId, submitter.ApiKeyName, now)
                {
                    ExistingId = quarantineId,
                });
                continue;
            }

            var redacted = 0;
            fields.Input = path!.Redactor.Apply(fields.Input, ref redacted);
            fields.Output = path.Redactor.Apply(fields.Output, ref redacted);
            // A killed path's events are captured and routed like any other: that is how its fallback is judged.
            // A shadow output never reaches users, so it is no one's review: it is judged in a pairwise item beside its primary.
            var route = fields.ShadowOf is null ? ReviewRouting.Decide(path, fields) : null;
            rows.Add(new EventRow(path.Id, fields, now, redacted, route, now.AddMinutes(path.ReviewSlaMinutes), submitter.ApiKeyId)
            {
                ReplayOf = quarantineId,
                Segment = EventJson.Attribute(fields.AttributesJson, path.BreakdownAttribute),
                ReleaseId = fields.Release ?? (fields.ShadowOf is null ? path.ReleaseFor(fields.Unit) : path.Candidate?.Id ?? path.Stable?.Id),
            });
            rowIndexes.Add(i);
        }

        var written = await writer.WriteAsync(rows, quarantine, ct);
        // After the commit, also for duplicates: a retried post heals a pairing a crash interrupted, and of
        // a primary and its shadow committed at once, the later commit's pairing sees both.
        if (Pairable(rows, paths) is { Count: > 0 } candidates)
        {
            await pairwise.PairAsync(candidates, ct);
        }
        // Not the request's token: the events are stored, and an action on them (a budget's containment)
        // must not stop half-way because the client stopped listening.
        await TellObserversAsync(rows, written, CancellationToken.None);
        for (var j = 0; j < rows.Count; j++)
        {
            var i = rowIndexes[j];
            results[i] = new ItemResult(i, rows[j].Fields.EventId,
                written[j] == WriteStatus.Inserted ? ItemStatus.Accepted : ItemStatus.Duplicate, Warnings: items[i].Warnings);
        }
        return results;
    }

    /// <summary>
    /// Tells the features above (budgets) which paths got new events, before the caller hears its
    /// answer: a budget that this batch spent acts before the client's next request. The events are
    /// already durable, so an observer's failure is logged, not answered (its own sweep catches up).
    /// </summary>
    private async Task TellObserversAsync(List<EventRow> rows, WriteStatus[] written, CancellationToken ct)
    {
        HashSet<int>? paths = null;
        for (var j = 0; j < rows.Count; j++)
        {
            if (written[j] == WriteStatus.Inserted)
            {
                (paths ??= []).Add(rows[j].PathId);
            }
        }
        if (paths is null)
        {
            return;
        }
        foreach (var observer in observers)
        {
            try
            {
                await observer.EventsStoredAsync(paths, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "{Observer} failed after events were stored for paths {Paths}", observer.GetType().Name, string.Join(",", paths));
            }
        }
    }

    /// <summary>Shadow events, and primaries of paths whose candidate is in shadow now (their shadow may have come first).</summary>
    private static List<PairCandidate> Pairable(List<EventRow> rows, IReadOnlyDictionary<string, PathRouting> paths)
    {
        var list = new List<PairCandidate>();
        foreach (var row in rows)
        {
            var f = row.Fields;
            if (f.ShadowOf is not null || paths.TryGetValue(f.Path, out var p) && p.ShadowShare > 0)
            {
                list.Add(new PairCandidate(row.PathId, f.EventId, f.ShadowOf));
            }
        }
        return list;
    }
}
