using System.Text.Json.Nodes;

namespace OpsConsole.Web.Features.Demo;

/// <summary>
/// Realistic inference events for the three demo paths: confidence, latency (log-normal with a
/// tail), tokens and cost per path; occasional error bursts; and <c>ticket-triage</c> switching
/// model version after a while, with lower and wider confidence and more fallbacks afterwards
/// (the drift the scheduled checks should catch).
/// </summary>
/// <param name="decide">
/// The decision for a path and unit, as an AI service asks it before calling its model; null: every
/// unit gets the path's stable behaviour. With it, a path's events come from units it is on for, and a
/// unit in the candidate arm runs the candidate release (support-reply-draft's new prompt is less sure
/// of itself, so more of its drafts go to review).
/// </param>
public sealed class DemoTrafficGenerator(Random random, TimeProvider time, DateTime startedAt, TimeSpan driftAfter, bool errorBursts = true,
    Func<string, string, OpsConsole.Client.Decision?>? decide = null)
{
    private long _sequence;
    private DateTime _burstUntil = DateTime.MinValue;
    private string? _burstPath;

    public const string TriageBefore = "triage-v1";
    public const string TriageAfter = "triage-v2";

    private static readonly string[] Paths = ["support-reply-draft", "invoice-field-extraction", "ticket-triage"];
    private static readonly double[] PathWeights = [0.4, 0.35, 0.25];

    private static readonly string[] Questions =
    [
        "How do I get a refund for a duplicate charge on my last invoice?",
        "The export to CSV button does nothing since this morning.",
        "Can I move my workspace to the EU data centre?",
        "I was charged after cancelling my trial, please help.",
        "How do I add a second admin to our account?",
        "Our SSO login loops back to the sign-in page.",
        "Where can I download last year's invoices?",
    ];

    private static readonly (string Title, string Url)[] Articles =
    [
        ("Refunds and duplicate charges", "https://help.example.com/articles/refunds"),
        ("Exporting your data", "https://help.example.com/articles/export"),
        ("Data residency", "https://help.example.com/articles/data-residency"),
        ("Cancelling a trial", "https://help.example.com/articles/trial-cancel"),
        ("Managing admins", "https://help.example.com/articles/admins"),
        ("Troubleshooting SSO", "https://help.example.com/articles/sso"),
    ];

    private static readonly string[] Suppliers = ["Acme Office Supply", "Nordic Freight AB", "Blue Ridge Catering", "Kowalski IT Services", "Sunrise Printing"];
    private static readonly string[] Queues = ["billing", "technical", "account", "sales", "abuse"];
    private static readonly string[] Segments = ["smb", "mid-market", "enterprise"];

    public bool IsDrifted => time.GetUtcNow().UtcDateTime - startedAt >= driftAfter;

    /// <summary>The next <paramref name="count"/> events, ready to post as one batch.</summary>
    public JsonObject Batch(int count)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (errorBursts && now > _burstUntil && random.NextDouble() < 0.004)
        {
            // Roughly every few minutes at the default rate: one path degrades for half a minute.
            _burstPath = Paths[random.Next(Paths.Length)];
            _burstUntil = now.AddSeconds(30);
        }
        var events = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            events.Add(Next(now));
        }
        return new JsonObject { ["events"] = events };
    }

    public JsonObject Next(DateTime now)
    {
        var path = Pick(Paths, PathWeights);
        var unit = Unit();
        OpsConsole.Client.Decision? decision = null;
        // A service calls its model only for units the path is on for: look for one (a path at 0 % sends nothing new).
        for (var tries = 0; decide is not null && tries < 50; tries++)
        {
            decision = decide(path, unit);
            if (decision is not { Enabled: false })
            {
                break;
            }
            unit = Unit();
        }
        var candidate = decision is { Variant: OpsConsole.Client.Variants.Candidate };
        var e = Event(path, now, drifted: IsDrifted, inBurst: path == _burstPath && now <= _burstUntil, unit, candidate);
        if (decision?.Release is { } release)
        {
            e["release"] = release;
        }
        e["eventId"] = $"demo-{path[..3]}-{now:yyyyMMddHHmmss}-{Interlocked.Increment(ref _sequence)}-{random.Next(1_000_000):D6}";
        e["occurredAt"] = Timestamp(now.AddMilliseconds(-random.Next(2000)));
        return e;
    }

    /// <summary>
    /// Past traffic for a fresh demo: one event per path every <paramref name="every"/> over
    /// <paramref name="span"/> up to <paramref name="until"/>, all before the model change and
    /// without error bursts, so the drift check has a reference week and the dashboards a history.
    /// Ids are fixed by path and time: posting the same history twice stores it once.
    /// </summary>
    public IEnumerable<JsonObject> History(DateTime until, TimeSpan span, TimeSpan every)
    {
        var end = new DateTime(until.Ticks - until.Ticks % every.Ticks, DateTimeKind.Utc);
        for (var at = end - span; at < end; at += every)
        {
            foreach (var path in Paths)
            {
                var e = Event(path, at, drifted: false, inBurst: false, Unit(), candidate: false);
                e["eventId"] = $"demo-history-{path}-{at:yyyyMMddHHmm}";
                // Spread within the step so minute buckets are not all on one boundary.
                e["occurredAt"] = Timestamp(at.AddSeconds(random.Next((int)every.TotalSeconds)));
                yield return e;
            }
        }
    }

    private string Unit() => "user-" + random.Next(1, 500);

    private JsonObject Event(string path, DateTime now, bool drifted, bool inBurst, string unit, bool candidate)
    {
        var e = path switch
        {
            "support-reply-draft" => SupportReply(candidate, now),
            "invoice-field-extraction" => Invoice(),
            _ => Triage(drifted),
        };
        // Each path's usual failures stay well inside its error-rate SLO (invoice extraction's is 1 %);
        // bursts are what the console should notice.
        var errorRate = inBurst ? 0.35 : path == "invoice-field-extraction" ? 0.003 : 0.006;
        if (random.NextDouble() < errorRate)
        {
            var timeout = random.NextDouble() < 0.4;
            e["outcome"] = timeout ? "timeout" : "error";
            e["errorCode"] = timeout ? "upstream_timeout" : random.NextDouble() < 0.5 ? "rate_limited" : "invalid_json";
            e["errorMessage"] = timeout
                ? $"model call timed out after {30 + random.Next(30)} s"
                : $"provider returned 429 for request {Guid.NewGuid():N}";
            e["latencyMs"] = Math.Round(timeout ? 30_000 + random.Next(5000) : LogNormal(300, 0.4), 1);
            if (random.NextDouble() < 0.5)
            {
                e.Remove("output");
            }
        }
        e["path"] = path;
        e["unit"] = unit;
        e["traceId"] = Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64()));
        e["attributes"] = new JsonObject { ["segment"] = Pick(Segments, [0.6, 0.3, 0.1]), ["tenant"] = "t-" + random.Next(1, 40) };
        return e;
    }

    private static string Timestamp(DateTime at) => at.ToString("yyyy-MM-ddTHH:mm:ss.fffZ");

    private JsonObject SupportReply(bool candidate, DateTime now)
    {
        var q = Questions[random.Next(Questions.Length)];
        var article = Articles[random.Next(Articles.Length)];
        var inTokens = 900 + random.Next(1200);
        var outTokens = 120 + random.Next(300);
        // Some customers paste their e-mail address: redaction masks it before storage.
        var input = random.NextDouble() < 0.15 ? $"{q} You can reach me at customer{random.Next(999)}@example.org." : q;
        return new JsonObject
        {
            ["modelVersion"] = DemoSeeder.Model,
            ["promptVersion"] = candidate ? DemoSeeder.CandidatePrompt : DemoSeeder.StablePrompt,
            ["input"] = input,
            ["output"] = $"Hi, thanks for reaching out. {Sentence(article.Title)} You can find the steps in our article \"{article.Title}\". Let us know if anything is unclear.",
            // The candidate prompt (demo canary) is less sure of itself: most of its drafts go to review.
            ["confidence"] = Round(Clamp(candidate ? Normal(0.55, 0.12) : Normal(0.82, 0.11))),
            ["latencyMs"] = Math.Round(LogNormal(candidate ? 1400 : 1600, 0.45), 1),
            ["inputTokens"] = inTokens,
            ["outputTokens"] = outTokens,
            ["costUsd"] = Math.Round(inTokens * 0.0000004 + outTokens * 0.0000016, 6),
            ["outcome"] = "ok",
            ["sources"] = new JsonArray(
                new JsonObject
                {
                    ["title"] = article.Title,
                    ["url"] = article.Url,
                    ["snippet"] = Sentence(article.Title),
                    ["system"] = "Help centre",
                    ["retrievedAt"] = Timestamp(now.AddSeconds(-2)),
                    ["sourceUpdatedAt"] = Timestamp(now - ArticleAge()),
                },
                new JsonObject
                {
                    ["title"] = $"Ticket #{random.Next(10_000, 99_999)}",
                    ["snippet"] = "The customer's ticket as the draft read it.",
                    ["system"] = "Ticket",
                    ["retrievedAt"] = Timestamp(now.AddSeconds(-2)),
                    ["sourceUpdatedAt"] = Timestamp(now - TicketAge()),
                }),
        };
    }

    // The demo registry's SLOs are a day for the help centre and 5 minutes for the ticket (DemoSeeder): a few
    // citations of each are older, so the dashboard's context freshness and the review view's stale marker show something.
    private TimeSpan ArticleAge() => random.NextDouble() < 0.06 ? TimeSpan.FromHours(30 + random.Next(90)) : TimeSpan.FromMinutes(30 + random.Next(20 * 60));

    private TimeSpan TicketAge() => random.NextDouble() < 0.04 ? TimeSpan.FromMinutes(6 + random.Next(40)) : TimeSpan.FromSeconds(10 + random.Next(240));

    private JsonObject Invoice()
    {
        var supplier = Suppliers[random.Next(Suppliers.Length)];
        var total = Math.Round(50 + random.NextDouble() * 4000, 2);
        var inTokens = 1500 + random.Next(2500);
        var outTokens = 80 + random.Next(60);
        return new JsonObject
        {
            ["modelVersion"] = "extractor-v3.2",
            ["promptVersion"] = "fields-v5",
            ["input"] = $"Invoice INV-{random.Next(10000, 99999)} from {supplier}. Net {total / 1.2:0.00} EUR, VAT 20 %, total {total:0.00} EUR, due in 30 days.",
            ["output"] = $"{{\"supplier\":\"{supplier}\",\"total\":{total:0.00},\"currency\":\"EUR\",\"vatRate\":0.2,\"dueDays\":30}}",
            ["confidence"] = Round(Clamp(1 - Math.Abs(Normal(0, 0.09)))),
            ["latencyMs"] = Math.Round(LogNormal(850, 0.35), 1),
            ["inputTokens"] = inTokens,
            ["outputTokens"] = outTokens,
            ["costUsd"] = Math.Round(inTokens * 0.00000015 + outTokens * 0.0000006, 6),
            ["outcome"] = "ok",
        };
    }

    private JsonObject Triage(bool drifted)
    {
        var queue = Queues[random.Next(Queues.Length)];
        var inTokens = 300 + random.Next(500);
        return new JsonObject
        {
            ["modelVersion"] = drifted ? TriageAfter : TriageBefore,
            ["promptVersion"] = "triage-v4",
            ["input"] = Questions[random.Next(Questions.Length)],
            ["output"] = $"{{\"queue\":\"{queue}\",\"priority\":\"{(random.NextDouble() < 0.2 ? "high" : "normal")}\"}}",
            // After the switch the new model is less sure of itself and falls back to rules more often.
            ["confidence"] = Round(Clamp(drifted ? Normal(0.62, 0.17) : Normal(0.80, 0.09))),
            ["latencyMs"] = Math.Round(LogNormal(drifted ? 520 : 350, 0.4), 1),
            ["inputTokens"] = inTokens,
            ["outputTokens"] = 12 + random.Next(10),
            ["costUsd"] = Math.Round(inTokens * 0.0000001, 6),
            ["outcome"] = random.NextDouble() < (drifted ? 0.06 : 0.01) ? "fallback" : "ok",
        };
    }

    private static string Sentence(string title) => $"Here is what our guide on {title.ToLowerInvariant()} recommends for your case.";

    private T Pick<T>(T[] items, double[] weights)
    {
        var r = random.NextDouble() * weights.Sum();
        for (var i = 0; i < items.Length; i++)
        {
            r -= weights[i];
            if (r <= 0)
            {
                return items[i];
            }
        }
        return items[^1];
    }

    private double Normal(double mean, double sd)
    {
        // Box–Muller.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return mean + sd * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Log-normal around <paramref name="median"/>, plus a rare slow tail (1 %: 3–8× slower).</summary>
    private double LogNormal(double median, double sigma)
    {
        var v = median * Math.Exp(Normal(0, sigma));
        return random.NextDouble() < 0.01 ? v * (3 + random.NextDouble() * 5) : v;
    }

    private static double Clamp(double v) => Math.Clamp(v, 0.01, 0.999);

    private static double Round(double v) => Math.Round(v, 3);
}
