using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace OpsConsole.E2E;

/// <summary>
/// Traces in Chromium: an instrumented agent exports one trace over OTLP/JSON; the on-call person
/// finds its output, opens the trace tab, walks the tree with the keyboard to the failed tool call,
/// and a reviewer sees the retrieval documents behind the output in the review view.
/// </summary>
public sealed class TraceJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    private const string Slug = "support-reply-draft";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Attr(string key, string value) => $$$"""{"key":"{{{key}}}","value":{"stringValue":{{{JsonSerializer.Serialize(value)}}}}}""";
    private static string Num(string key, double value) => $$$"""{"key":"{{{key}}}","value":{"doubleValue":{{{value.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}}}""";

    private static string SpanJson(string trace, string id, string? parent, string name, long start, long ms, string attributes, string extra = "") =>
        $$$"""{"traceId":"{{{trace}}}","spanId":"{{{id}}}","parentSpanId":"{{{parent ?? ""}}}","name":"{{{name}}}","kind":1,"startTimeUnixNano":"{{{start}}}","endTimeUnixNano":"{{{start + ms * 1_000_000}}}","attributes":[{{{attributes}}}]{{{extra}}}}""";

    [Fact]
    public async Task AgentTraceOverOtlp_TraceTabShowsTheTree_KeysReachTheFailedToolCall_ReviewerSeesTheDocuments()
    {
        var trace = Guid.NewGuid().ToString("N");
        var start = (DateTime.UtcNow.AddSeconds(-30) - DateTime.UnixEpoch).Ticks * 100;
        const string agent = "a000000000000001", retrieval = "a000000000000002", chat = "a000000000000003", tool = "a000000000000004";
        var spans = string.Join(",",
            SpanJson(trace, agent, null, "invoke_agent support", start, 1400, Attr("gen_ai.operation.name", "invoke_agent")),
            SpanJson(trace, retrieval, agent, "retrieval kb", start + 20_000_000, 90, string.Join(",",
                Attr("gen_ai.operation.name", "retrieval"), Attr("gen_ai.retrieval.query.text", "refund window for damaged items"),
                Attr("gen_ai.retrieval.documents", """[{"id":"kb-12","score":0.91,"title":"Refund policy","url":"https://kb.example/refunds","content":"Damaged items can be refunded within 30 days of delivery."}]"""))),
            SpanJson(trace, chat, agent, "chat gpt-4o", start + 130_000_000, 900, string.Join(",",
                Attr("gen_ai.operation.name", "chat"), Attr("opsconsole.path", Slug), Attr("gen_ai.request.model", "gpt-4o"),
                Num("opsconsole.confidence", 0.12), Attr("opsconsole.unit", "customer-7"),
                Attr("gen_ai.input.messages", """[{"role":"user","parts":[{"type":"text","content":"My kettle arrived broken, can I get my money back?"}]}]"""),
                Attr("gen_ai.output.messages", """[{"role":"assistant","parts":[{"type":"text","content":"Yes: damaged items are refunded within 30 days."}]}]"""))),
            SpanJson(trace, tool, chat, "execute_tool lookup_order", start + 400_000_000, 120, string.Join(",",
                Attr("gen_ai.operation.name", "execute_tool"), Attr("gen_ai.tool.name", "lookup_order"),
                Attr("gen_ai.tool.call.arguments", """{"order":"A-1009"}"""), Attr("error.type", "OrderServiceUnavailable")),
                ""","status":{"code":2,"message":"order service returned 503"},"events":[{"name":"exception","timeUnixNano":"1","attributes":[{"key":"exception.type","value":{"stringValue":"HttpRequestException"}},{"key":"exception.message","value":{"stringValue":"503 Service Unavailable"}}]}]"""));
        var body = $$$"""{"resourceSpans":[{"resource":{"attributes":[{{{Attr("service.name", "support-agent")}}}]},"scopeSpans":[{"scope":{"name":"agent"},"spans":[{{{spans}}}]}]}]}""";
        using (var http = new HttpClient { BaseAddress = new Uri(app.BaseUrl) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/traces") { Content = new StringContent(body, Encoding.UTF8) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", EventsApi.DemoKey);
            using var response = await http.SendAsync(request, Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.IsSuccessStatusCode, text);
            Assert.DoesNotContain("rejected", text, StringComparison.OrdinalIgnoreCase);
        }

        // On call: the event id is trace-span; search finds it, its page opens on the trace tab.
        var page = await app.NewPageAsync();
        await page.SignedInAsync("oncall@opsconsole.local", $"/search?q={trace}-{chat}");
        var hit = page.Locator($"a[href*='/paths/{Slug}/events/']").First;
        await hit.WaitForAsync();
        var href = await hit.GetAttributeAsync("href");
        await page.GotoAsync(app.BaseUrl + href + "?tab=trace");
        var tree = page.Locator("[data-testid=trace-tree]");
        await tree.WaitForAsync();
        await Assertions.Expect(page.Locator("[data-testid=trace-row]")).ToHaveCountAsync(4);
        // The event's own span is selected, with its GenAI summary.
        await Assertions.Expect(page.Locator($"[data-testid=trace-row][data-span-id='{chat}']")).ToHaveAttributeAsync("aria-selected", "true");
        await Assertions.Expect(page.Locator("[data-testid=span-genai]")).ToContainTextAsync("gpt-4o");
        await page.WaitForInteractiveAsync();
        await tree.FocusAsync();
        // n: the next error, the failed tool call, with its arguments and exception.
        await page.Keyboard.PressAsync("n");
        await Assertions.Expect(page.Locator($"[data-testid=trace-row][data-span-id='{tool}']")).ToHaveAttributeAsync("aria-selected", "true");
        await Assertions.Expect(page.Locator("[data-testid=tool-arguments]")).ToContainTextAsync("A-1009");
        await Assertions.Expect(page.Locator("[data-testid=span-exception]")).ToContainTextAsync("503 Service Unavailable");
        await page.ScreenshotAsync("trace-tab-1280");
        // Home, then down: the retrieval span and its documents.
        // Keys go where the focus is: still the tree after the screenshot. Each key's effect is seen before the next.
        await Assertions.Expect(tree).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Home");
        await Assertions.Expect(page.Locator($"[data-testid=trace-row][data-span-id='{agent}']")).ToHaveAttributeAsync("aria-selected", "true");
        await page.Keyboard.PressAsync("ArrowDown");
        await Assertions.Expect(page.Locator($"[data-testid=trace-row][data-span-id='{retrieval}']")).ToHaveAttributeAsync("aria-selected", "true");
        await Assertions.Expect(page.Locator("[data-testid=retrieval-document]")).ToContainTextAsync("Refund policy");

        // The same page on a phone: no sideways scroll.
        var phone = await app.NewPageAsync(390, 844);
        await phone.SignedInAsync("oncall@opsconsole.local", href + "?tab=trace");
        await phone.Locator("[data-testid=trace-tree]").WaitForAsync();
        await phone.ScreenshotAsync("trace-tab-390");
        // On a phone the page is taller than the window: the tree's keys move the selection, not the page
        // (End, had the browser handled it too, would scroll to the bottom).
        await phone.WaitForInteractiveAsync();
        var phoneTree = phone.Locator("[data-testid=trace-tree]");
        await phoneTree.FocusAsync();
        Assert.True(await phone.EvaluateAsync<bool>("() => document.scrollingElement.scrollHeight > window.innerHeight + 100"), "the trace tab fits a phone's window; the scroll check would prove nothing");
        var scrolledBefore = await phone.EvaluateAsync<double>("() => window.scrollY");
        await phone.Keyboard.PressAsync("End");
        await Assertions.Expect(phone.Locator($"[data-testid=trace-row][data-span-id='{tool}']")).ToHaveAttributeAsync("aria-selected", "true");
        await phone.Keyboard.PressAsync("ArrowUp");
        await Assertions.Expect(phone.Locator($"[data-testid=trace-row][data-span-id='{chat}']")).ToHaveAttributeAsync("aria-selected", "true");
        Assert.Equal(scrolledBefore, await phone.EvaluateAsync<double>("() => window.scrollY"));
        var wide = await phone.EvaluateAsync<string>("""
            () => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(' | ')
            """);
        Assert.True(await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "the trace tab scrolls sideways on a phone: " + wide);

        // A reviewer: the low-confidence output is in the queue; its review view has the trace with the documents.
        var reviewer = await app.NewPageAsync();
        await reviewer.SignedInAsync("reviewer@opsconsole.local", $"/review?path={Slug}");
        var row = reviewer.Locator("[data-testid=queue-row]", new() { HasTextString = $"{trace}-{chat}" });
        await row.WaitForAsync();
        await reviewer.GotoAsync($"{app.BaseUrl}/review/{await row.GetAttributeAsync("data-item")}");
        await reviewer.Locator("[data-testid=review-tabs]").WaitForAsync();
        await reviewer.WaitForInteractiveAsync();
        await reviewer.GetByRole(AriaRole.Tab, new() { NameRegex = new System.Text.RegularExpressions.Regex("Trace") }).ClickAsync();
        await reviewer.Locator($"[data-testid=trace-row][data-span-id='{retrieval}']").ClickAsync();
        await Assertions.Expect(reviewer.Locator("[data-testid=retrieval-document]")).ToContainTextAsync("Damaged items can be refunded");
        await reviewer.ScreenshotAsync("trace-review-tab");
    }
}
