using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Benchmarks;

/// <summary>
/// Issue 5's dashboard benchmark. One path gets a month of data written straight to a database made
/// by the app's migrations: 1,000,000 events over 30 days, their review items and decisions, and the
/// rollups and failure patterns the app would have written with them (the app's own counting and
/// store code, then its compaction job). In one run it times (a) the dashboard's query set for the
/// 30-day view through the app's DashboardService and FailurePatternService, and (b) the exact same
/// figures computed from the raw rows; prints both, the ratio, and how far the rollup percentiles are
/// from the exact ones. Goals: (a) ≤ 5 % of (b), and (a)'s p95 ≤ 300 ms.
/// </summary>
public sealed class DashboardBenchmark(string work)
{
    public const int Events = 1_000_000;
    public const int Days = 30;
    public const int Points = 60;
    private const int RollupRuns = 30;
    private const int RawRuns = 5;

    private static void Progress(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] dashboard: {message}");

    public async Task RunAsync(CancellationToken ct)
    {
        var file = Path.Combine(work, "dashboard.db");
        var services = new ServiceCollection()
            .AddDbContextFactory<AppDbContext>(o => o.UseSqlite(DatabaseSetup.ResolveSqlite($"Data Source={file}")))
            .AddSingleton(TimeProvider.System)
            .AddSingleton<DashboardService>()
            .AddSingleton<FailurePatternService>()
            .AddSingleton(Microsoft.Extensions.Options.Options.Create(new RollupOptions()))
            .AddSingleton<Microsoft.Extensions.Logging.ILogger<RollupCompaction>>(NullLogger<RollupCompaction>.Instance)
            .AddTransient<RollupCompaction>()
            .BuildServiceProvider();
        await DatabaseSetup.MigrateAsync(services, ct);

        var now = DateTime.UtcNow;
        var to = DashboardWindow.End(now, TimeSpan.FromDays(Days));
        var from = to.AddDays(-Days);
        var pathId = await CreatePathAsync(services, now, ct);

        Progress($"writing {Events:N0} events over {Days} days with review items, decisions, rollups and failure patterns");
        var started = Stopwatch.GetTimestamp();
        var written = Write(file, pathId, from, now);
        Progress($"written in {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s: {written.Events:N0} events, {written.ReviewItems:N0} review items, {written.Decided:N0} decided, {written.MinuteBuckets:N0} minute buckets");
        started = Stopwatch.GetTimestamp();
        var merged = await services.GetRequiredService<RollupCompaction>().RunAsync(ct);
        long rollupRows;
        await using (var db = await services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(ct))
        {
            rollupRows = await db.PathRollups.CountAsync(ct);
        }
        Progress($"compaction merged {merged:N0} minute buckets in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s; {rollupRows:N0} rollup rows remain");

        var query = new DashboardQuery(pathId, from, to, Points) { Breakdown = Breakdown.ModelVersion };
        var dashboard = services.GetRequiredService<DashboardService>();
        var failures = services.GetRequiredService<FailurePatternService>();
        async Task<(DashboardData Data, IReadOnlyList<FailurePattern> Patterns)> FromRollups()
        {
            var data = await dashboard.LoadAsync(query, ct);
            return (data, await failures.ListAsync(pathId, from, to, ct));
        }

        Progress($"timing the 30-day dashboard from rollups ({RollupRuns} runs after 3 warm-ups)");
        for (var i = 0; i < 3; i++)
        {
            await FromRollups();
        }
        var rollupMs = new List<double>();
        (DashboardData Data, IReadOnlyList<FailurePattern> Patterns) rolled = await FromRollups();
        for (var i = 0; i < RollupRuns; i++)
        {
            var t = Stopwatch.GetTimestamp();
            rolled = await FromRollups();
            rollupMs.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }

        Progress($"timing the same figures computed exactly from raw rows ({RawRuns} runs after 1 warm-up)");
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        RawDashboard.Compute(connection, pathId, from, to, Points, ct);
        var rawMs = new List<double>();
        RawDashboard.Result raw = default!;
        for (var i = 0; i < RawRuns; i++)
        {
            var t = Stopwatch.GetTimestamp();
            raw = RawDashboard.Compute(connection, pathId, from, to, Points, ct);
            rawMs.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }

        Check(rolled.Data, rolled.Patterns, raw);
        Report(written, rollupRows, rollupMs, rawMs, rolled.Data, raw);
    }

    private static async Task<int> CreatePathAsync(IServiceProvider services, DateTime now, CancellationToken ct)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(ct);
        var path = new OperatingPath
        {
            Slug = "bench-dashboard",
            Name = "Dashboard benchmark",
            ConfidenceThreshold = 0.7,
            QaSampleRate = 0.05,
            ReviewSlaMinutes = 240,
            Slo = new PathSlo { P95LatencyMs = 3000, CostPerRequestUsd = 0.01, QualityTarget = 0.85, MaxErrorRate = 0.03 },
            ReasonTags = [.. Tags],
            RolloutPercent = 50,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Paths.Add(path);
        await db.SaveChangesAsync(ct);
        return path.Id;
    }

    private static readonly string[] Tags = ["hallucination", "wrong-tone", "missing-citation", "incomplete"];
    private static readonly string[] Errors =
    [
        "upstream 503 from https://llm.internal/v1/chat for request {0}",
        "rate limited: retry after {1} ms (tenant t-{2})",
        "context length {1} exceeds 8192 tokens",
        "tool call failed for ticket #{2}: timeout after {1} ms",
    ];

    public sealed record Written(long Events, long ReviewItems, long Decided, long MinuteBuckets);

    /// <summary>
    /// Generates and writes the month in one transaction, and the rollups and failure patterns with
    /// it through the app's own RollupCounting / RollupStore / FailurePatternStore.
    /// </summary>
    private static Written Write(string file, int pathId, DateTime from, DateTime now)
    {
        var r = new Random(20261123);
        var rollups = new Dictionary<RollupKey, RollupDelta>();
        var patterns = new Dictionary<FailurePatternStore.Key, FailurePatternStore.Delta>();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA synchronous=OFF; PRAGMA cache_size=-200000;";
            pragma.ExecuteNonQuery();
        }
        using var tx = connection.BeginTransaction();
        using var insertEvent = connection.CreateCommand();
        insertEvent.Transaction = tx;
        insertEvent.CommandText =
            "INSERT INTO InferenceEvents (PathId, EventId, OccurredAt, ReceivedAt, ModelVersion, PromptVersion, Unit, Input, Output, Confidence, LatencyMs, " +
            "InputTokens, OutputTokens, CostUsd, Outcome, ErrorCode, ErrorMessage, AttributesJson, RedactedCount, ReviewReason) " +
            "VALUES ($p, $id, $oa, $ra, $mv, 'prompt-7', $u, $in, $out, $c, $l, $it, $ot, $cost, $o, $ec, $em, $attr, 0, $rr) RETURNING Id";
        string[] names = ["$p", "$id", "$oa", "$ra", "$mv", "$u", "$in", "$out", "$c", "$l", "$it", "$ot", "$cost", "$o", "$ec", "$em", "$attr", "$rr"];
        var ep = names.Select(n => insertEvent.Parameters.AddWithValue(n, DBNull.Value)).ToArray();
        insertEvent.Prepare();
        using var insertReview = connection.CreateCommand();
        insertReview.Transaction = tx;
        insertReview.CommandText =
            "INSERT INTO ReviewItems (PathId, EventRowId, Reason, Priority, Status, CreatedAt, DueAt, ReasonTags, DecidedByName, DecidedAt, Round, DecisionCount) " +
            "VALUES ($p, $e, $r, $pr, $s, $ca, $da, $tags, $by, $dat, 0, $dc)";
        string[] reviewNames = ["$p", "$e", "$r", "$pr", "$s", "$ca", "$da", "$tags", "$by", "$dat", "$dc"];
        var rp = reviewNames.Select(n => insertReview.Parameters.AddWithValue(n, DBNull.Value)).ToArray();
        insertReview.Prepare();

        long reviews = 0, decided = 0;
        var span = (now - from).Ticks;
        var input = new string('x', 40) + " Customer writes about an invoice that was charged twice and asks for a refund to the card on file.";
        for (var i = 0; i < Events; i++)
        {
            // Arrival spread evenly over the month with jitter; the model changes 20 days in.
            var at = from.AddTicks((long)((i + r.NextDouble()) / Events * span));
            if (at >= now)
            {
                at = now.AddSeconds(-1);
            }
            var model = at < from.AddDays(20) ? "model-a" : r.Next(10) == 0 ? "model-a" : "model-b";
            var roll = r.NextDouble();
            var outcome = roll < 0.02 ? "error" : roll < 0.03 ? "timeout" : roll < 0.05 ? "fallback" : "ok";
            // Bimodal latency: cache hits around 40 ms, model calls log-normal around 900 ms.
            double? latency = r.Next(5) == 0 ? LogNormal(r, 40, 0.3) : LogNormal(r, model == "model-a" ? 900 : 1100, 0.55);
            double? confidence = outcome == "error" ? null : Math.Round(Math.Clamp(1 - Math.Abs(LogNormal(r, 0.12, 0.8)), 0, 1), 3);
            long inTokens = 300 + r.Next(900), outTokens = outcome == "error" ? 0 : 80 + r.Next(300);
            var cost = Math.Round(inTokens * 0.000002 + outTokens * 0.000008, 6);
            var output = outcome is "error" ? null : "Thanks for reaching out. I can see the duplicate charge and have started a refund; it shows within 5 days.";
            string? errorCode = null, errorMessage = null;
            if (outcome is "error" or "timeout")
            {
                var kind = r.Next(Errors.Length);
                errorCode = outcome == "timeout" ? "timeout" : new[] { "upstream_5xx", "rate_limited", "context_length", "tool_error" }[kind];
                errorMessage = string.Format(Errors[kind], Guid.NewGuid(), r.Next(100, 9000), r.Next(1, 5000));
            }
            // Routing as the app decides it: low confidence, errors/timeouts with an output, then a 5 % QA sample.
            string? reason = confidence < 0.7 ? ReviewReasons.LowConfidence
                : outcome is "error" or "timeout" && output is not null ? ReviewReasons.Error
                : output is not null && r.NextDouble() < 0.05 ? ReviewReasons.QaSample : null;

            object?[] values = [pathId, $"bench-{i:D7}", at, at.AddMilliseconds(300), model, "user-" + r.Next(5000), input, output, confidence, latency,
                inTokens, outTokens, cost, outcome, errorCode, errorMessage, $"{{\"segment\":\"{(r.Next(3) == 0 ? "enterprise" : "smb")}\"}}", reason];
            for (var k = 0; k < values.Length; k++)
            {
                ep[k].Value = values[k] ?? DBNull.Value;
            }
            var rowId = (long)insertEvent.ExecuteScalar()!;
            var key = RollupKey.For(pathId, model, at);
            RollupCounting.AddEvent(RollupCounting.At(rollups, key), outcome, cost, inTokens, outTokens, latency, confidence, reason);
            if (outcome is "error" or "timeout")
            {
                FailurePatternStore.Add(patterns, FailurePatternStore.ErrorKey(pathId, at, outcome, errorCode, errorMessage), at);
            }
            if (reason is null)
            {
                continue;
            }
            reviews++;
            // 80 % of items are decided within four hours of arrival (none after now).
            var decidedAt = at.AddMinutes(5 + r.Next(240));
            var isDecided = r.NextDouble() < 0.8 && decidedAt < now;
            var quality = reason == ReviewReasons.QaSample ? 0.93 : 0.7;
            var d = r.NextDouble();
            var status = !isDecided ? ReviewStatuses.Pending : d < quality ? ReviewStatuses.Approved : d < quality + 0.15 ? ReviewStatuses.Corrected : ReviewStatuses.Rejected;
            var tag = status == ReviewStatuses.Rejected ? Tags[r.Next(Tags.Length)] : null;
            object?[] review = [pathId, rowId, reason, (int)(100 * (1 - (confidence ?? 0))), status, at.AddMilliseconds(300), at.AddHours(4),
                tag is null ? "[]" : $"[\"{tag}\"]", isDecided ? "Bench Reviewer" : null, isDecided ? decidedAt : null, isDecided ? 1 : 0];
            for (var k = 0; k < review.Length; k++)
            {
                rp[k].Value = review[k] ?? DBNull.Value;
            }
            insertReview.ExecuteNonQuery();
            if (isDecided)
            {
                decided++;
                RollupCounting.AddDecision(RollupCounting.At(rollups, RollupKey.For(pathId, model, decidedAt)), status, reason);
                if (tag is not null)
                {
                    FailurePatternStore.Add(patterns, FailurePatternStore.RejectKey(pathId, decidedAt, tag), decidedAt);
                }
            }
        }
        RollupStore.Apply(connection, tx, rollups);
        FailurePatternStore.Apply(connection, tx, patterns);
        tx.Commit();
        return new Written(Events, reviews, decided, rollups.Count);
    }

    private static double LogNormal(Random r, double median, double sigma)
    {
        var u1 = 1 - r.NextDouble();
        var u2 = r.NextDouble();
        return median * Math.Exp(sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>The two ways must agree on every count; a benchmark of wrong figures would mean nothing.</summary>
    private static void Check(DashboardData rolled, IReadOnlyList<FailurePattern> patterns, RawDashboard.Result raw)
    {
        var m = rolled.Current;
        var problems = new List<string>();
        void Same<T>(string name, T a, T b)
        {
            if (!EqualityComparer<T>.Default.Equals(a, b))
            {
                problems.Add($"{name}: rollups {a}, raw {b}");
            }
        }
        Same("volume", m.Volume, raw.Current.Volume);
        Same("routed", m.Routed, raw.Current.Routed);
        Same("decided", m.Decided, raw.Current.Decided);
        Same("approved", m.Quality is { } q ? (long)Math.Round(q * m.Decided) : 0, raw.Current.Approved);
        Same("previous period volume", rolled.Previous.Volume, raw.Previous.Volume);
        Same("errors", m.ErrorRate is { } e ? (long)Math.Round(e * m.Volume) : 0, raw.Current.Errors);
        Same("cost (µ$)", (long)Math.Round(m.CostTotal * 1e6), (long)Math.Round(raw.Current.Cost * 1e6));
        Same("confidence histogram", string.Join(",", m.ConfidenceHistogram), string.Join(",", raw.Current.Confidence));
        Same("series volumes", string.Join(",", rolled.Series.Select(s => s.Metrics.Volume)), string.Join(",", raw.Series.Select(s => s.Volume)));
        Same("breakdown", string.Join(",", rolled.Breakdown.OrderBy(b => b.Key).Select(b => $"{b.Key}={b.Metrics.Volume}")),
            string.Join(",", raw.ByModel.OrderBy(b => b.Key).Select(b => $"{b.Key}={b.Value.Volume}")));
        Same("failure patterns", string.Join(";", patterns.OrderBy(p => p.Kind).ThenBy(p => p.Code).ThenBy(p => p.Message).Select(p => $"{p.Kind}|{p.Code}|{p.Message}={p.Count}")),
            string.Join(";", raw.Patterns.OrderBy(p => p.Key.Kind).ThenBy(p => p.Key.Code).ThenBy(p => p.Key.Message).Select(p => $"{p.Key.Kind}|{p.Key.Code}|{p.Key.Message}={p.Value}")));
        Same("queue", rolled.Queue.Open, raw.QueueOpen);
        if (problems.Count > 0)
        {
            throw new BenchmarkFailedException("rollups and raw data disagree: " + string.Join("; ", problems));
        }
    }

    private static void Report(Written written, long rollupRows, List<double> rollupMs, List<double> rawMs, DashboardData rolled, RawDashboard.Result raw)
    {
        static double Pct(List<double> xs, double q)
        {
            var s = xs.Order().ToList();
            return s[(int)Math.Floor(q * (s.Count - 1))];
        }
        static double RelErr(double? estimate, double? exact) => estimate is { } e && exact is { } x && x > 0 ? Math.Abs(e - x) / x : double.NaN;
        var rollupP50 = Pct(rollupMs, 0.5);
        var rollupP95 = Pct(rollupMs, 0.95);
        var rawMedian = Pct(rawMs, 0.5);
        var ratio = rollupP50 / rawMedian;
        var m = rolled.Current;
        var errors = new[] { (0.50, m.LatencyP50, raw.Current.P50), (0.95, m.LatencyP95, raw.Current.P95), (0.99, m.LatencyP99, raw.Current.P99) };
        // Every interval of the series as well: a chart line is only as good as its worst point.
        var seriesErr = rolled.Series.Zip(raw.Series).Where(p => p.Second.Volume > 0)
            .SelectMany(p => new[] { RelErr(p.First.Metrics.LatencyP50, p.Second.P50), RelErr(p.First.Metrics.LatencyP95, p.Second.P95), RelErr(p.First.Metrics.LatencyP99, p.Second.P99) })
            .Where(double.IsFinite).DefaultIfEmpty(0).Max();

        Console.WriteLine();
        Console.WriteLine("== Dashboard benchmark (issue 5) ==");
        Console.WriteLine($"data: {written.Events:N0} events over {Days} days on one path, {written.ReviewItems:N0} review items ({written.Decided:N0} decided), " +
            $"{written.MinuteBuckets:N0} minute buckets compacted to {rollupRows:N0} rollup rows (minute buckets for the last 3 h, hour buckets before)");
        Console.WriteLine($"query set: the 30-day path dashboard — figures of the period and the previous one, {Points}-point series of both, breakdown by model version, model versions, segments, queue, open incidents, failure patterns");
        Console.WriteLine($"(a) from rollups:   p50 {rollupP50:N1} ms, p95 {rollupP95:N1} ms, max {rollupMs.Max():N1} ms ({RollupRuns} runs)");
        Console.WriteLine($"(b) from raw rows:  median {rawMedian:N0} ms, min {rawMs.Min():N0} ms, max {rawMs.Max():N0} ms ({RawRuns} runs; exact percentiles by sorting)");
        Console.WriteLine($"ratio (a) p50 / (b) median: {ratio:P2}   goal ≤ 5 %: {(ratio <= 0.05 ? "met" : "NOT met")}");
        Console.WriteLine($"(a) p95 {rollupP95:N1} ms   goal ≤ 300 ms: {(rollupP95 <= 300 ? "met" : "NOT met")}");
        foreach (var (q, estimate, exact) in errors)
        {
            Console.WriteLine($"latency p{q * 100:0}: rollups {estimate:N1} ms, exact {exact:N1} ms, relative error {RelErr(estimate, exact):P3}");
        }
        Console.WriteLine($"latency percentiles of every series interval: largest relative error {seriesErr:P3} (sketch bound 1 %)");
        Console.WriteLine("every count (volume, routed, decided, approved, errors, cost, confidence histogram, series volumes, model breakdown, failure patterns, queue) identical in (a) and (b)");
    }
}
