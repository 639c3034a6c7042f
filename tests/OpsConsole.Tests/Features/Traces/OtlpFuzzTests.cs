using System.IO.Compression;
using System.Net;
using System.Text;
using Google.Protobuf;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Traces;
using OpsConsole.Web.Features.Otlp.Proto;

namespace OpsConsole.Tests.Features.Traces;

/// <summary>
/// Hostile OTLP bodies at <c>/v1/traces</c>: seeded mutations of valid exports and valid protobuf
/// with hostile values must never produce a 5xx, only 200, 400 or 413, and a 400 stores nothing.
/// The seed is printed on failure so a finding can be replayed. Also the edges of the contract:
/// content types, keys, gzip and the OTLP JSON encoding.
/// </summary>
[Trait("Category", "Integration")]
public sealed class OtlpFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Payloads = 1200;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly OpsConsoleFactory _factory = new OpsConsoleFactory()
        .With("OpsConsole:Ingestion:RequestsPerSecond", "100000")
        .With("OpsConsole:Ingestion:Burst", "100000");

    public ValueTask InitializeAsync()
    {
        _factory.CreateClient().Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task Post_MutatedProtobuf_NeverServerErrorAnd400StoresNothing()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var client = _factory.CreateClient();
        var statuses = new Dictionary<int, int>();
        var kinds = new Dictionary<string, int>();
        var stored = await Otlp.CountAsync(_factory);
        for (var i = 0; i < Payloads; i++)
        {
            var (body, description) = Mutate(random, i);
            using var response = await Otlp.PostAsync(client, body);
            var status = (int)response.StatusCode;
            var where = $"seed {seed}, payload {i} ({description}, {body.Length:N0} bytes) → {status}";
            Assert.True(status < 500, $"{where}: {await response.Content.ReadAsStringAsync(Ct)}");
            Assert.True(status is 200 or 400 or 413, $"{where}: {await response.Content.ReadAsStringAsync(Ct)}");
            var after = await Otlp.CountAsync(_factory);
            if (status == 400)
            {
                Assert.True(after == stored, $"{where} but stored {stored} → {after}");
            }
            stored = after;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            var kind = description.Split(':')[0];
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
        }
        output.WriteLine($"seed {seed}: {Payloads} payloads; " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));
        output.WriteLine("mutations: " + string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}")));
        output.WriteLine($"stored after the run: {stored}");
        // The mutations must reach both the decoder's refusals and the mapping, or the test proves little.
        Assert.True(statuses.GetValueOrDefault(200) > Payloads / 10, string.Join(", ", statuses));
        Assert.True(statuses.GetValueOrDefault(400) > Payloads / 10, string.Join(", ", statuses));
        Assert.True(stored.Spans > 0 && stored.Events > 0, stored.ToString());
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/grpc")]
    [InlineData(null)]
    public async Task Post_WrongContentType_415AndNothingStored(string? contentType)
    {
        var client = _factory.CreateClient();
        var before = await Otlp.CountAsync(_factory);
        using var response = await Otlp.PostAsync(client, Otlp.AgentTrace(new Random(1)).ToByteArray(), contentType);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal(before, await Otlp.CountAsync(_factory));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("ocs_thisKeyDoesNotExistAnywhere123456")]
    public async Task Post_NoOrUnknownKey_401AndNothingStored(string? key)
    {
        var client = _factory.CreateClient();
        var before = await Otlp.CountAsync(_factory);
        using var response = await Otlp.PostAsync(client, Otlp.AgentTrace(new Random(2)).ToByteArray(), key: key);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(before, await Otlp.CountAsync(_factory));
    }

    [Fact]
    public async Task Post_GzipBody_AcceptedAndStored()
    {
        var client = _factory.CreateClient();
        var trace = Otlp.AgentTrace(new Random(3));
        using var content = new ByteArrayContent(Gzip(trace.ToByteArray()));
        content.Headers.ContentEncoding.Add("gzip");
        using var response = await client.SendAsync(Otlp.Request(content), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(0, answer.PartialSuccess?.RejectedSpans ?? 0);
        var traceId = Otlp.Hex(trace.ResourceSpans[0].ScopeSpans[0].Spans[0].TraceId);
        Assert.Equal(4, await Db.QueryAsync(_factory, db => db.TraceSpans.CountAsync(s => s.TraceId == traceId, Ct)));
    }

    [Fact]
    public async Task Post_GzipBombPast16MB_413AndNothingStored()
    {
        // About 20 MB of zeros wrapped in one valid-looking span name: tens of KB on the wire.
        var trace = Otlp.AgentTrace(new Random(4));
        trace.ResourceSpans[0].ScopeSpans[0].Spans[0].Name = new string('\0', 20 * 1024 * 1024);
        var bomb = Gzip(trace.ToByteArray());
        Assert.True(bomb.Length < 1024 * 1024, $"{bomb.Length} bytes");
        var client = _factory.CreateClient();
        var before = await Otlp.CountAsync(_factory);

        using var content = new ByteArrayContent(bomb);
        content.Headers.ContentEncoding.Add("gzip");
        using var response = await client.SendAsync(Otlp.Request(content), Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(before, await Otlp.CountAsync(_factory));
    }

    [Fact]
    public async Task Post_JsonEncodingWithHexIds_AcceptedAndAnsweredInJson()
    {
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        const string agentId = "a1a2a3a4a5a6a7a8", chatId = "c1c2c3c4c5c6c7c8";
        var start = DateTimeOffset.UtcNow.AddSeconds(-3).ToUnixTimeMilliseconds() * 1_000_000L;
        // OTLP/JSON: lowerCamelCase names, ids as hex (not base64), 64-bit integers as strings, enums as numbers.
        var json = $$$"""
            {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"json-agent"}}]},
              "scopeSpans":[{"scope":{"name":"manual"},"spans":[
                {"traceId":"{{{traceId}}}","spanId":"{{{agentId}}}","name":"invoke_agent triage","kind":1,
                 "startTimeUnixNano":"{{{start}}}","endTimeUnixNano":"{{{start + 900_000_000}}}",
                 "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"invoke_agent"}},
                               {"key":"opsconsole.path","value":{"stringValue":"ticket-triage"}}]},
                {"traceId":"{{{traceId}}}","spanId":"{{{chatId}}}","parentSpanId":"{{{agentId}}}","name":"chat small-model","kind":3,
                 "startTimeUnixNano":"{{{start + 100_000_000}}}","endTimeUnixNano":"{{{start + 600_000_000}}}",
                 "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
                               {"key":"opsconsole.path","value":{"stringValue":"ticket-triage"}},
                               {"key":"gen_ai.request.model","value":{"stringValue":"small-model"}},
                               {"key":"gen_ai.usage.input_tokens","value":{"intValue":"120"}},
                               {"key":"opsconsole.confidence","value":{"doubleValue":0.93}}],
                 "status":{"code":1}}]}]}]}
            """;
        var client = _factory.CreateClient();
        using var response = await Otlp.PostAsync(client, Encoding.UTF8.GetBytes(json), "application/json");

        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var eventId = $"{traceId}-{chatId}";
        var stored = await Db.QueryAsync(_factory, db => db.InferenceEvents.SingleOrDefaultAsync(e => e.EventId == eventId, Ct));
        Assert.NotNull(stored);
        Assert.Equal(0.93, stored.Confidence);
        Assert.Equal(120, stored.InputTokens);
        Assert.Equal(500, stored.LatencyMs!.Value, precision: 0);
    }

    private static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize))
        {
            gzip.Write(data);
        }
        return buffer.ToArray();
    }

    // Valid starting points: routed by resource, routed by span, unroutable, and two resources in one export.
    private static byte[][] Seeds(Random r)
    {
        var twoResources = Otlp.AgentTrace(r);
        twoResources.ResourceSpans.Add(Otlp.AgentTrace(r, "invoice-agent", resourcePath: null, spanPath: "invoice-field-extraction", confidence: 0.95).ResourceSpans);
        return
        [
            Otlp.AgentTrace(r).ToByteArray(),
            Otlp.AgentTrace(r, resourcePath: null, spanPath: "ticket-triage", confidence: 0.9).ToByteArray(),
            Otlp.AgentTrace(r, "unknown-agent", resourcePath: null).ToByteArray(),
            twoResources.ToByteArray(),
        ];
    }

    private static (byte[] Body, string Description) Mutate(Random r, int n)
    {
        var seeds = Seeds(r);
        var body = seeds[r.Next(seeds.Length)];
        switch (r.Next(11))
        {
            case 0:
                {
                    var flips = r.Next(1, 9);
                    body = (byte[])body.Clone();
                    for (var k = 0; k < flips; k++)
                    {
                        body[r.Next(body.Length)] ^= (byte)(1 << r.Next(8));
                    }
                    return (body, $"bit flips: {flips}");
                }
            case 1:
                return (body[..r.Next(body.Length)], "truncation");
            case 2:
                {
                    var at = r.Next(body.Length + 1);
                    var insert = new byte[r.Next(1, 64)];
                    r.NextBytes(insert);
                    return ([.. body[..at], .. insert, .. body[at..]], $"insertion: {insert.Length} bytes at {at}");
                }
            case 3:
                {
                    var at = r.Next(body.Length);
                    var count = Math.Min(body.Length - at, r.Next(1, 32));
                    return ([.. body[..at], .. body[(at + count)..]], $"deletion: {count} bytes at {at}");
                }
            case 4:
                return CorruptLength(r, body);
            case 5:
                return HugeVarint(r, body);
            case 6:
                {
                    var random = new byte[r.Next(1, 4096)];
                    r.NextBytes(random);
                    return (random, "random bytes");
                }
            default:
                return Hostile(r, n);
        }
    }

    /// <summary>Rewrites the length of a length-delimited field (wire type 2) to a wrong value.</summary>
    private static (byte[], string) CorruptLength(Random r, byte[] body)
    {
        body = (byte[])body.Clone();
        var candidates = Enumerable.Range(0, body.Length - 1).Where(i => (body[i] & 7) == 2 && body[i] >> 3 is > 0 and < 16).ToArray();
        var at = candidates[r.Next(candidates.Length)];
        var old = body[at + 1];
        body[at + 1] = r.Next(3) switch
        {
            0 => (byte)(old + r.Next(1, 5)),
            1 => (byte)Math.Max(0, old - r.Next(1, 5)),
            _ => (byte)r.Next(256),
        };
        return (body, $"length prefix: at {at}, {old} → {body[at + 1]}");
    }

    /// <summary>A varint of 10 bytes or more (past 64 bits), as a length, as a field value or as a tag.</summary>
    private static (byte[], string) HugeVarint(Random r, byte[] body)
    {
        var length = r.Next(10, 16);
        var varint = Enumerable.Repeat((byte)0xFF, length - 1).Append((byte)0x01).ToArray();
        return r.Next(3) switch
        {
            // resource_spans = 1 with a length of 2^64 or more.
            0 => ([.. body, 0x0A, .. varint], $"huge varint: length of {length} bytes"),
            // A wrong-typed varint field (resource_spans as varint) before the valid body.
            1 => ([0x08, .. varint, .. body], $"huge varint: value of {length} bytes"),
            // The tag itself.
            _ => ([.. varint, .. body], $"huge varint: tag of {length} bytes"),
        };
    }

    /// <summary>Valid protobuf whose values are hostile.</summary>
    private static (byte[], string) Hostile(Random r, int n)
    {
        var request = Otlp.AgentTrace(r, spanPath: r.Next(2) == 0 ? "ticket-triage" : null);
        var spans = request.ResourceSpans[0].ScopeSpans[0].Spans;
        var chat = spans.Single(s => s.Name.StartsWith("chat", StringComparison.Ordinal));
        var victim = spans[r.Next(spans.Count)];
        string description;
        switch (r.Next(14))
        {
            case 0:
                victim.TraceId = ByteString.Empty;
                description = "empty trace id";
                break;
            case 1:
                victim.SpanId = Otlp.Id(r, new[] { 0, 3, 7, 9, 15 }[r.Next(5)]);
                description = $"span id of {victim.SpanId.Length} bytes";
                break;
            case 2:
                foreach (var s in spans)
                {
                    s.TraceId = Otlp.Id(r, new[] { 1, 15, 17, 33 }[r.Next(4)]);
                }
                description = "odd-length trace ids";
                break;
            case 3:
                victim.ParentSpanId = Otlp.Id(r, r.Next(1, 12));
                description = "odd parent id";
                break;
            case 4:
                {
                    var megabyte = new string((char)r.Next('a', 'z'), 1024 * 1024);
                    switch (r.Next(4))
                    {
                        case 0: victim.Name = megabyte; break;
                        case 1: chat.Attributes.Add(Otlp.Attr("gen_ai.input.messages", Otlp.Messages("user", megabyte))); break;
                        case 2: victim.Attributes.Add(Otlp.Attr(megabyte, "key of 1 MB")); break;
                        default: victim.Status = new Status { Code = Status.Types.StatusCode.Error, Message = megabyte }; break;
                    }
                    description = "1 MB string";
                    break;
                }
            case 5:
                {
                    // Depth below and above the decoder's recursion limit (100 messages).
                    var depth = new[] { 9, 30, 60, 200, 1000 }[r.Next(5)];
                    var value = new AnyValue { StringValue = "bottom" };
                    for (var d = 0; d < depth; d++)
                    {
                        var list = new KeyValueList();
                        list.Values.Add(new KeyValue { Key = "level" + d, Value = value });
                        value = r.Next(2) == 0 ? new AnyValue { KvlistValue = list } : new AnyValue { ArrayValue = new ArrayValue { Values = { new AnyValue { KvlistValue = list } } } };
                    }
                    victim.Attributes.Add(new KeyValue { Key = "deep", Value = value });
                    description = $"nested AnyValue: depth {depth}";
                    break;
                }
            case 6:
                {
                    var bad = new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.5, 1.5, double.Epsilon, double.MaxValue }[r.Next(7)];
                    var key = new[] { "opsconsole.confidence", "opsconsole.cost_usd" }[r.Next(2)];
                    chat.Attributes.Add(Otlp.Attr(key, bad));
                    description = $"double: {key} = {bad}";
                    break;
                }
            case 7:
                {
                    (ulong start, ulong end) = r.Next(4) switch
                    {
                        0 => (ulong.MaxValue, ulong.MaxValue),
                        1 => (chat.EndTimeUnixNano, chat.StartTimeUnixNano),
                        2 => (0UL, 0UL),
                        _ => ((ulong)long.MaxValue + 1, ulong.MaxValue - 1),
                    };
                    chat.StartTimeUnixNano = start;
                    chat.EndTimeUnixNano = end;
                    description = $"times: {start} → {end}";
                    break;
                }
            case 8:
                {
                    var tokens = new[] { long.MaxValue, long.MinValue, -1L }[r.Next(3)];
                    chat.Attributes.Add(Otlp.Attr("gen_ai.usage.input_tokens", tokens));
                    description = $"tokens: {tokens}";
                    break;
                }
            case 9:
                {
                    var junk = new[] { "[{", "{\"role\":1}", "[{\"role\":\"user\",\"parts\":7}]", "null", "" }[r.Next(5)];
                    chat.Attributes.Add(Otlp.Attr("gen_ai.output.messages", junk));
                    chat.Attributes.Add(Otlp.Attr("gen_ai.retrieval.documents", junk));
                    description = $"messages: {junk}";
                    break;
                }
            case 10:
                {
                    for (var k = 0; k < 2000; k++)
                    {
                        spans.Add(new Span { TraceId = chat.TraceId, SpanId = Otlp.Id(r, 8), Name = "child " + k, ParentSpanId = chat.SpanId });
                    }
                    for (var k = 0; k < 300; k++)
                    {
                        victim.Attributes.Add(Otlp.Attr("many." + k, k));
                    }
                    description = "2,000 spans and 300 attributes";
                    break;
                }
            case 11:
                victim.Attributes.Add(new KeyValue { KeyStrindex = r.Next(), Value = new AnyValue { StringValueStrindex = r.Next(-5, 5) } });
                victim.Attributes.Add(new KeyValue { Key = "bytes", Value = new AnyValue { BytesValue = Otlp.Id(r, 33) } });
                victim.Attributes.Add(new KeyValue { Key = "empty" });
                description = "string table indexes, bytes and empty values";
                break;
            case 12:
                chat.Attributes.Add(Otlp.Attr("opsconsole.path", new[] { "", "no-such-path", "../../etc", new string('p', 300) }[r.Next(4)]));
                description = "odd path";
                break;
            default:
                // Placed as a marker of the same length, then replaced by invalid UTF-8 in the encoded bytes.
                chat.Attributes.Add(Otlp.Attr("opsconsole.unit", "@@UTF8@@"));
                var bytes = request.ToByteArray();
                var marker = Encoding.UTF8.GetBytes("@@UTF8@@");
                var at = bytes.AsSpan().IndexOf(marker);
                byte[] invalid = [0xC3, 0x28, 0xED, 0xA0, 0x80, 0xFF, 0xFE, 0xC0];
                invalid.CopyTo(bytes, at);
                return (bytes, "hostile: invalid utf-8");
        }
        return (request.ToByteArray(), "hostile: " + description);
    }
}
