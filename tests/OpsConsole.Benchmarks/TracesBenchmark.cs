using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace OpsConsole.Benchmarks;

/// <summary>
/// The same inference events three ways, each on a fresh app and database: through the events API
/// (JSON, batches of 500), as OTLP protobuf at <c>/v1/traces</c> with one chat span per trace, and
/// as traces of four spans of which one is the chat span (batches of 500 spans).
/// </summary>
internal sealed class TracesBenchmark(BenchOptions options, string work)
{
    private const int Batch = 500;
    private const string WarmupPath = "ticket-triage";
    private const int WarmupEvents = 2_000;

    private readonly List<(string Label, AppProcess App)> _finished = [];

    private sealed record Stored(long Events, long Spans, long ReviewItems, long LinkedSpans);

    public async Task RunAsync(CancellationToken ct)
    {
        var n = options.TraceEvents;
        Progress("copying the web app's build output");
        var build = AppBuild.Locate(Path.Combine(work, "traces-app"), options.AppConfiguration);

        Progress($"generating {n:N0} events as JSON batches and as OTLP exports");
        var events = EventGenerator.Generate(n, seed: 42, prefix: "trace-bench");
        var jsonBodies = EventGenerator.Bodies(events, Batch);
        var oneSpan = OtlpBodies.Bodies(events, Batch, spansPerTrace: 1, EventGenerator.PathSlug, seed: 1);
        var fourSpans = OtlpBodies.Bodies(events, Batch, spansPerTrace: 4, EventGenerator.PathSlug, seed: 2);
        var warmup = EventGenerator.Generate(WarmupEvents, seed: 7, prefix: "trace-warmup");
        var warmupJson = EventGenerator.Bodies(warmup, Batch, WarmupPath);
        var warmupOtlp = OtlpBodies.Bodies(warmup, Batch, spansPerTrace: 4, WarmupPath, seed: 3);

        // (a) The events API.
        HttpResult api;
        Stored apiStored;
        var apiDb = Path.Combine(work, "traces-events", "events.db");
        using (var app = await StartAppAsync(build, apiDb, "events API", ct))
        using (var client = HttpIngestion.CreateClient(app.BaseAddress, options.Clients))
        {
            Progress($"events API: warm-up, {WarmupEvents:N0} events to '{WarmupPath}'");
            await HttpIngestion.RunAsync(client, warmupJson, WarmupEvents, options.Clients, ct);
            Progress($"events API: {n:N0} events in {jsonBodies.Length} batches of {Batch}");
            var cpu = CpuMeter.Start(app);
            api = await HttpIngestion.RunAsync(client, jsonBodies, n, options.Clients, ct);
            api = api with { Cpu = cpu.Stop() };
            Progress($"events API: {api.EventsPerSecond:N0} events/s");
        }
        apiStored = Count(apiDb);

        // (b) and (c) OTLP.
        var (single, singleStored, singleCpu) = await OtlpPhaseAsync(build, "otlp-1", "OTLP, 1 span per trace", oneSpan, n, warmupOtlp, ct);
        var (agent, agentStored, agentCpu) = await OtlpPhaseAsync(build, "otlp-4", "OTLP, 4 spans per trace", fourSpans, 4 * n, warmupOtlp, ct);

        foreach (var (label, stored, spans) in new[] { ("events API", apiStored, 0L), ("OTLP 1 span", singleStored, (long)n), ("OTLP 4 spans", agentStored, 4L * n) })
        {
            if (stored.Events != n || stored.Spans != spans)
            {
                throw new BenchmarkFailedException($"{label}: the database holds {stored.Events:N0} events and {stored.Spans:N0} spans of the path; expected {n:N0} and {spans:N0}.");
            }
        }

        var o = Console.Out;
        o.WriteLine();
        o.WriteLine($"Traces benchmark — {n:N0} inference events per phase, {options.Clients} clients, {Environment.ProcessorCount} cores, " +
            $"{RuntimeInformation.FrameworkDescription}; app: {build.Configuration} build, its own process, SQLite, fresh database per phase");
        o.WriteLine($"bodies: events API {jsonBodies.Average(b => b.Length) / 1024:N0} KB per batch of {Batch} events (JSON); " +
            $"OTLP {oneSpan.Average(b => b.Length) / 1024:N0} KB per {Batch} chat spans, {fourSpans.Average(b => b.Length) / 1024:N0} KB per {Batch} spans of 4-span traces (protobuf)");
        o.WriteLine($"events API  /api/v1/events:          {api.EventsPerSecond,8:N0} events/s                      ({api.Elapsed.TotalSeconds:N2} s, {jsonBodies.Length} requests)" +
            $"  p50 {api.P50Ms:N1} ms  p99 {api.P99Ms:N1} ms  retries {api.Retries}  app CPU {api.Cpu?.AppCores:N2} cores");
        Line(o, "OTLP /v1/traces, 1 span per trace: ", single, n, singleCpu, api.EventsPerSecond);
        Line(o, "OTLP /v1/traces, 4 spans per trace:", agent, n, agentCpu, api.EventsPerSecond);
        o.WriteLine($"  stored: events API {apiStored.Events:N0} events, {apiStored.ReviewItems:N0} review items; " +
            $"OTLP 1 span {singleStored.Events:N0} events, {singleStored.Spans:N0} spans ({singleStored.LinkedSpans:N0} linked), {singleStored.ReviewItems:N0} review items; " +
            $"OTLP 4 spans {agentStored.Events:N0} events, {agentStored.Spans:N0} spans ({agentStored.LinkedSpans:N0} linked), {agentStored.ReviewItems:N0} review items");
        foreach (var reason in api.RetryReasons.Concat(single.RetryReasons).Concat(agent.RetryReasons).Take(5))
        {
            o.WriteLine("  retry: " + reason);
        }
        IngestionBenchmark.ReportAppLog(o, _finished);
    }

    private static void Line(TextWriter o, string label, OtlpResult r, int events, CpuUsage? cpu, double apiRate)
    {
        var eventsPerSecond = events / r.Elapsed.TotalSeconds;
        o.WriteLine($"{label}  {eventsPerSecond,8:N0} events/s {r.SpansPerSecond,8:N0} spans/s  ({r.Elapsed.TotalSeconds:N2} s, {r.Requests} requests)" +
            $"  p50 {r.P50Ms:N1} ms  p99 {r.P99Ms:N1} ms  retries {r.Retries}  rejected spans {r.RejectedSpans}  app CPU {cpu?.AppCores:N2} cores" +
            $"  ratio traces/events {eventsPerSecond / apiRate:N2}");
    }

    private async Task<(OtlpResult Result, Stored Stored, CpuUsage? Cpu)> OtlpPhaseAsync(
        AppBuild build, string folder, string label, byte[][] bodies, int spans, byte[][] warmup, CancellationToken ct)
    {
        var db = Path.Combine(work, folder, "traces.db");
        OtlpResult result;
        CpuUsage? usage;
        using (var app = await StartAppAsync(build, db, label, ct))
        using (var client = HttpIngestion.CreateClient(app.BaseAddress, options.Clients))
        {
            Progress($"{label}: warm-up, {WarmupEvents:N0} traces of 4 spans to '{WarmupPath}'");
            await OtlpIngestion.RunAsync(client, warmup, WarmupEvents * 4, options.Clients, ct);
            Progress($"{label}: {spans:N0} spans in {bodies.Length} requests");
            var cpu = CpuMeter.Start(app);
            result = await OtlpIngestion.RunAsync(client, bodies, spans, options.Clients, ct);
            usage = cpu.Stop();
            Progress($"{label}: {result.SpansPerSecond:N0} spans/s");
        }
        return (result, Count(db), usage);
    }

    private static Stored Count(string databaseFile)
    {
        using var connection = new SqliteConnection($"Data Source={databaseFile};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText =
            "SELECT (SELECT COUNT(*) FROM InferenceEvents WHERE PathId = p.Id), (SELECT COUNT(*) FROM TraceSpans WHERE PathId = p.Id), " +
            "(SELECT COUNT(*) FROM ReviewItems WHERE PathId = p.Id), (SELECT COUNT(*) FROM TraceSpans WHERE PathId = p.Id AND EventId IS NOT NULL) " +
            "FROM Paths p WHERE p.Slug = @slug";
        cmd.Parameters.AddWithValue("@slug", EventGenerator.PathSlug);
        using var reader = cmd.ExecuteReader();
        reader.Read();
        return new Stored(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    private async Task<AppProcess> StartAppAsync(AppBuild build, string databaseFile, string label, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(databaseFile)!);
        var app = await AppProcess.StartAsync(build, databaseFile, label, ct);
        _finished.Add((label, app));
        return app;
    }

    private static void Progress(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
