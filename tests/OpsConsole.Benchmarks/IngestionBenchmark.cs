using System.Runtime.InteropServices;
using System.Text.Json;

namespace OpsConsole.Benchmarks;

internal sealed class IngestionBenchmark(BenchOptions options, string work)
{
    private const string WarmupPath = "ticket-triage";
    private const int WarmupEvents = 2_000;

    private readonly List<(string Label, AppProcess App)> _finished = [];
    private const int RowSamples = 200;

    private CpuUsage? _baselineCpu;
    private IReadOnlyList<string> _rowDifferences = [];

    public async Task RunAsync(CancellationToken ct)
    {
        var n = options.Events;
        var batch = BenchOptions.BatchSize;

        Progress("copying the web app's build output");
        var build = AppBuild.Locate(Path.Combine(work, "app"), options.AppConfiguration);

        Progress($"generating {Math.Max(n, options.WatcherEvents):N0} events and their request bodies");
        var events = EventGenerator.Generate(Math.Max(n, options.WatcherEvents), seed: 42);
        var mainEvents = events[..n];
        var bodies = EventGenerator.Bodies(mainEvents, batch);
        var watcherBodies = EventGenerator.Bodies(events[..options.WatcherEvents], batch);
        var warmupBodies = EventGenerator.Bodies(EventGenerator.Generate(WarmupEvents, seed: 7, prefix: "warmup"), batch, WarmupPath);
        var avgInput = mainEvents.Average(e => e.Input.Length);
        var avgOutput = mainEvents.Average(e => e.Output.Length);
        var avgBody = bodies.Average(b => (double)b.Length);

        // (a) The app creates the schema (migrations) in the baseline file; then the raw inserts.
        var baselineDb = Path.Combine(work, "baseline", "baseline.db");
        Progress("starting the app once to create the schema in the baseline database");
        using (await StartAppAsync(build, baselineDb, "schema", ct))
        {
        }
        SqliteBaseline.CheckSchema(baselineDb, build);
        Progress($"baseline: inserting {n:N0} events with one prepared INSERT, {batch} rows per transaction");
        var baselineCpu = CpuMeter.Start(null);
        var baselineTime = SqliteBaseline.Insert(baselineDb, mainEvents, batch, ct);
        _baselineCpu = baselineCpu.Stop();
        var baselineRate = n / baselineTime.TotalSeconds;

        // (b) End to end over HTTP.
        var httpDb = Path.Combine(work, "http", "events.db");
        var (ours, oursStored) = await HttpPhaseAsync(build, httpDb, "http", bodies, n, warmupBodies, ct);
        var sample = Enumerable.Range(0, RowSamples).Select(i => mainEvents[(int)((long)i * n / RowSamples)].EventId);
        _rowDifferences = SqliteBaseline.CompareRows(baselineDb, httpDb, sample);

        // (c) The same with the database outside and inside the content root.
        HttpResult? outside = null, inside = null;
        if (!options.SkipWatcher)
        {
            var w = options.WatcherEvents;
            (outside, _) = await HttpPhaseAsync(build, Path.Combine(work, "watcher", "bench.db"), "watcher, DB outside content root", watcherBodies, w, warmupBodies, ct);
            (inside, _) = await HttpPhaseAsync(build, Path.Combine(build.AppDirectory, "data", "bench.db"), "watcher, DB under content root", watcherBodies, w, warmupBodies, ct);
        }

        // (d) Explorer latency on one path of a million rows.
        ExplorerResult? explorer = null;
        if (!options.SkipExplorer)
        {
            Progress($"explorer: filling the baseline path up to {BenchOptions.ExplorerTargetRows:N0} events");
            var filled = SqliteBaseline.FillPath(baselineDb, mainEvents, BenchOptions.ExplorerTargetRows, ct);
            Progress($"explorer: {filled:N0} rows; timing the page queries ({BenchOptions.ExplorerRuns} runs each)");
            explorer = SqliteBaseline.TimeExplorer(baselineDb, BenchOptions.ExplorerRuns);
        }

        Report(build, n, baselineRate, baselineTime, ours, oursStored, outside, inside, explorer, avgInput, avgOutput, avgBody);
    }

    /// <summary>
    /// The cost of budgets on the hot path: the same events to the same path on two fresh databases,
    /// first without a budget, then with a daily USD budget set to the events' total cost ÷ 0.9, so
    /// every batch is checked and the 85 % warning fires (and is acted on) about 94 % of the way through.
    /// </summary>
    public async Task RunBudgetAsync(CancellationToken ct)
    {
        var n = options.TraceEvents; // --events when given, else 20,000
        var batch = BenchOptions.BatchSize;
        var build = AppBuild.Locate(Path.Combine(work, "app"), options.AppConfiguration);
        var events = EventGenerator.Generate(n, seed: 42);
        var bodies = EventGenerator.Bodies(events, batch);
        var warmupBodies = EventGenerator.Bodies(EventGenerator.Generate(WarmupEvents, seed: 7, prefix: "warmup"), batch, WarmupPath);
        var total = events.Sum(e => e.CostUsd);
        var limit = total / 0.9;
        var (without, _) = await HttpPhaseAsync(build, Path.Combine(work, "nobudget", "events.db"), "no budget", bodies, n, warmupBodies, ct);
        var budgetDb = Path.Combine(work, "budget", "events.db");
        var (with, _) = await HttpPhaseAsync(build, budgetDb, "with a budget", bodies, n, warmupBodies, ct, db => SetBudget(db, limit));
        var (levels, spent) = Crossings(budgetDb);
        if (levels != "85")
        {
            throw new BenchmarkFailedException($"with a budget: expected the 85 % warning only, the database holds levels [{levels}].");
        }
        var o = Console.Out;
        o.WriteLine();
        o.WriteLine($"Budget benchmark — {n:N0} events to '{EventGenerator.PathSlug}', batches of {batch}, {options.Clients} clients, {Environment.ProcessorCount} cores");
        o.WriteLine($"budget: ${limit:N2} a day (events total ${total:N2}); after every commit the path's day and month spend are read; the 85 % warning fired at ${spent:N2}");
        o.WriteLine($"baseline, no budget on the path: {without.EventsPerSecond,9:N0} events/s   p50 batch {without.P50Ms:N1} ms  p99 {without.P99Ms:N1} ms   app CPU {without.Cpu?.AppCores:N2} cores");
        o.WriteLine($"with a budget:                   {with.EventsPerSecond,9:N0} events/s   p50 batch {with.P50Ms:N1} ms  p99 {with.P99Ms:N1} ms   app CPU {with.Cpu?.AppCores:N2} cores");
        o.WriteLine($"ratio with/without: {with.EventsPerSecond / without.EventsPerSecond:N2}");
    }

    private static void SetBudget(string databaseFile, double dailyUsd)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={databaseFile}");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "INSERT INTO PathBudgets (PathId, DailyUsd, WarnPercent, SecondWarnPercent, Action, RestoreAtReset, UpdatedAt, UpdatedBy) " +
            "SELECT Id, $usd, 85, 95, 'NotifyOnly', 0, $at, 'benchmark' FROM Paths WHERE Slug = $slug";
        cmd.Parameters.AddWithValue("$usd", dailyUsd);
        cmd.Parameters.AddWithValue("$at", DateTime.UtcNow);
        cmd.Parameters.AddWithValue("$slug", EventGenerator.PathSlug);
        if (cmd.ExecuteNonQuery() != 1)
        {
            throw new BenchmarkFailedException($"the budget could not be set: no path '{EventGenerator.PathSlug}'.");
        }
    }

    private static (string Levels, double Spent) Crossings(string databaseFile)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={databaseFile}");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT group_concat(Level, ','), max(Spent) FROM (SELECT Level, Spent FROM BudgetCrossings ORDER BY Level)";
        using var reader = cmd.ExecuteReader();
        reader.Read();
        return (reader.IsDBNull(0) ? "" : reader.GetString(0), reader.IsDBNull(1) ? 0 : reader.GetDouble(1));
    }

    private async Task<(HttpResult Result, StoredStats Stored)> HttpPhaseAsync(
        AppBuild build, string databaseFile, string label, byte[][] bodies, int count, byte[][] warmupBodies, CancellationToken ct, Action<string>? setup = null)
    {
        Progress($"{label}: starting the app (database {databaseFile})");
        HttpResult result;
        using (var app = await StartAppAsync(build, databaseFile, label, ct))
        using (var client = HttpIngestion.CreateClient(app.BaseAddress, options.Clients))
        {
            // Before the warm-up: the app reads budgets when the first events are stored.
            setup?.Invoke(databaseFile);
            // JIT and connection set-up happen on another path and are not measured.
            Progress($"{label}: warm-up, {WarmupEvents:N0} events to '{WarmupPath}'");
            await HttpIngestion.RunAsync(client, warmupBodies, WarmupEvents, options.Clients, ct);
            Progress($"{label}: sending {count:N0} events in {bodies.Length:N0} batches from {options.Clients} clients");
            var cpu = CpuMeter.Start(app);
            result = await HttpIngestion.RunAsync(client, bodies, count, options.Clients, ct);
            result = result with { Cpu = cpu.Stop() };
            Progress($"{label}: {result.EventsPerSecond:N0} events/s");
        }
        var stored = SqliteBaseline.Stored(databaseFile);
        if (stored.Events != count)
        {
            throw new BenchmarkFailedException($"{label}: the app answered 'accepted' for {count:N0} events but its database holds {stored.Events:N0}.");
        }
        return (result, stored);
    }

    private async Task<AppProcess> StartAppAsync(AppBuild build, string databaseFile, string label, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(databaseFile)!);
        var app = await AppProcess.StartAsync(build, databaseFile, label, ct);
        _finished.Add((label, app));
        return app;
    }

    private void Report(
        AppBuild build, int n, double baselineRate, TimeSpan baselineTime, HttpResult ours, StoredStats stored,
        HttpResult? outside, HttpResult? inside, ExplorerResult? explorer, double avgInput, double avgOutput, double avgBody)
    {
        var o = Console.Out;
        o.WriteLine();
        o.WriteLine($"Ingestion benchmark — {n:N0} events, batches of {BenchOptions.BatchSize}, {options.Clients} clients, {Environment.ProcessorCount} cores");
        o.WriteLine($"machine: {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture}), {RuntimeInformation.FrameworkDescription}, " +
            $"{Environment.ProcessorCount} logical cores; client and app on the same machine");
        o.WriteLine($"app: {build.Configuration} build of OpsConsole.Web (dll written {build.BuiltAtUtc:yyyy-MM-dd HH:mm} UTC), run from a copy in {Path.GetTempPath()}" +
                (build.Note.Length > 0 ? $" — {build.Note}" : ""));
        o.WriteLine($"settings: per-key rate limit raised to 100,000 req/s (burst 100,000) so it does not throttle the run; demo traffic off; " +
            $"{WarmupEvents:N0} warm-up events to '{WarmupPath}' before each HTTP phase, not timed");
        o.WriteLine($"events: input {avgInput:N0} chars, output {avgOutput:N0} chars on average; request body {avgBody / 1024:N1} KB per batch of {BenchOptions.BatchSize}");
        o.WriteLine();
        o.WriteLine($"raw SQLite baseline (prepared INSERT, {BenchOptions.BatchSize} rows/tx, WAL, synchronous=FULL): {baselineRate,9:N0} events/s   ({baselineTime.TotalSeconds:N2} s)");
        o.WriteLine($"OpsConsole HTTP end-to-end:                                              {ours.EventsPerSecond,9:N0} events/s   ({ours.Elapsed.TotalSeconds:N2} s)" +
            $"   p50 batch {ours.P50Ms:N1} ms  p99 batch {ours.P99Ms:N1} ms  max {ours.MaxMs:N1} ms   retries {ours.Retries}");
        o.WriteLine($"ratio ours/baseline: {ours.EventsPerSecond / baselineRate:N2}");
        o.WriteLine($"  CPU (average cores of {Environment.ProcessorCount}): baseline {_baselineCpu?.ClientCores:N2}{Other(_baselineCpu)}; " +
            $"HTTP run app {ours.Cpu?.AppCores:N2}, client {ours.Cpu?.ClientCores:N2}{Other(ours.Cpu)}");
        o.WriteLine($"  app stored {stored.Events:N0} events, {stored.ReviewItems:N0} review items ({100.0 * stored.ReviewItems / stored.Events:N1} % routed), " +
            $"{stored.Redacted:N0} masked values, {stored.Quarantined:N0} quarantined; accepted {ours.Accepted:N0}, duplicates {ours.Duplicates:N0}, rejected {ours.Rejected:N0}");
        o.WriteLine(_rowDifferences.Count == 0
            ? $"  same rows: {RowSamples} sampled events stored identically by app and baseline (all columns but Id, ReceivedAt, ReviewReason, ApiKeyId)"
            : $"  ROWS DIFFER between app and baseline ({_rowDifferences.Count} differences), first: {string.Join("; ", _rowDifferences.Take(3))}");
        if (outside is not null && inside is not null)
        {
            o.WriteLine($"watcher check ({outside.Events:N0} events): DB outside content root {outside.EventsPerSecond:N0} ev/s; " +
                $"DB under content root {inside.EventsPerSecond:N0} ev/s; ratio {inside.EventsPerSecond / outside.EventsPerSecond:N2}");
            o.WriteLine($"  p50/p99 batch outside {outside.P50Ms:N1}/{outside.P99Ms:N1} ms, under {inside.P50Ms:N1}/{inside.P99Ms:N1} ms; " +
                $"retries {outside.Retries} / {inside.Retries}; CPU app {outside.Cpu?.AppCores:N2} / {inside.Cpu?.AppCores:N2} cores, " +
                $"other processes {outside.Cpu?.OtherCores:N2} / {inside.Cpu?.OtherCores:N2}");
        }
        else
        {
            o.WriteLine("watcher check: skipped (--skip-watcher)");
        }
        if (explorer is not null)
        {
            o.WriteLine($"explorer on {explorer.Rows:N0} events of one path: first page {explorer.FirstPageMs:N2} ms, next page {explorer.NextPageMs:N2} ms, " +
                $"outcome=error page {explorer.ErrorPageMs:N2} ms (median of {BenchOptions.ExplorerRuns})");
            var names = new[] { "first", "next", "error" };
            for (var i = 0; i < explorer.Plans.Count; i++)
            {
                o.WriteLine($"  plan {names[i],-5}: {explorer.Plans[i]}");
            }
        }
        else
        {
            o.WriteLine("explorer: skipped (--skip-explorer)");
        }

        var busiest = new[] { _baselineCpu, ours.Cpu, outside?.Cpu, inside?.Cpu }.Max(c => c?.OtherCores ?? 0);
        if (busiest > 0.2)
        {
            o.WriteLine($"NOTE: other processes used up to {busiest:N2} cores during a measured phase; the figures are lower and noisier than on a quiet machine.");
        }

        var retried = new[] { ours, outside, inside }.Where(r => r is not null).SelectMany(r => r!.RetryReasons).Take(5).ToList();
        foreach (var reason in retried)
        {
            o.WriteLine("  retry: " + reason);
        }
        ReportAppLog(o, _finished);
    }

    // Other processes' CPU: a concurrent build or test run makes every figure of the phase lower.
    private static string Other(CpuUsage? cpu) => cpu?.OtherCores is { } other ? $", other processes {other:N2}" : "";

    /// <summary>
    /// The app's warnings, errors and stderr output, grouped by message template across all
    /// instances, so the same start-up warning of five instances is one line.
    /// </summary>
    internal static void ReportAppLog(TextWriter o, IReadOnlyList<(string Label, AppProcess App)> finished)
    {
        var groups = finished
            .SelectMany(f => f.App.ProblemLines.Select(line => (f.Label, Entry: AppLogEntry.Parse(line))))
            .GroupBy(x => x.Entry.Key)
            .OrderByDescending(g => g.First().Entry.Level is "Error" or "Critical" or "stderr")
            .ThenByDescending(g => g.Count())
            .ToList();
        var total = finished.Sum(f => f.App.ProblemCount);
        if (total == 0)
        {
            o.WriteLine($"app log: no warnings, errors or stderr output from the {finished.Count} app instances");
            return;
        }
        o.WriteLine($"app log: {total} warning/error/stderr lines from {finished.Count} app instances:");
        foreach (var g in groups.Take(10))
        {
            var instances = g.Select(x => x.Label).Distinct().Count();
            var text = g.First().Entry.Text;
            o.WriteLine($"  {g.Count()}x in {instances} instance(s), {g.First().Entry.Level}: {(text.Length > 400 ? text[..400] + "…" : text)}");
        }
    }

    private static void Progress(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}

/// <summary>One line of the app's console output, reduced to what identifies it.</summary>
internal sealed record AppLogEntry(string Level, string Key, string Text)
{
    /// <summary>Reads the JSON console format (LogLevel, Category, Message, State.{OriginalFormat}); other lines stay as they are.</summary>
    public static AppLogEntry Parse(string line)
    {
        const string stdout = "stdout: ";
        if (line.StartsWith(stdout, StringComparison.Ordinal) && line.Length > stdout.Length && line[stdout.Length] == '{')
        {
            try
            {
                using var doc = JsonDocument.Parse(line[stdout.Length..]);
                var root = doc.RootElement;
                var level = Get(root, "LogLevel") ?? "?";
                var category = Get(root, "Category") ?? "?";
                var message = Get(root, "Message") ?? "";
                var template = root.TryGetProperty("State", out var state) ? Get(state, "{OriginalFormat}") : null;
                var exception = Get(root, "Exception");
                var text = $"{category}: {message}" + (exception is null ? "" : " | " + exception.Split('\n')[0]);
                return new AppLogEntry(level, $"{level}|{category}|{template ?? message}", text);
            }
            catch (JsonException)
            {
            }
        }
        var stream = line.StartsWith("stderr: ", StringComparison.Ordinal) ? "stderr" : "stdout";
        return new AppLogEntry(stream, line, line);
    }

    private static string? Get(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
