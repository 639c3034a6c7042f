using System.Net;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Traces;
using OpsConsole.Web.Features.Otlp;
using OpsConsole.Web.Features.Otlp.Proto;
using static OpsConsole.Tests.Features.Traces.OtlpBuilder;

namespace OpsConsole.Tests.Features.Traces;

/// <summary><c>POST /v1/traces</c> through the whole app on a real database: mapping, storage, answers.</summary>
[Trait("Category", "Integration")]
public sealed class TraceIngestionTests : IntegrationTest
{
    private const string Slug = "support-reply-draft";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(HttpStatusCode Status, ExportTraceServiceResponse? Answer, string Text)> PostAsync(ExportTraceServiceRequest request, string? key = Ingest.DemoKey)
    {
        using var response = await Factory.CreateClient().SendAsync(Post(request.ToByteArray(), key), Ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(Ct);
        return response.StatusCode == HttpStatusCode.OK
            ? (response.StatusCode, ExportTraceServiceResponse.Parser.ParseFrom(bytes), "")
            : (response.StatusCode, null, Encoding.UTF8.GetString(bytes));
    }

    private static (ExportTraceServiceRequest Request, Span Chat, Span Agent) AgentTrace(double confidence, params KeyValue[] chatAttributes)
    {
        var trace = Id(16);
        var start = DateTime.UtcNow.AddSeconds(-20);
        var agent = Span(trace, "invoke_agent support", "invoke_agent", start: start, ms: 900);
        var retrieval = Span(trace, "retrieval kb", "retrieval", agent.SpanId, start.AddMilliseconds(10), 80,
            Attr("gen_ai.retrieval.query.text", "refund window"),
            Attr("gen_ai.retrieval.documents", """[{"id":"kb-12","score":0.91,"title":"Refund policy","url":"https://kb.example/refunds","content":"Refunds within 30 days."}]"""));
        var chat = Span(trace, "chat gpt-4o", "chat", agent.SpanId, start.AddMilliseconds(100), 640,
            [
                Attr(SpanMapper.PathAttribute, Slug),
                Attr("gen_ai.request.model", "gpt-4o"),
                Attr("gen_ai.response.model", "gpt-4o-2024-08-06"),
                Attr("gen_ai.usage.input_tokens", 812L),
                Attr("gen_ai.usage.output_tokens", 95L),
                Attr("opsconsole.unit", "customer-42"),
                Attr("opsconsole.confidence", confidence),
                Attr("gen_ai.input.messages", """[{"role":"user","parts":[{"type":"text","content":"Can I get a refund?"}]}]"""),
                Attr("gen_ai.output.messages", """[{"role":"assistant","parts":[{"type":"text","content":"Yes, within 30 days."}],"finish_reason":"stop"}]"""),
                .. chatAttributes,
            ]);
        chat.Events.Add(new Span.Types.Event
        {
            Name = "gen_ai.evaluation.result",
            TimeUnixNano = chat.EndTimeUnixNano,
            Attributes = { Attr("gen_ai.evaluation.name", "Relevance"), Attr("gen_ai.evaluation.score.value", 0.82), Attr("gen_ai.evaluation.score.label", "relevant") },
        });
        var tool = Span(trace, "execute_tool lookup_order", "execute_tool", chat.SpanId, start.AddMilliseconds(300), 50,
            Attr("gen_ai.tool.name", "lookup_order"), Attr("gen_ai.tool.call.arguments", """{"order":"A-1"}"""), Attr("gen_ai.tool.call.result", """{"status":"shipped"}"""));
        return (Request("support-agent", [agent, retrieval, chat, tool]), chat, agent);
    }

    [Fact]
    public async Task AgentTrace_BecomesEventRoutedToReview_WithSpansScoresAndSources()
    {
        var (request, chat, _) = AgentTrace(0.31);
        var (status, answer, text) = await PostAsync(request);
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Null(answer!.PartialSuccess);

        var traceId = Convert.ToHexStringLower(chat.TraceId.Span);
        var eventId = SpanMapper.EventId(traceId, Convert.ToHexStringLower(chat.SpanId.Span));
        var e = await Db.QueryAsync(Factory, db => db.InferenceEvents.AsNoTracking().SingleAsync(x => x.EventId == eventId, Ct));
        var (spans, review, scores) = await Db.QueryAsync(Factory, async db => (
            await db.TraceSpans.AsNoTracking().Where(s => s.TraceId == traceId).ToListAsync(Ct),
            await db.ReviewItems.AsNoTracking().Where(r => r.EventRowId == e.Id).ToListAsync(Ct),
            await db.EventScores.AsNoTracking().Where(s => s.EventId == eventId).ToListAsync(Ct)));

        Assert.Equal("gpt-4o-2024-08-06", e.ModelVersion);
        Assert.Equal(812, e.InputTokens);
        Assert.Equal(95, e.OutputTokens);
        Assert.Equal(0.31, e.Confidence);
        Assert.Equal("customer-42", e.Unit);
        Assert.Equal(640, e.LatencyMs!.Value, 3);
        Assert.Equal(Outcomes.Ok, e.Outcome);
        Assert.Equal(traceId, e.TraceId);
        Assert.Equal("Can I get a refund?", e.Input);
        Assert.Equal("Yes, within 30 days.", e.Output);
        Assert.Contains("Refund policy", e.SourcesJson);
        Assert.Contains("\"support-agent\"", e.AttributesJson);
        Assert.Single(review);

        Assert.Equal(4, spans.Count);
        var root = Assert.Single(spans, s => s.ParentSpanId is null);
        Assert.Equal(3, spans.Count(s => s.ParentSpanId is not null && spans.Any(p => p.SpanId == s.ParentSpanId)));
        Assert.Equal(eventId, Assert.Single(spans, s => s.EventId is not null).EventId);
        Assert.All(spans, s => Assert.Equal(e.PathId, s.PathId));
        Assert.Contains("lookup_order", spans.Single(s => s.Operation == "execute_tool").AttributesJson);

        var score = Assert.Single(scores);
        Assert.Equal(("Relevance", 0.82, "relevant"), (score.Name, score.Value, score.Label));

        // The same export again: nothing is stored twice, and the answer is a plain success.
        (status, answer, text) = await PostAsync(request);
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Null(answer!.PartialSuccess);
        var counts = await Db.QueryAsync(Factory, async db => (
            await db.InferenceEvents.CountAsync(x => x.TraceId == traceId, Ct),
            await db.TraceSpans.CountAsync(s => s.TraceId == traceId, Ct),
            await db.EventScores.CountAsync(s => s.EventId == eventId, Ct)));
        Assert.Equal((1, 4, 1), counts);
    }

    [Fact]
    public async Task JsonEncoding_WithHexIds_IsAcceptedAndAnsweredInJson()
    {
        var trace = "5b8efff798038103d269b633813fc60c";
        var now = (DateTime.UtcNow.AddSeconds(-5) - DateTime.UnixEpoch).Ticks * 100;
        var json = $$$"""
            {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"json-svc"}},{"key":"opsconsole.path","value":{"stringValue":"{{{Slug}}}"}}]},
             "scopeSpans":[{"scope":{"name":"x"},"spans":[
               {"traceId":"{{{trace}}}","spanId":"eee19b7ec3c1b174","name":"chat","kind":3,"startTimeUnixNano":"{{{now}}}","endTimeUnixNano":"{{{now + 250_000_000}}}",
                "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.request.model","value":{"stringValue":"m1"}},
                              {"key":"opsconsole.confidence","value":{"doubleValue":0.97}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"10"}}],
                "status":{"code":2,"message":"upstream 502"}}]}]}]}
            """;
        using var response = await Factory.CreateClient().SendAsync(Post(Encoding.UTF8.GetBytes(json), Ingest.DemoKey, "application/json"), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var e = await Db.QueryAsync(Factory, db => db.InferenceEvents.AsNoTracking().SingleAsync(x => x.TraceId == trace, Ct));
        Assert.Equal((Outcomes.Error, "upstream 502", "m1", 10L), (e.Outcome, e.ErrorMessage, e.ModelVersion, e.InputTokens));
        Assert.Equal(250, e.LatencyMs!.Value, 3);
        var span = await Db.QueryAsync(Factory, db => db.TraceSpans.AsNoTracking().SingleAsync(s => s.TraceId == trace, Ct));
        Assert.Equal(("eee19b7ec3c1b174", SpanStatus.Error, 3, "json-svc"), (span.SpanId, span.StatusCode, span.Kind, span.ServiceName));

        // A JSON body with a base64 id (protobuf's own JSON mapping, not OTLP's) is refused whole.
        var bad = json.Replace(trace, "W47/95gDgQPSabYzgT/GDA==");
        using var refused = await Factory.CreateClient().SendAsync(Post(Encoding.UTF8.GetBytes(bad), Ingest.DemoKey, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("hex", await refused.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task RefusedSpans_AreCountedInPartialSuccess_AndTheRestIsKept()
    {
        var (good, goodChat, _) = AgentTrace(0.9);
        var (bad, badChat, _) = AgentTrace(1.7);
        var zeroId = Span(ByteString.CopyFrom(new byte[16]), "bad ids", "chat");
        var request = good.Clone();
        request.ResourceSpans.Add(bad.ResourceSpans[0]);
        request.ResourceSpans[0].ScopeSpans[0].Spans.Add(zeroId);

        var (status, answer, text) = await PostAsync(request);
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal(2, answer!.PartialSuccess.RejectedSpans);
        Assert.Contains("confidence", answer.PartialSuccess.ErrorMessage);
        Assert.Contains("trace_id", answer.PartialSuccess.ErrorMessage);

        var goodTrace = Convert.ToHexStringLower(goodChat.TraceId.Span);
        var badTrace = Convert.ToHexStringLower(badChat.TraceId.Span);
        var (goodEvents, badEvents, quarantined, badSpans) = await Db.QueryAsync(Factory, async db => (
            await db.InferenceEvents.CountAsync(x => x.TraceId == goodTrace, Ct),
            await db.InferenceEvents.CountAsync(x => x.TraceId == badTrace, Ct),
            await db.Set<Web.Features.Ingestion.QuarantinedEvent>().CountAsync(q => q.RawJson.Contains(badTrace), Ct),
            await db.TraceSpans.CountAsync(s => s.TraceId == badTrace, Ct)));
        Assert.Equal((1, 0, 1), (goodEvents, badEvents, quarantined));
        // The refused event's trace is still kept: it shows what happened.
        Assert.Equal(4, badSpans);
    }

    [Fact]
    public async Task TraceWithoutPath_IsCountedAsUnroutedPerService_NotStored()
    {
        var trace = Id(16);
        var request = Request("billing-worker", [Span(trace, "chat", "chat"), Span(trace, "db query")]);
        var (status, answer, text) = await PostAsync(request);
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal(0, answer!.PartialSuccess.RejectedSpans);
        Assert.Contains("opsconsole.path", answer.PartialSuccess.ErrorMessage);
        await PostAsync(Request("billing-worker", [Span(Id(16), "chat", "chat", attributes: Attr(SpanMapper.PathAttribute, "no-such-path"))]));

        var (sources, spans) = await Db.QueryAsync(Factory, async db => (
            await db.UnroutedSpanSources.AsNoTracking().Where(s => s.ServiceName == "billing-worker").OrderBy(s => s.Reason).ToListAsync(Ct),
            await db.TraceSpans.CountAsync(s => s.ServiceName == "billing-worker", Ct)));
        Assert.Equal(0, spans);
        Assert.Equal(2, sources.Count);
        Assert.Equal(2, sources.Single(s => s.Reason.StartsWith("no opsconsole.path")).SpanCount);
        Assert.Equal(1, sources.Single(s => s.Reason.Contains("no-such-path")).SpanCount);

        // A later span of a stored trace needs no path of its own: it joins its trace.
        var (routed, chat, agent) = AgentTrace(0.9);
        routed.ResourceSpans[0].ScopeSpans[0].Spans.Remove(agent);
        await PostAsync(routed);
        (status, answer, text) = await PostAsync(Request("support-agent", [agent]));
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Null(answer!.PartialSuccess);
        var traceId = Convert.ToHexStringLower(chat.TraceId.Span);
        Assert.Equal(4, await Db.QueryAsync(Factory, db => db.TraceSpans.CountAsync(s => s.TraceId == traceId, Ct)));
    }

    [Fact]
    public async Task ModelPriceTable_GivesCost_WhenSpanSaysNone_AndSpanCostWins()
    {
        var pathId = await Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == Slug).Select(p => p.Id).SingleAsync(Ct));
        await Db.QueryAsync(Factory, async db =>
        {
            db.ModelPrices.Add(new ModelPrice { PathId = pathId, Model = "gpt-4o-2024-08-06", InputUsdPerMillion = 2.5, OutputUsdPerMillion = 10 });
            return await db.SaveChangesAsync(Ct);
        });
        var (priced, pricedChat, _) = AgentTrace(0.9);
        var (declared, declaredChat, _) = AgentTrace(0.9, Attr("opsconsole.cost_usd", 0.5));
        await PostAsync(priced);
        await PostAsync(declared);
        var costs = await Db.QueryAsync(Factory, async db => await db.InferenceEvents.AsNoTracking()
            .Where(e => e.TraceId == Convert.ToHexStringLower(pricedChat.TraceId.ToByteArray()) || e.TraceId == Convert.ToHexStringLower(declaredChat.TraceId.ToByteArray()))
            .ToDictionaryAsync(e => e.TraceId!, e => e.CostUsd, Ct));
        Assert.Equal(812 * 2.5 / 1e6 + 95 * 10 / 1e6, costs[Convert.ToHexStringLower(pricedChat.TraceId.Span)]!.Value, 9);
        Assert.Equal(0.5, costs[Convert.ToHexStringLower(declaredChat.TraceId.Span)]);
    }

    [Fact]
    public async Task SpansPastTheTraceLimit_AreNotKept_ButTheirEventIs()
    {
        var trace = Id(16);
        var start = DateTime.UtcNow.AddMinutes(-2);
        var spans = Enumerable.Range(0, SpanLimits.MaxSpansPerTrace + 5)
            .Select(i => Span(trace, "step " + i, start: start.AddMilliseconds(i), ms: 1, attributes: Attr(SpanMapper.PathAttribute, Slug))).ToList();
        var chat = Span(trace, "chat late", "chat", start: start.AddSeconds(5), attributes: Attr(SpanMapper.PathAttribute, Slug));
        spans.Add(chat);
        var (status, answer, text) = await PostAsync(Request("busy-agent", spans));
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal(6, answer!.PartialSuccess.RejectedSpans);
        Assert.Contains("1,000", answer.PartialSuccess.ErrorMessage);
        var traceId = Convert.ToHexStringLower(trace.Span);
        var (stored, events) = await Db.QueryAsync(Factory, async db => (
            await db.TraceSpans.CountAsync(s => s.TraceId == traceId, Ct),
            await db.InferenceEvents.CountAsync(e => e.TraceId == traceId, Ct)));
        Assert.Equal((SpanLimits.MaxSpansPerTrace, 1), (stored, events));
    }

    [Fact]
    public async Task HugeAttributes_AreTruncatedWithAMarker_AndInvalidTextRefusesOnlyItsSpan()
    {
        var trace = Id(16);
        var big = new string('x', 100_000);
        var span = Span(trace, "chat", "chat", attributes: [Attr(SpanMapper.PathAttribute, Slug), Attr("big", big)]);
        for (var i = 0; i < 300; i++)
        {
            span.Attributes.Add(Attr("k" + i, i));
        }
        var lone = Span(trace, "bad \ud800 name", attributes: Attr(SpanMapper.PathAttribute, Slug));
        var (status, answer, text) = await PostAsync(Request("svc", [span, lone]));
        Assert.True(status == HttpStatusCode.OK, text);
        // Protobuf strings are UTF-8 on the wire, so a lone surrogate cannot reach the server that way:
        // the encoder sent U+FFFD and the span is kept.
        var stored = await Db.QueryAsync(Factory, db => db.TraceSpans.AsNoTracking().Where(s => s.TraceId == Convert.ToHexStringLower(trace.ToByteArray())).ToListAsync(Ct));
        var kept = stored.Single(s => s.Name == "chat");
        Assert.True(kept.Truncated);
        using var attributes = JsonDocument.Parse(kept.AttributesJson);
        var value = attributes.RootElement.GetProperty("big").GetString()!;
        Assert.EndsWith(SpanLimits.TruncationMarker(100_000 - SpanLimits.MaxValueLength), value);
        Assert.True(attributes.RootElement.GetProperty("opsconsole.dropped_attributes").GetInt32() > 0);
        Assert.True(attributes.RootElement.EnumerateObject().Count() <= SpanLimits.MaxAttributesPerSpan + 1);

        // In OTLP/JSON an escape can spell a lone surrogate: that span alone is refused.
        var now = (DateTime.UtcNow.AddSeconds(-5) - DateTime.UnixEpoch).Ticks * 100;
        var t2 = Convert.ToHexStringLower(Id(16).Span);
        var json = $$$"""
            {"resourceSpans":[{"resource":{"attributes":[{"key":"opsconsole.path","value":{"stringValue":"{{{Slug}}}"}}]},"scopeSpans":[{"spans":[
              {"traceId":"{{{t2}}}","spanId":"1111111111111111","name":"ok","startTimeUnixNano":"{{{now}}}","endTimeUnixNano":"{{{now}}}"},
              {"traceId":"{{{t2}}}","spanId":"2222222222222222","name":"bad \ud800","startTimeUnixNano":"{{{now}}}","endTimeUnixNano":"{{{now}}}"}]}]}]}
            """;
        using var response = await Factory.CreateClient().SendAsync(Post(Encoding.UTF8.GetBytes(json), Ingest.DemoKey, "application/json"), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Contains("\"rejectedSpans\":\"1\"", body.Replace(" ", ""));
        var names = await Db.QueryAsync(Factory, db => db.TraceSpans.Where(s => s.TraceId == t2).Select(s => s.SpanId).ToListAsync(Ct));
        Assert.Equal(["1111111111111111"], names);
    }

    [Fact]
    public async Task KeyScopedToAnotherPath_IsRefusedForThisPath_AndBadRequestsStoreNothing()
    {
        var created = await Factory.Services.GetRequiredService<ApiKeyService>().CreateAsync(
            new ApiKeyInput { Name = "otlp-other", Scopes = [ApiScopes.EventsWrite], PathSlugs = ["invoice-field-extraction"] },
            await Principals.ForAsync(Factory, TestUsers.Admin), Ct);
        var (request, chat, _) = AgentTrace(0.5);
        var (status, answer, text) = await PostAsync(request, created.Value!.Secret);
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal(4, answer!.PartialSuccess.RejectedSpans);
        Assert.Contains("may not write", answer.PartialSuccess.ErrorMessage);

        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(request, key: null)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(request, key: "ops_nope")).Status);
        using var wrongType = await Factory.CreateClient().SendAsync(Post(request.ToByteArray(), Ingest.DemoKey, "text/plain"), Ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
        using var garbage = await Factory.CreateClient().SendAsync(Post([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2], Ingest.DemoKey), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
        var status400 = RpcStatus.Parser.ParseFrom(await garbage.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(3, status400.Code);
        using var tooBig = await Factory.CreateClient().SendAsync(Post(new byte[TracesApi.MaxBodyBytes + 10], Ingest.DemoKey), Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);

        var traceId = Convert.ToHexStringLower(chat.TraceId.Span);
        Assert.Equal(0, await Db.QueryAsync(Factory, db => db.TraceSpans.CountAsync(s => s.TraceId == traceId, Ct)));
        Assert.Equal(0, await Db.QueryAsync(Factory, db => db.InferenceEvents.CountAsync(e => e.TraceId == traceId, Ct)));
    }
}
