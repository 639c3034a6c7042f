using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Ingestion;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Otlp.Proto;

namespace OpsConsole.Web.Features.Otlp;

using OpsConsole.Web.Features.Traces;

/// <summary>What became of one export request.</summary>
public sealed record TraceIngestResult(int Spans, int StoredSpans, int Events, int Unrouted, int Rejected, IReadOnlyList<string> Problems)
{
    /// <summary>The OTLP <c>partial_success.error_message</c>: the first few problems, one per line.</summary>
    public string ErrorMessage => Problems.Count == 0 ? ""
        : string.Join("\n", Problems.Take(10)) + (Problems.Count > 10 ? $"\n… and {Problems.Count - 10} more." : "");
}

/// <summary>The database could not take the spans in time (locked, saturated): nothing was acknowledged, send again.</summary>
public sealed class TraceStorageBusyException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Turns an OTLP export into stored spans, inference events (through <see cref="IngestionService"/>,
/// so routing to review, metrics, drift and releases work from spans exactly as from the events
/// API), event scores and unrouted counts. Durable before the answer: spans are committed first,
/// then the events (the ingestion writer's commit), then the scores; each step skips what is
/// stored already, so a retried request is idempotent by trace and span id.
/// </summary>
public sealed class TraceIngestion(
    IDbContextFactory<AppDbContext> dbFactory, PathCatalog catalog, IngestionService ingestion, TimeProvider time, ILogger<TraceIngestion> log,
    Microsoft.Extensions.Options.IOptions<IngestionOptions> options)
{
    /// <summary>
    /// A context whose statements wait for a lock held elsewhere no longer than a request may wait
    /// for its events (<see cref="IngestionOptions.MaxWaitMs"/>), so a locked database answers 503
    /// in bounded time instead of holding the request for the providers' 30-second default.
    /// </summary>
    private async Task<AppDbContext> WriterContextAsync(CancellationToken ct)
    {
        var db = await dbFactory.CreateDbContextAsync(ct);
        var seconds = Math.Max(1, (int)Math.Ceiling(options.Value.MaxWaitMs / 1000.0));
        db.Database.SetCommandTimeout(seconds);
        if (db.Database.GetDbConnection() is SqliteConnection sqlite)
        {
            // BEGIN IMMEDIATE waits for the write lock under the connection's own default timeout.
            sqlite.DefaultTimeout = seconds;
        }
        return db;
    }

    private const int InsertChunk = 100;

    /// <param name="refusedWhileReading">Spans the reader of the body refused already (counted as rejected).</param>
    public async Task<TraceIngestResult> IngestAsync(ExportTraceServiceRequest request, Submitter submitter, CancellationToken ct, IReadOnlyList<string>? refusedWhileReading = null)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var problems = new List<string>(refusedWhileReading ?? []);
        var rejected = problems.Count;
        var spans = Read(request, now, problems, ref rejected, out var total);
        total += refusedWhileReading?.Count ?? 0;
        var paths = await catalog.GetAllAsync(ct);

        var traces = spans.GroupBy(s => s.Row.TraceId).ToDictionary(g => g.Key, g => g.ToList());
        List<TraceSpan> stored;
        Dictionary<string, (int PathId, int Count, HashSet<string> SpanIds)> existing;
        var unrouted = new Dictionary<(string Service, string Reason), (long Count, string SpanName, string TraceId)>();
        var toStore = new List<TraceSpan>();
        var events = new List<(ReadSpan Span, string Slug, List<ReadSpan> Trace)>();
        try
        {
            existing = await ExistingAsync(traces.Keys, ct);
        }
        catch (Exception ex) when (IsBusy(ex))
        {
            throw new TraceStorageBusyException("The trace store is busy.", ex);
        }
        var slugById = paths.Values.ToDictionary(p => p.Id, p => p.Slug);

        foreach (var (traceId, trace) in traces)
        {
            // The trace's path: the one its GenAI spans name, else any of its spans, else the one its stored spans have.
            var slug = trace.Where(s => s.IsGenAiOutput).Select(s => s.PathSlug).FirstOrDefault(p => p is not null)
                ?? trace.Select(s => s.PathSlug).FirstOrDefault(p => p is not null);
            existing.TryGetValue(traceId, out var before);
            if (slug is null && before.SpanIds is not null)
            {
                slug = slugById.GetValueOrDefault(before.PathId);
            }
            if (slug is null || !paths.TryGetValue(slug, out var path))
            {
                var reason = slug is null ? "no opsconsole.path attribute on any span of the trace or its resource"
                    : $"opsconsole.path names '{SpanMapper.Clip(slug, 100)}', which is no operating path";
                foreach (var s in trace)
                {
                    var key = (s.Row.ServiceName, reason);
                    unrouted[key] = (unrouted.GetValueOrDefault(key).Count + 1, s.Row.Name, traceId);
                }
                continue;
            }
            if (!submitter.MayUsePath(slug))
            {
                rejected += trace.Count;
                problems.Add($"Trace {traceId}: this API key may not write for path '{slug}' ({trace.Count} span(s) refused).");
                continue;
            }
            var count = before.Count;
            var overflow = 0;
            foreach (var s in trace.OrderBy(s => s.Source.StartTimeUnixNano))
            {
                s.Row.PathId = s.PathSlug is { } own && own != slug && paths.TryGetValue(own, out var ownPath) && submitter.MayUsePath(own) ? ownPath.Id : path.Id;
                var eventSlug = s.PathSlug ?? slug;
                // Only a span that names its path itself (or through its resource) is an output to judge:
                // an agent span above a chat span that names the path stays a span of the trace.
                if (s.IsGenAiOutput && s.PathSlug is not null)
                {
                    s.Row.EventId = SpanMapper.EventId(s.Row.TraceId, s.Row.SpanId);
                    events.Add((s, eventSlug, trace));
                }
                if (before.SpanIds?.Contains(s.Row.SpanId) == true)
                {
                    continue;
                }
                if (count >= SpanLimits.MaxSpansPerTrace)
                {
                    overflow++;
                    continue;
                }
                count++;
                toStore.Add(s.Row);
            }
            if (overflow > 0)
            {
                rejected += overflow;
                problems.Add($"Trace {traceId}: {overflow} span(s) past the limit of {SpanLimits.MaxSpansPerTrace:N0} spans per trace were not kept (their inference events were still recorded).");
            }
        }

        try
        {
            await StoreAsync(toStore, unrouted, now, ct);
        }
        catch (Exception ex) when (IsBusy(ex))
        {
            throw new TraceStorageBusyException("The trace store is busy.", ex);
        }
        stored = toStore;

        var (eventCount, accepted) = await IngestEventsAsync(events, paths, submitter, problems, ct);
        rejected += events.Count - accepted.Count;
        try
        {
            await StoreScoresAsync(accepted, paths, now, ct);
        }
        catch (Exception ex) when (IsBusy(ex))
        {
            throw new TraceStorageBusyException("The trace store is busy.", ex);
        }
        var unroutedCount = (int)unrouted.Values.Sum(v => v.Count);
        if (unroutedCount > 0)
        {
            log.LogInformation("{Count} span(s) named no known operating path", unroutedCount);
        }
        return new TraceIngestResult(total, stored.Count, eventCount, unroutedCount, rejected, problems);
    }

    /// <summary>The spans of the request as rows; spans with invalid ids or text are refused here, each on its own.</summary>
    private static List<ReadSpan> Read(ExportTraceServiceRequest request, DateTime now, List<string> problems, ref int rejected, out int total)
    {
        var list = new List<ReadSpan>();
        var index = -1;
        var seen = new HashSet<(string, string)>();
        foreach (var rs in request.ResourceSpans)
        {
            var resourceAttributes = rs.Resource is null ? new Dictionary<string, AnyValue>() : SpanValues.Lookup(rs.Resource.Attributes);
            var resourceCut = new SpanCut();
            var service = SpanValues.Name(SpanValues.AsText(resourceAttributes.GetValueOrDefault("service.name")) ?? "unknown_service", resourceCut, "service.name");
            var resourcePath = SpanValues.AsText(resourceAttributes.GetValueOrDefault(SpanMapper.PathAttribute));
            foreach (var ss in rs.ScopeSpans)
            {
                foreach (var span in ss.Spans)
                {
                    index++;
                    var traceId = SpanValues.Hex(span.TraceId, 16);
                    var spanId = SpanValues.Hex(span.SpanId, 8);
                    string? parent = null;
                    var problem = traceId is null ? "trace_id must be 16 bytes, not all zero"
                        : spanId is null ? "span_id must be 8 bytes, not all zero"
                        : span.ParentSpanId.Length != 0 && (parent = SpanValues.Hex(span.ParentSpanId, 8)) is null ? "parent_span_id must be empty or 8 bytes"
                        : null;
                    if (problem is null && !seen.Add((traceId!, spanId!)))
                    {
                        // The same span twice in one request: the first counts, as on a retry.
                        continue;
                    }
                    var cut = new SpanCut { InvalidText = resourceCut.InvalidText };
                    TraceSpan? row = null;
                    Dictionary<string, AnyValue>? attributes = null;
                    if (problem is null)
                    {
                        attributes = SpanValues.Lookup(span.Attributes);
                        row = ToRow(span, traceId!, spanId!, parent, service, attributes, now, cut);
                        if (cut.InvalidText is { } where)
                        {
                            problem = $"{where} is not valid Unicode text (a lone surrogate)";
                        }
                    }
                    if (problem is not null)
                    {
                        rejected++;
                        problems.Add($"Span {index}{(traceId is null || spanId is null ? "" : $" ({traceId}/{spanId})")}: {problem}.");
                        continue;
                    }
                    var spanPath = SpanValues.AsText(attributes!.GetValueOrDefault(SpanMapper.PathAttribute)) ?? resourcePath;
                    list.Add(new ReadSpan
                    {
                        Row = row!,
                        Source = span,
                        Attributes = attributes!,
                        ResourceAttributes = resourceAttributes,
                        PathSlug = string.IsNullOrWhiteSpace(spanPath) ? null : spanPath,
                        Index = index,
                    });
                }
            }
        }
        total = index + 1;
        return list;
    }

    private static TraceSpan ToRow(Span span, string traceId, string spanId, string? parent, string service, Dictionary<string, AnyValue> attributes, DateTime now, SpanCut cut)
    {
        var operation = SpanValues.AsText(attributes.GetValueOrDefault("gen_ai.operation.name"));
        var row = new TraceSpan
        {
            TraceId = traceId,
            SpanId = spanId,
            ParentSpanId = parent,
            ServiceName = service,
            Name = SpanValues.Name(span.Name, cut, "the span name"),
            Kind = (int)span.Kind is >= 0 and <= 5 ? (int)span.Kind : 0,
            StartUnixNano = (long)Math.Min(span.StartTimeUnixNano, long.MaxValue),
            EndUnixNano = (long)Math.Min(span.EndTimeUnixNano, long.MaxValue),
            StartedAt = SpanMapper.FromUnixNano(span.StartTimeUnixNano),
            StatusCode = span.Status?.Code switch
            {
                Status.Types.StatusCode.Ok => SpanStatus.Ok,
                Status.Types.StatusCode.Error => SpanStatus.Error,
                _ => SpanStatus.Unset,
            },
            Operation = operation is null ? null : SpanMapper.Clip(SpanValues.Text(operation, 64, new SpanCut(), "operation"), 64),
            AttributesJson = SpanValues.AttributesJson(span.Attributes, span.DroppedAttributesCount, cut, "the span's"),
            ReceivedAt = now,
        };
        var message = span.Status?.Message;
        row.StatusMessage = string.IsNullOrEmpty(message) ? null : SpanValues.Text(message, SpanLimits.MaxStatusMessage - 64, cut, "the status message");
        if (span.Events.Count > 0)
        {
            var buffer = new ArrayBufferWriter<byte>(256);
            using (var w = new Utf8JsonWriter(buffer, SpanValues.WriterOptions))
            {
                w.WriteStartArray();
                var n = 0;
                foreach (var e in span.Events)
                {
                    if (++n > SpanLimits.MaxEventsPerSpan)
                    {
                        cut.Truncated = true;
                        break;
                    }
                    w.WriteStartObject();
                    w.WriteString("name", SpanValues.Name(e.Name, cut, "an event name"));
                    w.WriteNumber("timeUnixNano", (long)Math.Min(e.TimeUnixNano, long.MaxValue));
                    w.WritePropertyName("attributes");
                    SpanValues.WriteAttributes(w, e.Attributes, e.DroppedAttributesCount, cut, $"event '{SpanMapper.Clip(e.Name, 40)}'");
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            row.EventsJson = Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        row.Truncated = cut.Truncated || span.DroppedAttributesCount > 0 || span.DroppedEventsCount > 0;
        return row;
    }

    /// <summary>For each trace of the request already stored: its path, span count and span ids.</summary>
    private async Task<Dictionary<string, (int PathId, int Count, HashSet<string> SpanIds)>> ExistingAsync(IEnumerable<string> traceIds, CancellationToken ct)
    {
        var result = new Dictionary<string, (int, int, HashSet<string>)>();
        var ids = traceIds.ToList();
        if (ids.Count == 0)
        {
            return result;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        foreach (var chunk in ids.Chunk(500))
        {
            var rows = await db.TraceSpans.AsNoTracking().Where(s => chunk.Contains(s.TraceId))
                .Select(s => new { s.TraceId, s.SpanId, s.PathId }).ToListAsync(ct);
            foreach (var g in rows.GroupBy(r => r.TraceId))
            {
                result[g.Key] = (g.First().PathId, g.Count(), g.Select(r => r.SpanId).ToHashSet(StringComparer.Ordinal));
            }
        }
        return result;
    }

    private async Task StoreAsync(List<TraceSpan> rows, Dictionary<(string Service, string Reason), (long Count, string SpanName, string TraceId)> unrouted, DateTime now, CancellationToken ct)
    {
        if (rows.Count == 0 && unrouted.Count == 0)
        {
            return;
        }
        await using var db = await WriterContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var chunk in rows.Chunk(InsertChunk))
        {
            var sql = new StringBuilder(
                "INSERT INTO \"TraceSpans\" (\"TraceId\", \"SpanId\", \"ParentSpanId\", \"PathId\", \"ServiceName\", \"Name\", \"Kind\", \"StartUnixNano\", " +
                "\"EndUnixNano\", \"StartedAt\", \"StatusCode\", \"StatusMessage\", \"Operation\", \"AttributesJson\", \"EventsJson\", \"Truncated\", \"EventId\", \"ReceivedAt\") VALUES ");
            var args = new List<object?>(chunk.Length * 18);
            for (var i = 0; i < chunk.Length; i++)
            {
                var r = chunk[i];
                sql.Append(i == 0 ? "(" : ", (");
                for (var c = 0; c < 18; c++)
                {
                    sql.Append(c == 0 ? "" : ", ").Append("@p").Append(args.Count + c);
                }
                sql.Append(')');
                args.AddRange([r.TraceId, r.SpanId, r.ParentSpanId, r.PathId, r.ServiceName, r.Name, r.Kind, r.StartUnixNano,
                    r.EndUnixNano, r.StartedAt, r.StatusCode, r.StatusMessage, r.Operation, r.AttributesJson, r.EventsJson, r.Truncated, r.EventId, r.ReceivedAt]);
            }
            sql.Append(" ON CONFLICT (\"TraceId\", \"SpanId\") DO NOTHING");
            await ExecuteAsync(db, sql.ToString(), args, ct);
        }
        foreach (var ((service, reason), (count, spanName, traceId)) in unrouted)
        {
            await ExecuteAsync(db,
                "INSERT INTO \"UnroutedSpanSources\" (\"ServiceName\", \"Reason\", \"SpanCount\", \"FirstSeenAt\", \"LastSeenAt\", \"LastSpanName\", \"LastTraceId\") " +
                "VALUES (@p0, @p1, @p2, @p3, @p3, @p4, @p5) ON CONFLICT (\"ServiceName\", \"Reason\") DO UPDATE SET " +
                "\"SpanCount\" = \"UnroutedSpanSources\".\"SpanCount\" + excluded.\"SpanCount\", \"LastSeenAt\" = excluded.\"LastSeenAt\", " +
                "\"LastSpanName\" = excluded.\"LastSpanName\", \"LastTraceId\" = excluded.\"LastTraceId\"",
                [service, reason, count, now, spanName, traceId], ct);
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>The GenAI spans as a batch of the events API, through its contract and its writer.</summary>
    private async Task<(int Events, List<(ReadSpan Span, int PathId)> Accepted)> IngestEventsAsync(
        List<(ReadSpan Span, string Slug, List<ReadSpan> Trace)> events, IReadOnlyDictionary<string, PathRouting> paths, Submitter submitter,
        List<string> problems, CancellationToken ct)
    {
        var accepted = new List<(ReadSpan, int)>();
        if (events.Count == 0)
        {
            return (0, accepted);
        }
        var pathIds = events.Select(e => paths.TryGetValue(e.Slug, out var p) ? p.Id : 0).Where(id => id != 0).Distinct().ToList();
        List<ModelPrice> prices;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            prices = await db.ModelPrices.AsNoTracking().Where(p => pathIds.Contains(p.PathId)).ToListAsync(ct);
        }
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var chunk in events.Chunk(IngestionService.MaxEvents))
        {
            var buffer = new ArrayBufferWriter<byte>(4096);
            using (var w = new Utf8JsonWriter(buffer, SpanValues.WriterOptions))
            {
                w.WriteStartObject();
                w.WriteStartArray("events");
                foreach (var (span, slug, trace) in chunk)
                {
                    var pathId = paths.TryGetValue(slug, out var p) ? p.Id : -1;
                    SpanMapper.WriteEvent(w, span, slug, trace, model => prices.FirstOrDefault(x => x.PathId == pathId && x.Model == model));
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            var body = buffer.WrittenSpan.ToArray();
            var items = EventContract.ReadBatch(body, now, IngestionService.MaxEvents);
            var results = await ingestion.IngestAsync(body, items, submitter, ct);
            for (var i = 0; i < results.Length; i++)
            {
                var (span, slug, _) = chunk[i];
                if (results[i].Status == ItemStatus.Rejected)
                {
                    problems.Add($"Span {span.Index} ({span.Row.TraceId}/{span.Row.SpanId}): its inference event was refused ({results[i].Reason}): {results[i].Detail} It is kept in quarantine.");
                }
                else
                {
                    accepted.Add((span, paths[slug].Id));
                }
            }
        }
        return (accepted.Count, accepted);
    }

    /// <summary><c>gen_ai.evaluation.result</c> events on an accepted event's span become its scores (first of a name wins).</summary>
    private async Task StoreScoresAsync(List<(ReadSpan Span, int PathId)> accepted, IReadOnlyDictionary<string, PathRouting> paths, DateTime now, CancellationToken ct)
    {
        var scores = new List<EventScore>();
        foreach (var (span, pathId) in accepted)
        {
            var eventId = span.Row.EventId!;
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var e in span.Source.Events)
            {
                if (e.Name != "gen_ai.evaluation.result")
                {
                    continue;
                }
                var a = SpanValues.Lookup(e.Attributes);
                var cut = new SpanCut();
                var name = SpanValues.Name(SpanValues.AsText(a.GetValueOrDefault("gen_ai.evaluation.name")), cut, "evaluation name");
                if (name.Length == 0 || !names.Add(name))
                {
                    continue;
                }
                var value = SpanValues.AsNumber(a.GetValueOrDefault("gen_ai.evaluation.score.value"), out _);
                var label = SpanValues.AsText(a.GetValueOrDefault("gen_ai.evaluation.score.label"));
                var explanation = SpanValues.AsText(a.GetValueOrDefault("gen_ai.evaluation.explanation"));
                var score = new EventScore
                {
                    PathId = pathId,
                    EventId = eventId,
                    Name = name,
                    Value = value is { } v && double.IsFinite(v) ? v : null,
                    Label = label is null ? null : SpanValues.Name(label, cut, "label"),
                    Explanation = explanation is null ? null : SpanValues.Text(explanation, SpanLimits.MaxValueLength, cut, "explanation"),
                    ReceivedAt = now,
                };
                if (cut.InvalidText is null)
                {
                    scores.Add(score);
                }
            }
        }
        if (scores.Count == 0)
        {
            return;
        }
        await using var db = await WriterContextAsync(ct);
        foreach (var s in scores)
        {
            await ExecuteAsync(db,
                "INSERT INTO \"EventScores\" (\"PathId\", \"EventId\", \"Name\", \"Value\", \"Label\", \"Explanation\", \"ReceivedAt\") VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6) " +
                "ON CONFLICT (\"PathId\", \"EventId\", \"Name\") DO NOTHING",
                [s.PathId, s.EventId, s.Name, s.Value, s.Label, s.Explanation, s.ReceivedAt], ct);
        }
    }

    /// <summary>A statement with positional parameters @p0, @p1 … (null as SQL NULL), in the context's transaction when it has one.</summary>
    private static async Task ExecuteAsync(AppDbContext db, string sql, IReadOnlyList<object?> args, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open)
        {
            await db.Database.OpenConnectionAsync(ct);
        }
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandTimeout = db.Database.GetCommandTimeout() ?? command.CommandTimeout;
        for (var i = 0; i < args.Count; i++)
        {
            var p = command.CreateParameter();
            p.ParameterName = "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            p.Value = args[i] ?? DBNull.Value;
            command.Parameters.Add(p);
        }
        await command.ExecuteNonQueryAsync(ct);
    }

    public static bool IsBusy(Exception ex) =>
        ex is SqliteException { SqliteErrorCode: 5 or 6 } or TimeoutException or NpgsqlException { IsTransient: true }
        || ex.InnerException is { } inner && IsBusy(inner);
}
