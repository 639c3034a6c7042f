using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Google.Protobuf;
using OpsConsole.Web.Features.Otlp.Proto;

namespace OpsConsole.Benchmarks;

/// <summary>
/// The benchmark's inference events as OTLP exports: each event is one <c>chat</c> span carrying the
/// same values the events API gets, alone or inside a trace of four spans (request, retrieval, chat, tool).
/// </summary>
public static class OtlpBodies
{
    public const string ServiceName = "invoice-extractor";

    /// <summary>Serialised <c>ExportTraceServiceRequest</c>s of <paramref name="spansPerBatch"/> spans each.</summary>
    public static byte[][] Bodies(IReadOnlyList<BenchEvent> events, int spansPerBatch, int spansPerTrace, string path, int seed)
    {
        var random = new Random(seed);
        var tracesPerBatch = Math.Max(1, spansPerBatch / spansPerTrace);
        var bodies = new List<byte[]>();
        for (var first = 0; first < events.Count; first += tracesPerBatch)
        {
            var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "OpsConsole.Benchmarks", Version = "1.0" } };
            for (var i = first; i < Math.Min(events.Count, first + tracesPerBatch); i++)
            {
                AddTrace(scope, events[i], spansPerTrace, random);
            }
            var resource = new Resource();
            resource.Attributes.Add(Attr("service.name", ServiceName));
            resource.Attributes.Add(Attr("opsconsole.path", path));
            var resourceSpans = new ResourceSpans { Resource = resource };
            resourceSpans.ScopeSpans.Add(scope);
            var request = new ExportTraceServiceRequest();
            request.ResourceSpans.Add(resourceSpans);
            bodies.Add(request.ToByteArray());
        }
        return [.. bodies];
    }

    private static void AddTrace(ScopeSpans scope, BenchEvent e, int spansPerTrace, Random random)
    {
        var traceId = ByteString.CopyFrom(Convert.FromHexString(e.TraceId));
        var end = ToUnixNano(e.OccurredAt);
        var start = end - (ulong)(e.LatencyMs * 1_000_000);
        var chat = new Span
        {
            TraceId = traceId,
            SpanId = SpanId(random),
            Name = "chat " + e.ModelVersion,
            Kind = Span.Types.SpanKind.Client,
            StartTimeUnixNano = start,
            EndTimeUnixNano = end,
            Status = new Status { Code = e.Outcome == "error" ? Status.Types.StatusCode.Error : Status.Types.StatusCode.Unset },
        };
        chat.Attributes.Add(Attr("gen_ai.operation.name", "chat"));
        chat.Attributes.Add(Attr("gen_ai.request.model", e.ModelVersion));
        chat.Attributes.Add(Attr("gen_ai.usage.input_tokens", e.InputTokens));
        chat.Attributes.Add(Attr("gen_ai.usage.output_tokens", e.OutputTokens));
        chat.Attributes.Add(Attr("opsconsole.confidence", e.Confidence));
        chat.Attributes.Add(Attr("opsconsole.unit", e.Unit));
        chat.Attributes.Add(Attr("opsconsole.cost_usd", e.CostUsd));
        chat.Attributes.Add(Attr("gen_ai.input.messages", Messages("user", e.Input)));
        chat.Attributes.Add(Attr("gen_ai.output.messages", Messages("assistant", e.Output)));
        if (spansPerTrace == 1)
        {
            scope.Spans.Add(chat);
            return;
        }

        // The request that ran the model: a server span as root (not invoke_agent, which would be an
        // inference event of its own), a retrieval before the model call and a tool call after it.
        var agent = new Span
        {
            TraceId = traceId,
            SpanId = SpanId(random),
            Name = "POST /invoices/extract",
            Kind = Span.Types.SpanKind.Server,
            StartTimeUnixNano = start - 60_000_000,
            EndTimeUnixNano = end + 40_000_000,
        };
        agent.Attributes.Add(Attr("http.request.method", "POST"));
        agent.Attributes.Add(Attr("http.route", "/invoices/extract"));
        agent.Attributes.Add(Attr("http.response.status_code", 200L));
        var retrieval = new Span
        {
            TraceId = traceId,
            SpanId = SpanId(random),
            ParentSpanId = agent.SpanId,
            Name = "retrieval supplier-index",
            Kind = Span.Types.SpanKind.Client,
            StartTimeUnixNano = start - 55_000_000,
            EndTimeUnixNano = start - 5_000_000,
        };
        retrieval.Attributes.Add(Attr("gen_ai.operation.name", "retrieval"));
        retrieval.Attributes.Add(Attr("gen_ai.retrieval.documents",
            """[{"id":"supplier-118","score":0.91,"title":"Supplier master record","content":"VAT id, payment terms, bank details on file."}]"""));
        chat.ParentSpanId = agent.SpanId;
        var tool = new Span
        {
            TraceId = traceId,
            SpanId = SpanId(random),
            ParentSpanId = agent.SpanId,
            Name = "execute_tool validate_vat",
            Kind = Span.Types.SpanKind.Internal,
            StartTimeUnixNano = end + 2_000_000,
            EndTimeUnixNano = end + 35_000_000,
        };
        tool.Attributes.Add(Attr("gen_ai.operation.name", "execute_tool"));
        tool.Attributes.Add(Attr("gen_ai.tool.name", "validate_vat"));
        tool.Attributes.Add(Attr("gen_ai.tool.call.arguments", """{"country":"DE"}"""));
        tool.Attributes.Add(Attr("gen_ai.tool.call.result", """{"valid":true}"""));
        scope.Spans.Add([agent, retrieval, chat, tool]);
    }

    private static ByteString SpanId(Random random)
    {
        Span<byte> id = stackalloc byte[8];
        random.NextBytes(id);
        return ByteString.CopyFrom(id);
    }

    private static ulong ToUnixNano(DateTime utc) => (ulong)(utc - DateTime.UnixEpoch).Ticks * 100UL;

    private static string Messages(string role, string text) =>
        JsonSerializer.Serialize(new[] { new { role, parts = new[] { new { type = "text", content = text } } } });

    private static KeyValue Attr(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Attr(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    private static KeyValue Attr(string key, double value) => new() { Key = key, Value = new AnyValue { DoubleValue = value } };
}

/// <summary>What one OTLP phase measured.</summary>
public sealed record OtlpResult(int Spans, int Requests, TimeSpan Elapsed, double P50Ms, double P99Ms, long RejectedSpans, int Retries, IReadOnlyList<string> RetryReasons)
{
    public double SpansPerSecond => Spans / Elapsed.TotalSeconds;
}

/// <summary>Sends pre-serialised OTLP bodies to <c>POST /v1/traces</c> from several workers, like <see cref="HttpIngestion"/>.</summary>
public static class OtlpIngestion
{
    private static readonly MediaTypeHeaderValue _protobuf = new("application/x-protobuf");

    public static async Task<OtlpResult> RunAsync(HttpClient client, byte[][] bodies, int spans, int clients, CancellationToken ct)
    {
        var latencies = new double[bodies.Length];
        var next = -1;
        long rejected = 0;
        var retries = 0;
        var retryReasons = new List<string>();
        var stopwatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int b;
            while ((b = Interlocked.Increment(ref next)) < bodies.Length)
            {
                var started = Stopwatch.GetTimestamp();
                while (true)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "v1/traces")
                    {
                        Content = new ByteArrayContent(bodies[b]) { Headers = { ContentType = _protobuf } },
                    };
                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
                    var body = await response.Content.ReadAsByteArrayAsync(ct);
                    if (response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests)
                    {
                        // OTLP's retry rule: the same export again after Retry-After; span ids make it idempotent.
                        var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                        lock (retryReasons)
                        {
                            retries++;
                            if (retryReasons.Count < 5)
                            {
                                retryReasons.Add($"{(int)response.StatusCode} after {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms, Retry-After {wait.TotalSeconds:0} s");
                            }
                        }
                        await Task.Delay(wait, ct);
                        continue;
                    }
                    if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != "application/x-protobuf")
                    {
                        var text = System.Text.Encoding.UTF8.GetString(body);
                        throw new BenchmarkFailedException($"OTLP request {b} answered {(int)response.StatusCode} {response.ReasonPhrase} " +
                            $"({response.Content.Headers.ContentType}): {(text.Length > 400 ? text[..400] : text)}");
                    }
                    latencies[b] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    var answer = ExportTraceServiceResponse.Parser.ParseFrom(body);
                    if (answer.PartialSuccess is { RejectedSpans: > 0 } partial)
                    {
                        Interlocked.Add(ref rejected, partial.RejectedSpans);
                    }
                    break;
                }
            }
        }, ct)).ToArray();
        await Task.WhenAll(workers);
        stopwatch.Stop();
        Array.Sort(latencies);
        return new OtlpResult(spans, bodies.Length, stopwatch.Elapsed, HttpIngestion.Percentile(latencies, 0.50), HttpIngestion.Percentile(latencies, 0.99),
            rejected, retries, retryReasons);
    }
}
