using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace OpsConsole.Client.Sample;

/// <summary>
/// A support agent instrumented the OpenTelemetry way (GenAI semantic conventions), with the console
/// as its OTLP endpoint: each run is invoke_agent → retrieval, chat → execute_tool. Nothing of
/// OpsConsole.Client is used; <c>opsconsole.*</c> attributes are all the console needs in addition.
/// </summary>
internal static class OtlpAgent
{
    private const string SourceName = "OpsConsole.Client.Sample.Agent";

    private static readonly (string Question, string Answer, string Order)[] _conversations =
    [
        ("Where is my refund for order 55120?", "Your refund for order 55120 was issued on Monday and arrives within 3–5 business days.", "55120"),
        ("Can I change the delivery address of order 48211?", "Order 48211 has not shipped yet, so I updated the delivery address for you.", "48211"),
        ("My parcel 61734 arrived damaged, what now?", "Sorry about that! I opened a replacement for order 61734; please keep the box for the courier.", "61734"),
        ("Why was I charged twice for order 30977?", "The second charge on order 30977 is a pre-authorisation and drops off within 48 hours.", "30977"),
    ];

    private static readonly (string Id, string Title, string Content)[] _documents =
    [
        ("kb-refunds", "Refund policy", "Refunds are issued to the original payment method within 5 business days."),
        ("kb-address", "Changing an address", "Addresses can be changed until the order ships."),
        ("kb-damage", "Damaged deliveries", "Damaged items are replaced; the courier collects the box."),
        ("kb-preauth", "Card pre-authorisations", "A pre-authorisation is released by the bank within 2 days."),
        ("kb-shipping", "Shipping times", "Orders ship within 2 business days."),
    ];

    public static int Run(SampleArgs settings)
    {
        var endpoint = new Uri(settings.Url, "/v1/traces");
        var answers = new ExportCounter();
        using var source = new ActivitySource(SourceName);
        using (var provider = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateDefault()
                .AddService("support-agent-sample", serviceVersion: "1.0.0")
                // The console files every span of these traces under this operating path.
                .AddAttributes([new("opsconsole.path", settings.Path)]))
            .AddSource(SourceName)
            .AddOtlpExporter(o =>
            {
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                o.Endpoint = endpoint;
                o.Headers = "Authorization=Bearer " + settings.Key;
                o.ExportProcessorType = ExportProcessorType.Batch;
                // Counting the console's answers is the only reason for a handler of our own.
                o.HttpClientFactory = () => new HttpClient(new CountingHandler(answers) { InnerHandler = new SocketsHttpHandler() })
                {
                    Timeout = TimeSpan.FromSeconds(10),
                };
            })
            .Build())
        {
            Console.WriteLine($"Sending {settings.Traces} agent traces (4 spans each) to {endpoint} for path '{settings.Path}':");
            int low = 0, toolErrors = 0;
            for (var i = 0; i < settings.Traces; i++)
            {
                var run = RunAgent(source, Random.Shared);
                low += run.Confidence < 0.6 ? 1 : 0;
                toolErrors += run.ToolFailed ? 1 : 0;
                Console.WriteLine($"  trace {run.TraceId}  unit {run.Unit,-12}  confidence {run.Confidence:0.00}{(run.Confidence < 0.6 ? " (low)" : "      ")}" +
                    $"  tokens {run.InputTokens}/{run.OutputTokens}  tool {(run.ToolFailed ? "error" : "ok")}");
            }
            if (!provider.ForceFlush(15_000))
            {
                Console.WriteLine("The exporter did not finish within 15 s.");
            }
            Console.WriteLine($"Sent {settings.Traces} traces, {settings.Traces * 4} spans: {low} with confidence below 0.6, {toolErrors} with a failed tool call.");
        }
        Console.WriteLine($"Console answers: {answers.Summary()}");
        // Event ids are {trace id}-{chat span id}; look for the trace ids above in the console's search.
        return answers.AllOk ? 0 : 1;
    }

    private sealed record AgentRun(string TraceId, string Unit, double Confidence, long InputTokens, long OutputTokens, bool ToolFailed);

    /// <summary>One agent turn, with made-up but plausible timings (no waiting: the spans carry their own times).</summary>
    private static AgentRun RunAgent(ActivitySource source, Random random)
    {
        var (question, answer, order) = _conversations[random.Next(_conversations.Length)];
        var unit = "customer-" + random.Next(1, 501).ToString(CultureInfo.InvariantCulture);
        var confidence = Math.Round(random.NextDouble() < 0.25 ? 0.30 + random.NextDouble() * 0.29 : 0.62 + random.NextDouble() * 0.37, 2);
        var toolFailed = random.NextDouble() < 0.15;
        long inputTokens = random.Next(600, 1400), outputTokens = random.Next(40, 220);
        var t0 = DateTimeOffset.UtcNow.AddMilliseconds(-3000);
        var retrievalMs = random.Next(40, 250);
        var chatMs = random.Next(500, 2200);
        var toolMs = random.Next(50, 400);

        Activity.Current = null;
        using var agent = source.StartActivity("invoke_agent support-agent", ActivityKind.Internal, default(ActivityContext), startTime: t0);
        if (agent is null)
        {
            throw new InvalidOperationException("The tracer provider does not listen to the agent's source.");
        }
        agent.SetTag("gen_ai.operation.name", "invoke_agent");
        agent.SetTag("gen_ai.agent.name", "support-agent");
        agent.SetTag("opsconsole.unit", unit);

        using (var retrieval = source.StartActivity("retrieval support-kb", ActivityKind.Client, agent.Context, startTime: t0.AddMilliseconds(5))!)
        {
            retrieval.SetTag("gen_ai.operation.name", "retrieval");
            retrieval.SetTag("gen_ai.data_source.id", "support-kb");
            retrieval.SetTag("gen_ai.retrieval.documents", JsonSerializer.Serialize(
                _documents.OrderBy(_ => random.Next()).Take(random.Next(2, 4)).Select((d, rank) => new
                {
                    id = d.Id,
                    score = Math.Round(0.9 - rank * 0.2 - random.NextDouble() * 0.1, 2),
                    title = d.Title,
                    url = "https://kb.example.com/" + d.Id,
                    content = d.Content,
                })));
            retrieval.SetEndTime(t0.AddMilliseconds(5 + retrievalMs).UtcDateTime);
        }

        var chatStart = t0.AddMilliseconds(10 + retrievalMs);
        using (var chat = source.StartActivity("chat gpt-4o-mini", ActivityKind.Client, agent.Context, startTime: chatStart)!)
        {
            chat.SetTag("gen_ai.operation.name", "chat");
            chat.SetTag("gen_ai.provider.name", "openai");
            chat.SetTag("gen_ai.request.model", "gpt-4o-mini");
            chat.SetTag("gen_ai.response.model", "gpt-4o-mini-2024-07-18");
            chat.SetTag("gen_ai.usage.input_tokens", inputTokens);
            chat.SetTag("gen_ai.usage.output_tokens", outputTokens);
            chat.SetTag("opsconsole.confidence", confidence);
            chat.SetTag("opsconsole.unit", unit);
            chat.SetTag("opsconsole.cost_usd", Math.Round(inputTokens * 0.00000015 + outputTokens * 0.0000006, 6));
            chat.SetTag("gen_ai.input.messages", Messages("user", question));
            chat.SetTag("gen_ai.output.messages", Messages("assistant", toolFailed ? "I could not look up your order right now; an agent will follow up." : answer));
            // An online evaluator scored the answer; it reports through a span event, as GenAI conventions say.
            chat.AddEvent(new ActivityEvent("gen_ai.evaluation.result", chatStart.AddMilliseconds(chatMs - 5), new ActivityTagsCollection
            {
                ["gen_ai.evaluation.name"] = "groundedness",
                ["gen_ai.evaluation.score.value"] = Math.Round(Math.Clamp(confidence + random.NextDouble() * 0.2 - 0.1, 0, 1), 2),
            }));

            var toolStart = chatStart.AddMilliseconds(chatMs / 3);
            using (var tool = source.StartActivity("execute_tool lookup_order", ActivityKind.Internal, chat.Context, startTime: toolStart)!)
            {
                tool.SetTag("gen_ai.operation.name", "execute_tool");
                tool.SetTag("gen_ai.tool.name", "lookup_order");
                tool.SetTag("gen_ai.tool.call.arguments", JsonSerializer.Serialize(new { order }));
                if (toolFailed)
                {
                    tool.SetTag("error.type", "timeout");
                    tool.SetStatus(ActivityStatusCode.Error, "order service timed out after 300 ms");
                }
                else
                {
                    tool.SetTag("gen_ai.tool.call.result", JsonSerializer.Serialize(new { order, status = "found" }));
                }
                tool.SetEndTime(toolStart.AddMilliseconds(toolMs).UtcDateTime);
            }
            chat.SetEndTime(chatStart.AddMilliseconds(chatMs).UtcDateTime);
        }
        agent.SetEndTime(chatStart.AddMilliseconds(chatMs + 20).UtcDateTime);
        return new AgentRun(agent.TraceId.ToHexString(), unit, confidence, inputTokens, outputTokens, toolFailed);
    }

    /// <summary>GenAI message JSON: <c>[{"role":…,"parts":[{"type":"text","content":…}]}]</c>.</summary>
    private static string Messages(string role, string text) =>
        JsonSerializer.Serialize(new[] { new { role, parts = new[] { new { type = "text", content = text } } } });

    private sealed class ExportCounter
    {
        private readonly Dictionary<string, int> _answers = [];

        public void Add(string answer)
        {
            lock (_answers)
            {
                _answers[answer] = _answers.GetValueOrDefault(answer) + 1;
            }
        }

        public bool AllOk
        {
            get
            {
                lock (_answers)
                {
                    return _answers.Count > 0 && _answers.Keys.All(k => k == "200");
                }
            }
        }

        public string Summary()
        {
            lock (_answers)
            {
                return _answers.Count == 0 ? "none (nothing was exported)" : string.Join(", ", _answers.Select(a => $"{a.Key} × {a.Value}"));
            }
        }
    }

    /// <summary>Counts each export's answer (the SDK itself only reports failures to its event source).</summary>
    private sealed class CountingHandler(ExportCounter counter) : DelegatingHandler
    {
        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            try
            {
                var response = base.Send(request, cancellationToken);
                counter.Add(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
                return response;
            }
            catch (HttpRequestException ex)
            {
                counter.Add("no answer (" + ex.Message + ")");
                throw;
            }
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            try
            {
                var response = await base.SendAsync(request, cancellationToken);
                counter.Add(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
                return response;
            }
            catch (HttpRequestException ex)
            {
                counter.Add("no answer (" + ex.Message + ")");
                throw;
            }
        }
    }
}
