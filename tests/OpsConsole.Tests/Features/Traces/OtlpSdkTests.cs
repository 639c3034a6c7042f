using System.Diagnostics;
using System.Net;
using Microsoft.EntityFrameworkCore;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Traces;

namespace OpsConsole.Tests.Features.Traces;

/// <summary>
/// An agent instrumented with the real OpenTelemetry .NET SDK exports its trace through the OTLP
/// exporter (http/protobuf) to <c>/v1/traces</c>: what a service team gets by pointing its existing
/// exporter at the console, with nothing of OpsConsole's own client library.
/// </summary>
[Trait("Category", "Integration")]
public sealed class OtlpSdkTests : IntegrationTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Export_AgentTraceFromSdk_LowConfidenceChatBecomesReviewedEventWithSpanTree()
    {
        var recorder = new RecordingHandler { InnerHandler = Factory.Server.CreateHandler() };
        var sourceName = "OpsConsole.Tests.Agent." + Guid.NewGuid().ToString("N");
        var traceId = EmitAgentTrace(sourceName, recorder);

        // The exporter sent the whole trace and heard 200 for it.
        var exported = recorder.Exchanges();
        Assert.NotEmpty(exported);
        Assert.All(exported, e => Assert.Equal(HttpStatusCode.OK, e.Status));
        Assert.All(exported, e => Assert.Equal(Otlp.Protobuf, e.ContentType));

        var spans = await Db.QueryAsync(Factory, db => db.TraceSpans.AsNoTracking().Where(s => s.TraceId == traceId).ToListAsync(Ct));
        Assert.Equal(4, spans.Count);
        var agent = Assert.Single(spans, s => s.Operation == "invoke_agent");
        var retrieval = Assert.Single(spans, s => s.Operation == "retrieval");
        var chat = Assert.Single(spans, s => s.Operation == "chat");
        var tool = Assert.Single(spans, s => s.Operation == "execute_tool");
        Assert.Null(agent.ParentSpanId);
        Assert.Equal(agent.SpanId, retrieval.ParentSpanId);
        Assert.Equal(agent.SpanId, chat.ParentSpanId);
        Assert.Equal(chat.SpanId, tool.ParentSpanId);
        Assert.All(spans, s => Assert.Equal("support-agent", s.ServiceName));
        Assert.All(spans, s => Assert.Matches("^[0-9a-f]{16}$", s.SpanId));
        Assert.Equal(SpanStatus.Error, tool.StatusCode);
        Assert.Contains("lookup_order", tool.AttributesJson);
        Assert.Contains("kb-12", retrieval.AttributesJson);
        Assert.Contains("gen_ai.evaluation.result", chat.EventsJson);
        Assert.Equal(1200, chat.DurationMs, precision: 0);

        // The chat span is the inference event, named {trace id}-{span id} and linked from the span.
        var eventId = $"{traceId}-{chat.SpanId}";
        Assert.Equal(eventId, chat.EventId);
        var stored = await Db.QueryAsync(Factory, db => db.InferenceEvents.AsNoTracking().SingleAsync(e => e.EventId == eventId, Ct));
        Assert.Equal("gpt-4o-2024-08-06", stored.ModelVersion);
        Assert.Equal("customer-42", stored.Unit);
        Assert.Equal(0.31, stored.Confidence);
        Assert.Equal(812, stored.InputTokens);
        Assert.Equal(96, stored.OutputTokens);
        Assert.Equal(0.0042, stored.CostUsd);
        Assert.Equal(Outcomes.Ok, stored.Outcome);
        Assert.Equal(1200, stored.LatencyMs!.Value, precision: 0);
        Assert.Equal(traceId, stored.TraceId);
        Assert.Contains("Where is my refund for order 55120?", stored.Input);
        Assert.Contains("Your refund was issued on Monday.", stored.Output);
        // invoke_agent is a GenAI operation of the path too, so the agent's turn is an event of its own;
        // retrieval and tool spans are kept only as spans.
        var agentEventId = $"{traceId}-{agent.SpanId}";
        Assert.Equal(agentEventId, agent.EventId);
        Assert.Null(retrieval.EventId);
        Assert.Null(tool.EventId);
        var eventIds = await Db.QueryAsync(Factory, db => db.InferenceEvents.Where(e => e.EventId.StartsWith(traceId)).Select(e => e.EventId).ToListAsync(Ct));
        Assert.Equal(new[] { agentEventId, eventId }.Order(StringComparer.Ordinal), eventIds.Order(StringComparer.Ordinal));

        // Low confidence routes it to review exactly as the events API would.
        var review = await Db.QueryAsync(Factory, db => db.ReviewItems
            .Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => new { e.EventId, e.ReviewReason, r.Reason, r.Status })
            .Where(x => x.EventId == eventId).ToListAsync(Ct));
        var item = Assert.Single(review);
        Assert.Equal((ReviewReasons.LowConfidence, ReviewReasons.LowConfidence, ReviewStatuses.Pending), (item.Reason, item.ReviewReason, item.Status));

        // The same exports again (an exporter retrying after a lost answer) store nothing twice.
        var before = await Otlp.CountAsync(Factory);
        using var client = Factory.CreateClient();
        foreach (var e in exported)
        {
            using var again = await Otlp.PostAsync(client, e.Body);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }
        Assert.Equal(before, await Otlp.CountAsync(Factory));
        Assert.Equal(4, await Db.QueryAsync(Factory, db => db.TraceSpans.CountAsync(s => s.TraceId == traceId, Ct)));
        Assert.Equal(1, await Db.QueryAsync(Factory, db => db.ReviewItems.Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => e.EventId).CountAsync(id => id == eventId, Ct)));
    }

    /// <summary>Runs one agent turn under the SDK and returns its trace id (32 lower-case hex digits).</summary>
    private static string EmitAgentTrace(string sourceName, RecordingHandler recorder)
    {
        using var source = new ActivitySource(sourceName);
        using var provider = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty()
                .AddService("support-agent", serviceVersion: "2.3.1")
                .AddAttributes([new("opsconsole.path", Otlp.PathSlug), new("deployment.environment.name", "test")]))
            .AddSource(sourceName)
            .AddOtlpExporter(o =>
            {
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                o.Endpoint = new Uri("http://localhost/v1/traces");
                o.Headers = "Authorization=Bearer " + Ingest.DemoKey;
                o.ExportProcessorType = ExportProcessorType.Batch;
                o.HttpClientFactory = () => new HttpClient(recorder, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(30) };
            })
            .Build();

        // No ambient activity: the agent span must be the root of its own trace.
        Activity.Current = null;
        var t0 = DateTimeOffset.UtcNow.AddSeconds(-5);
        string traceId;
        using (var agent = source.StartActivity("invoke_agent support-agent", ActivityKind.Internal, default(ActivityContext), startTime: t0)!)
        {
            traceId = agent.TraceId.ToHexString();
            agent.SetTag("gen_ai.operation.name", "invoke_agent");
            agent.SetTag("gen_ai.agent.name", "support-agent");

            using (var retrieval = source.StartActivity("retrieval support-kb", ActivityKind.Client, agent.Context, startTime: t0.AddMilliseconds(20))!)
            {
                retrieval.SetTag("gen_ai.operation.name", "retrieval");
                retrieval.SetTag("gen_ai.data_source.id", "support-kb");
                retrieval.SetTag("gen_ai.retrieval.documents",
                    """[{"id":"kb-12","score":0.82,"title":"Refund policy","url":"https://kb.example/refunds","content":"Refunds are issued within 5 business days."},""" +
                    """{"id":"kb-40","score":0.47,"title":"Shipping times","url":"https://kb.example/shipping","content":"Orders ship in 2 days."}]""");
                retrieval.SetEndTime(t0.AddMilliseconds(180).UtcDateTime);
            }

            using (var chat = source.StartActivity("chat gpt-4o", ActivityKind.Client, agent.Context, startTime: t0.AddMilliseconds(200))!)
            {
                chat.SetTag("gen_ai.operation.name", "chat");
                chat.SetTag("gen_ai.provider.name", "openai");
                chat.SetTag("gen_ai.request.model", "gpt-4o-2024-08-06");
                chat.SetTag("gen_ai.response.model", "gpt-4o-2024-08-06");
                chat.SetTag("gen_ai.usage.input_tokens", 812);
                chat.SetTag("gen_ai.usage.output_tokens", 96);
                chat.SetTag("opsconsole.confidence", 0.31);
                chat.SetTag("opsconsole.unit", "customer-42");
                chat.SetTag("opsconsole.cost_usd", 0.0042);
                chat.SetTag("gen_ai.input.messages", Otlp.Messages("user", "Where is my refund for order 55120?"));
                chat.SetTag("gen_ai.output.messages", Otlp.Messages("assistant", "Your refund was issued on Monday."));
                chat.AddEvent(new ActivityEvent("gen_ai.evaluation.result", t0.AddMilliseconds(1390), new ActivityTagsCollection
                {
                    ["gen_ai.evaluation.name"] = "groundedness",
                    ["gen_ai.evaluation.score.value"] = 0.4,
                    ["gen_ai.evaluation.score.label"] = "partly grounded",
                    ["gen_ai.evaluation.explanation"] = "The answer names a day the sources do not mention.",
                }));

                using (var tool = source.StartActivity("execute_tool lookup_order", ActivityKind.Internal, chat.Context, startTime: t0.AddMilliseconds(700))!)
                {
                    tool.SetTag("gen_ai.operation.name", "execute_tool");
                    tool.SetTag("gen_ai.tool.name", "lookup_order");
                    tool.SetTag("gen_ai.tool.call.arguments", """{"order":"55120"}""");
                    tool.SetTag("gen_ai.tool.call.result", """{"error":"order service timed out"}""");
                    tool.SetStatus(ActivityStatusCode.Error, "order service timed out");
                    tool.SetEndTime(t0.AddMilliseconds(950).UtcDateTime);
                }
                chat.SetEndTime(t0.AddMilliseconds(1400).UtcDateTime);
            }
            agent.SetEndTime(t0.AddMilliseconds(2400).UtcDateTime);
        }

        Assert.True(provider.ForceFlush(30_000), "the exporter did not finish within 30 s");
        return traceId;
    }

    /// <summary>
    /// Hands the exporter's requests to the in-memory test server and keeps each body and answer, so
    /// the test can send the same export again. The exporter sends synchronously where the platform
    /// allows it; the test server only answers asynchronously.
    /// </summary>
    private sealed class RecordingHandler : DelegatingHandler
    {
        private readonly List<Exchange> _exchanges = [];

        public sealed record Exchange(byte[] Body, string? ContentType, HttpStatusCode Status);

        public IReadOnlyList<Exchange> Exchanges()
        {
            lock (_exchanges)
            {
                return [.. _exchanges];
            }
        }

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.Run(() => SendAsync(request, cancellationToken), cancellationToken).GetAwaiter().GetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            var response = await base.SendAsync(request, cancellationToken);
            lock (_exchanges)
            {
                _exchanges.Add(new Exchange(body, request.Content?.Headers.ContentType?.MediaType, response.StatusCode));
            }
            return response;
        }
    }
}
