using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Traces;
using OpsConsole.Web.Features.Otlp.Proto;

namespace OpsConsole.Tests.Features.Traces;

/// <summary>Builds OTLP trace exports and posts them to <c>/v1/traces</c> as an instrumented service would.</summary>
public static class Otlp
{
    public const string Protobuf = "application/x-protobuf";
    public const string PathSlug = "support-reply-draft";

    public static KeyValue Attr(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    public static KeyValue Attr(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    public static KeyValue Attr(string key, double value) => new() { Key = key, Value = new AnyValue { DoubleValue = value } };

    public static ByteString Id(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return ByteString.CopyFrom(bytes);
    }

    public static string Hex(ByteString id) => Convert.ToHexStringLower(id.Span);

    public static string Messages(string role, string text) =>
        new JsonArray(new JsonObject
        {
            ["role"] = role,
            ["parts"] = new JsonArray(new JsonObject { ["type"] = "text", ["content"] = text }),
        }).ToJsonString();

    /// <summary>
    /// One agent run as a GenAI-instrumented service exports it: invoke_agent → retrieval, chat (→ execute_tool).
    /// <paramref name="resourcePath"/> and <paramref name="spanPath"/> put <c>opsconsole.path</c> on the
    /// resource or on the agent and chat spans; both null makes an unroutable trace.
    /// </summary>
    public static ExportTraceServiceRequest AgentTrace(Random random, string serviceName = "support-agent", string? resourcePath = PathSlug,
        string? spanPath = null, double confidence = 0.31)
    {
        var traceId = Id(random, 16);
        var start = (ulong)DateTimeOffset.UtcNow.AddSeconds(-10).ToUnixTimeMilliseconds() * 1_000_000UL;
        const ulong ms = 1_000_000UL;
        Span NewSpan(string name, ByteString? parent, ulong from, ulong to, string operation)
        {
            var span = new Span
            {
                TraceId = traceId,
                SpanId = Id(random, 8),
                ParentSpanId = parent ?? ByteString.Empty,
                Name = name,
                Kind = Span.Types.SpanKind.Internal,
                StartTimeUnixNano = start + from * ms,
                EndTimeUnixNano = start + to * ms,
            };
            span.Attributes.Add(Attr("gen_ai.operation.name", operation));
            return span;
        }

        var agent = NewSpan("invoke_agent support-agent", null, 0, 2400, "invoke_agent");
        agent.Attributes.Add(Attr("gen_ai.agent.name", "support-agent"));
        var retrieval = NewSpan("retrieval kb", agent.SpanId, 10, 180, "retrieval");
        retrieval.Attributes.Add(Attr("gen_ai.retrieval.documents",
            """[{"id":"kb-12","score":0.82,"title":"Refund policy","url":"https://kb.example/refunds","content":"Refunds are issued within 5 days."}]"""));
        var chat = NewSpan("chat gpt-4o", agent.SpanId, 200, 1400, "chat");
        chat.Kind = Span.Types.SpanKind.Client;
        chat.Attributes.Add(Attr("gen_ai.request.model", "gpt-4o"));
        chat.Attributes.Add(Attr("gen_ai.response.model", "gpt-4o"));
        chat.Attributes.Add(Attr("gen_ai.usage.input_tokens", 812L));
        chat.Attributes.Add(Attr("gen_ai.usage.output_tokens", 96L));
        chat.Attributes.Add(Attr("opsconsole.confidence", confidence));
        chat.Attributes.Add(Attr("opsconsole.unit", "customer-" + random.Next(1, 500)));
        chat.Attributes.Add(Attr("opsconsole.cost_usd", 0.0042));
        chat.Attributes.Add(Attr("gen_ai.input.messages", Messages("user", "Where is my refund for order 55120?")));
        chat.Attributes.Add(Attr("gen_ai.output.messages", Messages("assistant", "Your refund was issued on Monday.")));
        var tool = NewSpan("execute_tool lookup_order", chat.SpanId, 600, 900, "execute_tool");
        tool.Attributes.Add(Attr("gen_ai.tool.name", "lookup_order"));
        tool.Attributes.Add(Attr("gen_ai.tool.call.arguments", """{"order":"55120"}"""));
        tool.Attributes.Add(Attr("gen_ai.tool.call.result", """{"status":"refunded"}"""));
        if (spanPath is not null)
        {
            agent.Attributes.Add(Attr("opsconsole.path", spanPath));
            chat.Attributes.Add(Attr("opsconsole.path", spanPath));
        }

        var resource = new Resource();
        resource.Attributes.Add(Attr("service.name", serviceName));
        if (resourcePath is not null)
        {
            resource.Attributes.Add(Attr("opsconsole.path", resourcePath));
        }
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "OpsConsole.Tests", Version = "1.0" } };
        scope.Spans.Add([agent, retrieval, chat, tool]);
        var resourceSpans = new ResourceSpans { Resource = resource };
        resourceSpans.ScopeSpans.Add(scope);
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(resourceSpans);
        return request;
    }

    public static HttpRequestMessage Request(HttpContent content, string? contentType = Protobuf, string? key = Ingest.DemoKey)
    {
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/traces") { Content = content };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return request;
    }

    public static Task<HttpResponseMessage> PostAsync(HttpClient client, byte[] body, string? contentType = Protobuf, string? key = Ingest.DemoKey) =>
        client.SendAsync(Request(new ByteArrayContent(body), contentType, key), TestContext.Current.CancellationToken);

    /// <summary>What /v1/traces writes: spans, inference events and unrouted span counts.</summary>
    public sealed record Stored(int Spans, int Events, long Unrouted);

    public static Task<Stored> CountAsync(OpsConsoleFactory factory) =>
        Db.QueryAsync(factory, async db => new Stored(
            await db.TraceSpans.CountAsync(TestContext.Current.CancellationToken),
            await db.InferenceEvents.CountAsync(TestContext.Current.CancellationToken),
            await db.UnroutedSpanSources.SumAsync(s => s.SpanCount, TestContext.Current.CancellationToken)));
}
