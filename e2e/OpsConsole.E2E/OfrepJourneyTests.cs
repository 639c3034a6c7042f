using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace OpsConsole.E2E;

/// <summary>
/// An AI service in Node.js with the OpenFeature server SDK and the generic OFREP provider
/// (ofrep-client.mjs) against the running console: the same answers as the decision API for 1,000
/// units, and a kill switch flipped in the browser seen by its next evaluation.
/// </summary>
public sealed class OfrepJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    private const string Full = "invoice-field-extraction"; // 100 %: every unit on, the candidate for ~1 %
    private static readonly string[] Flags = [Full, "support-reply-draft", "ticket-triage"];
    private static readonly string Script = Path.Combine(AppFixture.RepoRoot, "e2e", "OpsConsole.E2E", "ofrep-client.mjs");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Api()
    {
        var http = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", EventsApi.DemoKey);
        return http;
    }

    private async Task<string> CreateReleaseAsync(HttpClient api, string prompt)
    {
        using var response = await api.PostAsync($"/api/v1/paths/{Full}/releases", new StringContent(
            $$$"""{"model": "gpt-4o-mini-2024-07-18", "promptVersion": "{{{prompt}}}", "parameters": {"temperature": 0}}""", Encoding.UTF8, "application/json"), Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
    }

    /// <summary>Node with the script; the key in the environment, not on the command line.</summary>
    private Process StartNode(string unitsFile, params string[] more)
    {
        var psi = new ProcessStartInfo("node", [Script, "--base-url", app.BaseUrl, "--flags", string.Join(',', Flags), "--units-file", unitsFile, .. more])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["OPSCONSOLE_API_KEY"] = EventsApi.DemoKey;
        return Process.Start(psi)!;
    }

    private sealed record Answer(string Flag, string Unit, bool Value, string? Variant, string? Reason, string? ErrorCode, string? Release, long? ConfigVersion, string? DecisionReason);

    private static Answer Read(JsonElement e)
    {
        var m = e.GetProperty("flagMetadata");
        string? Text(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return new Answer(e.GetProperty("flag").GetString()!, e.GetProperty("unit").GetString()!, e.GetProperty("value").GetBoolean(),
            Text(e, "variant"), Text(e, "reason"), Text(e, "errorCode"), Text(m, "release"),
            m.TryGetProperty("configVersion", out var cv) ? cv.GetInt64() : null, Text(m, "decisionReason"));
    }

    [Fact]
    public async Task NodeOpenFeatureClient_1000UnitsAnswerAsTheDecisionApi_KillSwitchSeenByTheNextEvaluation()
    {
        using var api = Api();
        // A stable and a candidate on the path at 100 %; the owner starts the candidate on the path page (1 %).
        var stable = await CreateReleaseAsync(api, "extract-v3");
        var candidate = await CreateReleaseAsync(api, "extract-v4");
        var owner = await app.NewPageAsync();
        await owner.SignedInAsync("owner@opsconsole.local", $"/paths/{Full}");
        var candidateRow = owner.Locator($"tr[data-release='{candidate}']");
        await candidateRow.Locator("[data-testid=start-candidate]").ClickAsync();
        await owner.ClickAsync("[data-testid=confirm-release-action]");
        await Assertions.Expect(candidateRow).ToContainTextAsync("candidate 1 %");
        await owner.Context.CloseAsync();

        var unitsFile = Path.Combine(Path.GetTempPath(), $"ofrep-units-{Guid.NewGuid():N}.txt");
        var units = Enumerable.Range(0, 1000).Select(i => "customer-" + i).ToList();
        await File.WriteAllLinesAsync(unitsFile, units, Ct);
        try
        {
            using (var node = StartNode(unitsFile))
            {
                var stdout = node.StandardOutput.ReadToEndAsync(Ct);
                var stderr = node.StandardError.ReadToEndAsync(Ct);
                await node.WaitForExitAsync(Ct);
                Assert.True(node.ExitCode == 0, $"node exited with {node.ExitCode}:\n{await stderr}");
                var answers = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => Read(JsonDocument.Parse(l).RootElement)).ToList();
                Assert.Equal(Flags.Length * units.Count, answers.Count);
                foreach (var a in answers)
                {
                    var d = await api.GetFromJsonAsync<JsonElement>($"/api/v1/paths/{a.Flag}/decision?unit={Uri.EscapeDataString(a.Unit)}", Ct);
                    var release = d.TryGetProperty("release", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
                    Assert.Null(a.ErrorCode);
                    Assert.Equal((d.GetProperty("enabled").GetBoolean(), d.GetProperty("variant").GetString(), release, d.GetProperty("configVersion").GetInt64(), d.GetProperty("reason").GetString()),
                        (a.Value, a.Variant, a.Release, a.ConfigVersion!.Value, a.DecisionReason));
                }
                var onFull = answers.Where(a => a.Flag == Full).ToList();
                var candidates = onFull.Count(a => a.Variant == "candidate");
                Assert.InRange(candidates, 1, 40); // 1 % of 1,000 is ~10
                Assert.All(onFull.Where(a => a.Variant == "candidate"), a => Assert.Equal((true, candidate, "SPLIT"), (a.Value, a.Release, a.Reason)));
                Assert.Equal(1000 - candidates, onFull.Count(a => a.Variant == "stable" && a.Release == stable));
                Assert.Contains(answers, a => a.Variant == "off" && !a.Value && a.Reason == "SPLIT");
            }

            // A watching service: the first 10 units every 250 ms. The server provider asks the console on
            // every evaluation, so its polling interval is the caller's: the next round after the switch is off.
            const int IntervalMs = 250;
            await File.WriteAllLinesAsync(unitsFile, units.Take(10), Ct);
            using var watcher = StartNode(unitsFile, "--watch-ms", IntervalMs.ToString(), "--max-seconds", "120");
            var rounds = Channel.CreateUnbounded<(long At, List<Answer> Answers)>();
            watcher.OutputDataReceived += (_, e) =>
            {
                if (!string.IsNullOrEmpty(e.Data))
                {
                    var line = JsonDocument.Parse(e.Data).RootElement;
                    rounds.Writer.TryWrite((line.GetProperty("at").GetInt64(), line.GetProperty("answers").EnumerateArray().Select(Read).Where(a => a.Flag == Full).ToList()));
                }
            };
            var watcherErrors = new StringBuilder();
            watcher.ErrorDataReceived += (_, e) => watcherErrors.AppendLine(e.Data);
            watcher.BeginOutputReadLine();
            watcher.BeginErrorReadLine();
            try
            {
                var seen = new List<(long At, List<Answer> Answers)>();
                async Task<(long At, List<Answer> Answers)> NextAsync()
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
                    timeout.CancelAfter(TimeSpan.FromSeconds(30));
                    try
                    {
                        var round = await rounds.Reader.ReadAsync(timeout.Token);
                        seen.Add(round);
                        return round;
                    }
                    catch (OperationCanceledException)
                    {
                        throw new TimeoutException($"no round from the watching client within 30 s:\n{watcherErrors}");
                    }
                }
                Assert.All((await NextAsync()).Answers, a => Assert.True(a.Value));

                var oncall = await app.NewPageAsync();
                await oncall.SignedInAsync("oncall@opsconsole.local", $"/paths/{Full}");
                await oncall.ClickAsync("[data-testid=kill-panel] [data-testid=kill-switch]");
                await oncall.Locator("[data-testid=kill-confirm-text]").WaitForAsync();
                await oncall.TypeKillReasonAsync("OFREP e2e: totals wrong");
                var clickedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                await oncall.ClickAsync("[data-testid=confirm-kill]");
                await oncall.Locator("[data-testid=kill-state]", new() { HasTextString = "Killed" }).WaitForAsync();
                var killedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                await oncall.Context.CloseAsync();

                while ((await NextAsync()).At < killedAt)
                {
                }
                // Everything asked before the click was on; the first round begun after the switch was
                // shown is off for every unit, and came within one interval (plus scheduling on a busy machine).
                Assert.All(seen.Where(r => r.At + 1000 < clickedAt).SelectMany(r => r.Answers), a => Assert.True(a.Value));
                var first = seen.First(r => r.At >= killedAt);
                Assert.All(first.Answers, a => Assert.Equal((false, "off", "DISABLED", "kill_switch", (string?)null), (a.Value, a.Variant, a.Reason, a.DecisionReason, a.Release)));
                Assert.InRange(first.At - killedAt, 0, IntervalMs + 500);
                // And it stays off.
                Assert.All((await NextAsync()).Answers, a => Assert.False(a.Value));
            }
            finally
            {
                if (!watcher.HasExited)
                {
                    watcher.Kill();
                    await watcher.WaitForExitAsync(Ct);
                }
            }
        }
        finally
        {
            File.Delete(unitsFile);
        }
    }
}
