using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using OpsConsole.Web.Features.Otlp.Proto;

namespace OpsConsole.Benchmarks;

/// <summary>
/// The load time of the event page's trace tab for a trace of 1,000 spans (an agent tree: an
/// <c>invoke_agent</c> root, steps with retrievals, tool calls and HTTP calls, a few failing tools,
/// one <c>chat</c> span that is the inference event), measured as the server-prerendered HTML of
/// <c>/paths/{slug}/events/{id}?tab=trace</c> for a signed-in admin. Baselines in the same run: the
/// same event's page on its Event tab, and the trace tab of an event whose trace has 4 spans.
/// </summary>
internal sealed partial class TraceTabBenchmark(BenchOptions options, string work)
{
    public const string PathSlug = "support-reply-draft";
    private const string AdminEmail = "admin@opsconsole.local";
    private const string AdminPassword = PushBenchmark.ReviewerPassword;
    public const int BigTraceSpans = 1_000;
    private const int Warmup = 5;
    private const int Measured = 30;

    private static readonly MediaTypeHeaderValue _protobuf = new("application/x-protobuf");

    private sealed record PageResult(string Label, double MedianMs, double P95Ms, int HtmlBytes, int TreeItems, int ErrorRows);

    public async Task RunAsync(CancellationToken ct)
    {
        Progress("copying the web app's build output");
        var build = AppBuild.Locate(Path.Combine(work, "tracetab-app"), options.AppConfiguration);
        var db = Path.Combine(work, "tracetab", "tracetab.db");
        Directory.CreateDirectory(Path.GetDirectoryName(db)!);
        using var app = await AppProcess.StartAsync(build, db, "trace tab", ct);

        var random = new Random(20261203);
        var (bigBody, bigEvent, bigSpans, bigErrors) = BigTrace(random);
        var (smallBody, smallEvent, smallSpans) = SmallTrace(random);
        if (bigSpans != BigTraceSpans)
        {
            throw new BenchmarkFailedException($"The generated trace has {bigSpans} spans, not {BigTraceSpans}.");
        }

        using (var client = HttpIngestion.CreateClient(app.BaseAddress, 1))
        {
            Progress($"posting a trace of {bigSpans:N0} spans ({bigBody.Length / 1024.0:N0} KB protobuf) and one of {smallSpans} spans to /v1/traces");
            await PostAsync(client, bigBody, ct);
            await PostAsync(client, smallBody, ct);
        }

        var bigId = await EventRowIdAsync(db, bigEvent, ct);
        var smallId = await EventRowIdAsync(db, smallEvent, ct);
        var storedSpans = StoredSpans(db, bigEvent[..32]);
        if (storedSpans != bigSpans)
        {
            throw new BenchmarkFailedException($"The app stored {storedSpans} spans of the big trace, not {bigSpans}.");
        }
        Progress($"events: 1,000-span trace → row {bigId}, 4-span trace → row {smallId}");

        Progress($"signing in as {AdminEmail}");
        var cookie = await PushClient.SignInAsync(app.BaseAddress, AdminEmail, AdminPassword, ct);
        using var handler = new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, UseProxy = false, AutomaticDecompression = DecompressionMethods.None };
        using var http = new HttpClient(handler) { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Add("Cookie", cookie);

        var trace = await MeasureAsync(http, $"trace tab, {bigSpans:N0} spans", $"paths/{PathSlug}/events/{bigId}?tab=trace", bigSpans, bigErrors, ct);
        var eventTab = await MeasureAsync(http, $"event tab, same event", $"paths/{PathSlug}/events/{bigId}?tab=event", 0, 0, ct);
        var small = await MeasureAsync(http, $"trace tab, {smallSpans} spans", $"paths/{PathSlug}/events/{smallId}?tab=trace", smallSpans, 0, ct);

        var o = Console.Out;
        o.WriteLine();
        o.WriteLine($"Trace tab benchmark — GET /paths/{PathSlug}/events/{{id}} (server prerender, signed in as {AdminEmail}), " +
            $"{Warmup} warm-up then {Measured} sequential requests each; {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}; " +
            $"app: {build.Configuration} build, its own process, SQLite, demo data");
        foreach (var r in new[] { trace, eventTab, small })
        {
            o.WriteLine($"{r.Label,-28} median {r.MedianMs,8:N1} ms  p95 {r.P95Ms,8:N1} ms  HTML {r.HtmlBytes / 1024.0,8:N1} KB  treeitems {r.TreeItems,5} (error rows {r.ErrorRows})");
        }
        o.WriteLine($"ratio trace tab ({bigSpans:N0} spans) / event tab: median {trace.MedianMs / eventTab.MedianMs:N2}  p95 {trace.P95Ms / eventTab.P95Ms:N2}");
        o.WriteLine($"ratio trace tab ({bigSpans:N0} spans) / trace tab ({smallSpans} spans): median {trace.MedianMs / small.MedianMs:N2}  p95 {trace.P95Ms / small.P95Ms:N2}");
        IngestionBenchmark.ReportAppLog(o, [("trace tab", app)]);
    }

    private static async Task<PageResult> MeasureAsync(HttpClient http, string label, string url, int expectedRows, int expectedErrors, CancellationToken ct)
    {
        Progress($"{label}: {Warmup} warm-up + {Measured} requests of /{url}");
        var times = new double[Measured];
        var html = "";
        for (var i = 0; i < Warmup + Measured; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseContentRead, ct);
            html = await response.Content.ReadAsStringAsync(ct);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new BenchmarkFailedException($"GET /{url} answered {(int)response.StatusCode} {response.ReasonPhrase}; body starts: {(html.Length > 300 ? html[..300] : html)}");
            }
            if (i >= Warmup)
            {
                times[i - Warmup] = ms;
            }
            // Every answer, not only the last, must hold the whole tree (or none of it on the event tab).
            var rows = TreeItem().Count(html);
            if (rows != expectedRows)
            {
                throw new BenchmarkFailedException(
                    $"GET /{url} returned HTML with {rows} role=\"treeitem\" rows, expected {expectedRows}: the prerendered page does not hold " +
                    (expectedRows == 0 ? "what the Event tab should" : "the trace's span tree") + $". HTML {html.Length:N0} chars; " +
                    $"tabs seen: {string.Join(", ", TabTestId().Matches(html).Select(m => m.Value).Distinct())}");
            }
            var errors = ErrorRow().Count(html);
            if (errors != expectedErrors)
            {
                throw new BenchmarkFailedException($"GET /{url} returned {errors} error rows in the span tree, expected {expectedErrors}.");
            }
        }
        Array.Sort(times);
        return new PageResult(label, HttpIngestion.Percentile(times, 0.50), HttpIngestion.Percentile(times, 0.95),
            System.Text.Encoding.UTF8.GetByteCount(html), TreeItem().Count(html), ErrorRow().Count(html));
    }

    private static async Task PostAsync(HttpClient client, byte[] body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/traces")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = _protobuf } },
        };
        using var response = await client.SendAsync(request, ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var text = System.Text.Encoding.UTF8.GetString(bytes);
            throw new BenchmarkFailedException($"POST /v1/traces answered {(int)response.StatusCode} {response.ReasonPhrase}: {(text.Length > 400 ? text[..400] : text)}");
        }
        var answer = ExportTraceServiceResponse.Parser.ParseFrom(bytes);
        if (answer.PartialSuccess is { RejectedSpans: > 0 } partial)
        {
            throw new BenchmarkFailedException($"POST /v1/traces rejected {partial.RejectedSpans} span(s): {partial.ErrorMessage}");
        }
    }

    /// <summary>The row id of the inference event <paramref name="eventId"/>, read from the app's database once it is there.</summary>
    private static async Task<long> EventRowIdAsync(string databaseFile, string eventId, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            using (var connection = new SqliteConnection($"Data Source={databaseFile};Mode=ReadOnly;Pooling=False"))
            {
                connection.Open();
                using var cmd = connection.CreateCommand();
                cmd.CommandText = "SELECT e.Id FROM InferenceEvents e JOIN Paths p ON p.Id = e.PathId WHERE p.Slug = @slug AND e.EventId = @id";
                cmd.Parameters.AddWithValue("@slug", PathSlug);
                cmd.Parameters.AddWithValue("@id", eventId);
                if (cmd.ExecuteScalar() is long id)
                {
                    return id;
                }
            }
            await Task.Delay(200, ct);
        }
        throw new BenchmarkFailedException($"The inference event {eventId} did not appear on path '{PathSlug}' within 30 s.");
    }

    private static long StoredSpans(string databaseFile, string traceId)
    {
        using var connection = new SqliteConnection($"Data Source={databaseFile};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM TraceSpans WHERE TraceId = @t";
        cmd.Parameters.AddWithValue("@t", traceId);
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>
    /// A support agent's run of exactly 1,000 spans: an <c>invoke_agent</c> root without a path; 249
    /// steps of four spans each (the step, a retrieval with documents, a tool call with arguments and
    /// result, the tool's HTTP call), of which a few tool calls fail with an <c>exception</c> event; then the
    /// <c>chat</c> span that names the path (the inference event) and two closing tool calls.
    /// </summary>
    private static (byte[] Body, string EventId, int Spans, int ErrorSpans) BigTrace(Random random)
    {
        var traceId = Id(random, 16);
        var spans = new List<Span>();
        var start = ToUnixNano(DateTime.UtcNow.AddMinutes(-2));
        var t = start + 5_000_000;
        const int steps = 249;
        var root = NewSpan(traceId, Id(random, 8), null, "invoke_agent support-agent", Span.Types.SpanKind.Internal, start, 0);
        root.Attributes.Add(Attr("gen_ai.operation.name", "invoke_agent"));
        root.Attributes.Add(Attr("gen_ai.agent.name", "support-agent"));
        spans.Add(root);
        for (var i = 0; i < steps; i++)
        {
            var stepStart = t;
            var step = NewSpan(traceId, Id(random, 8), root.SpanId, $"agent step {i + 1}", Span.Types.SpanKind.Internal, stepStart, 0);
            var retrieval = NewSpan(traceId, Id(random, 8), step.SpanId, "retrieval kb-articles", Span.Types.SpanKind.Client, t + 200_000, t + 12_000_000);
            retrieval.Attributes.Add(Attr("gen_ai.operation.name", "retrieval"));
            retrieval.Attributes.Add(Attr("gen_ai.data_source.id", "kb-articles"));
            retrieval.Attributes.Add(Attr("gen_ai.retrieval.query.text", $"refund policy order {1000 + i}"));
            retrieval.Attributes.Add(Attr("gen_ai.retrieval.documents", JsonSerializer.Serialize(new[]
            {
                new { id = $"kb-{i * 3}", score = 0.91, title = "Refunds within 30 days", content = "Orders may be refunded within 30 days of delivery." },
                new { id = $"kb-{i * 3 + 1}", score = 0.84, title = "Damaged items", content = "Ask for a photo of the damage before a replacement." },
            })));
            var toolStart = t + 13_000_000;
            var tool = NewSpan(traceId, Id(random, 8), step.SpanId, "execute_tool lookup_order", Span.Types.SpanKind.Internal, toolStart, toolStart + 20_000_000);
            tool.Attributes.Add(Attr("gen_ai.operation.name", "execute_tool"));
            tool.Attributes.Add(Attr("gen_ai.tool.name", "lookup_order"));
            tool.Attributes.Add(Attr("gen_ai.tool.call.id", $"call_{i:D4}"));
            tool.Attributes.Add(Attr("gen_ai.tool.call.arguments", $$"""{"orderId":"A-{{1000 + i}}","include":["items","shipping"]}"""));
            var httpCall = NewSpan(traceId, Id(random, 8), tool.SpanId, "GET /orders/{id}", Span.Types.SpanKind.Client, toolStart + 1_000_000, toolStart + 18_000_000);
            httpCall.Attributes.Add(Attr("http.request.method", "GET"));
            httpCall.Attributes.Add(Attr("url.full", $"https://orders.internal/orders/A-{1000 + i}"));
            if (i % 60 == 17)
            {
                // A few failing tool calls: error status and an exception event, on the tool and its HTTP call.
                tool.Status = new Status { Code = Status.Types.StatusCode.Error, Message = "order service timed out" };
                tool.Attributes.Add(Attr("error.type", "TimeoutException"));
                tool.Events.Add(ExceptionEvent(toolStart + 19_000_000, "System.TimeoutException", "The order service did not answer within 15 ms."));
                httpCall.Status = new Status { Code = Status.Types.StatusCode.Error };
                httpCall.Attributes.Add(Attr("http.response.status_code", 504L));
            }
            else
            {
                tool.Attributes.Add(Attr("gen_ai.tool.call.result", $$"""{"orderId":"A-{{1000 + i}}","status":"delivered","items":2,"total":59.90}"""));
                httpCall.Attributes.Add(Attr("http.response.status_code", 200L));
            }
            t = toolStart + 22_000_000;
            step.EndTimeUnixNano = t;
            spans.AddRange([step, retrieval, tool, httpCall]);
            t += 500_000;
        }
        var chat = ChatSpan(traceId, Id(random, 8), root.SpanId, t, t + 1_800_000_000);
        spans.Add(chat);
        t += 1_850_000_000;
        foreach (var name in new[] { "send_reply", "update_ticket" })
        {
            var tool = NewSpan(traceId, Id(random, 8), root.SpanId, "execute_tool " + name, Span.Types.SpanKind.Internal, t, t + 30_000_000);
            tool.Attributes.Add(Attr("gen_ai.operation.name", "execute_tool"));
            tool.Attributes.Add(Attr("gen_ai.tool.name", name));
            tool.Attributes.Add(Attr("gen_ai.tool.call.arguments", """{"ticket":"T-4711"}"""));
            tool.Attributes.Add(Attr("gen_ai.tool.call.result", """{"ok":true}"""));
            spans.Add(tool);
            t += 31_000_000;
        }
        root.EndTimeUnixNano = t + 1_000_000;
        return (Request(spans), EventIdOf(chat), spans.Count, spans.Count(s => s.Status?.Code == Status.Types.StatusCode.Error));
    }

    /// <summary>The baseline trace: <c>invoke_agent</c> root, a retrieval, the <c>chat</c> span with the path, a tool call.</summary>
    private static (byte[] Body, string EventId, int Spans) SmallTrace(Random random)
    {
        var traceId = Id(random, 16);
        var start = ToUnixNano(DateTime.UtcNow.AddMinutes(-1));
        var root = NewSpan(traceId, Id(random, 8), null, "invoke_agent support-agent", Span.Types.SpanKind.Internal, start, start + 2_100_000_000);
        root.Attributes.Add(Attr("gen_ai.operation.name", "invoke_agent"));
        var retrieval = NewSpan(traceId, Id(random, 8), root.SpanId, "retrieval kb-articles", Span.Types.SpanKind.Client, start + 1_000_000, start + 40_000_000);
        retrieval.Attributes.Add(Attr("gen_ai.operation.name", "retrieval"));
        retrieval.Attributes.Add(Attr("gen_ai.retrieval.documents", """[{"id":"kb-1","score":0.9,"title":"Refunds within 30 days","content":"Orders may be refunded within 30 days."}]"""));
        var chat = ChatSpan(traceId, Id(random, 8), root.SpanId, start + 45_000_000, start + 1_845_000_000);
        var tool = NewSpan(traceId, Id(random, 8), root.SpanId, "execute_tool send_reply", Span.Types.SpanKind.Internal, start + 1_850_000_000, start + 2_050_000_000);
        tool.Attributes.Add(Attr("gen_ai.operation.name", "execute_tool"));
        tool.Attributes.Add(Attr("gen_ai.tool.name", "send_reply"));
        tool.Attributes.Add(Attr("gen_ai.tool.call.arguments", """{"ticket":"T-4712"}"""));
        tool.Attributes.Add(Attr("gen_ai.tool.call.result", """{"ok":true}"""));
        return (Request([root, retrieval, chat, tool]), EventIdOf(chat), 4);
    }

    private static Span ChatSpan(ByteString traceId, ByteString spanId, ByteString parent, ulong start, ulong end)
    {
        var chat = NewSpan(traceId, spanId, parent, "chat gpt-4.1-mini", Span.Types.SpanKind.Client, start, end);
        chat.Attributes.Add(Attr("gen_ai.operation.name", "chat"));
        chat.Attributes.Add(Attr("opsconsole.path", PathSlug));
        chat.Attributes.Add(Attr("gen_ai.request.model", "gpt-4.1-mini"));
        chat.Attributes.Add(Attr("gen_ai.usage.input_tokens", 2_400L));
        chat.Attributes.Add(Attr("gen_ai.usage.output_tokens", 310L));
        chat.Attributes.Add(Attr("opsconsole.confidence", 0.82));
        chat.Attributes.Add(Attr("gen_ai.input.messages", Messages("user", "My order A-1017 arrived damaged, can I get a refund?")));
        chat.Attributes.Add(Attr("gen_ai.output.messages", Messages("assistant", "I'm sorry about the damage. Please send a photo and we will refund you within 30 days.")));
        return chat;
    }

    private static Span NewSpan(ByteString traceId, ByteString spanId, ByteString? parent, string name, Span.Types.SpanKind kind, ulong start, ulong end)
    {
        var span = new Span { TraceId = traceId, SpanId = spanId, Name = name, Kind = kind, StartTimeUnixNano = start, EndTimeUnixNano = end };
        if (parent is not null)
        {
            span.ParentSpanId = parent;
        }
        return span;
    }

    private static Span.Types.Event ExceptionEvent(ulong at, string type, string message)
    {
        var e = new Span.Types.Event { Name = "exception", TimeUnixNano = at };
        e.Attributes.Add(Attr("exception.type", type));
        e.Attributes.Add(Attr("exception.message", message));
        e.Attributes.Add(Attr("exception.stacktrace", $"{type}: {message}\n   at Support.Tools.LookupOrder.RunAsync()\n   at Support.Agent.StepAsync()"));
        return e;
    }

    private static byte[] Request(IEnumerable<Span> spans)
    {
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "OpsConsole.Benchmarks", Version = "1.0" } };
        scope.Spans.Add(spans);
        var resource = new Resource();
        resource.Attributes.Add(Attr("service.name", "support-agent"));
        var resourceSpans = new ResourceSpans { Resource = resource };
        resourceSpans.ScopeSpans.Add(scope);
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(resourceSpans);
        return request.ToByteArray();
    }

    private static string EventIdOf(Span span) =>
        Convert.ToHexStringLower(span.TraceId.Span) + "-" + Convert.ToHexStringLower(span.SpanId.Span);

    private static ByteString Id(Random random, int bytes)
    {
        var id = new byte[bytes];
        random.NextBytes(id);
        return ByteString.CopyFrom(id);
    }

    private static ulong ToUnixNano(DateTime utc) => (ulong)(utc - DateTime.UnixEpoch).Ticks * 100UL;

    private static string Messages(string role, string text) =>
        JsonSerializer.Serialize(new[] { new { role, parts = new[] { new { type = "text", content = text } } } });

    private static KeyValue Attr(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Attr(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    private static KeyValue Attr(string key, double value) => new() { Key = key, Value = new AnyValue { DoubleValue = value } };

    private static void Progress(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

    [GeneratedRegex(@"role=""treeitem""")]
    private static partial Regex TreeItem();

    [GeneratedRegex(@"class=""ops-trace-row ops-trace-error""")]
    private static partial Regex ErrorRow();

    [GeneratedRegex(@"data-testid=""tab-[a-z]+""")]
    private static partial Regex TabTestId();
}
