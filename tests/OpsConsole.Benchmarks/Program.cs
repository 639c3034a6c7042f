using System.Globalization;
using System.Runtime.InteropServices;
using OpsConsole.Benchmarks;

// Ingestion benchmark: a raw SQLite baseline, the app end to end over HTTP, the config-watcher
// check and explorer query latency on a large path; then the SignalR push benchmark (review
// items reaching connected reviewers); then the dashboard benchmark (a month of one path, from
// rollups and from raw rows). --scaleout runs only the PostgreSQL + Redis scale-out part;
// --traces only the comparison of the events API with OTLP spans at /v1/traces; --trace-tab only the
// event page's trace tab for a 1,000-span trace against the page without it.
// Figures go to stdout, progress to stderr.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

// The push baseline's bare SignalR server runs as a child process of this same program.
if (args.Length > 0 && args[0] == BareHubServer.Argument)
{
    return await BareHubServer.RunAsync(args);
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

(string Postgres, string Redis)? servers = null;
if (options.RunScaleOut)
{
    servers = ScaleOutBenchmark.Servers(out var missing);
    if (servers is null)
    {
        Console.Error.WriteLine(
            $"--scaleout needs a PostgreSQL and a Redis server: {missing} not set. Start throw-away ones with " +
            "'.ci/test-servers.sh start' and 'source <the folder it prints>/env', then run again.");
        return 2;
    }
}

using var cts = new CancellationTokenSource();
// A hung app must not keep the benchmark (and the machine) busy forever: 30 minutes for the
// ingestion part as before, plus the push part's own budget when it runs.
var limit = (options.RunIngestion ? TimeSpan.FromMinutes(30) : TimeSpan.Zero) + (options.RunPush ? PushBenchmark.Budget(options) : TimeSpan.Zero)
    + (options.RunDashboard ? TimeSpan.FromMinutes(15) : TimeSpan.Zero) + (options.RunDecision ? TimeSpan.FromMinutes(15) : TimeSpan.Zero)
    + (options.RunScaleOut ? ScaleOutBenchmark.Budget(options) : TimeSpan.Zero) + (options.RunTraces ? TimeSpan.FromMinutes(20) : TimeSpan.Zero)
    + (options.RunTraceTab ? TimeSpan.FromMinutes(10) : TimeSpan.Zero) + (options.RunBudget ? TimeSpan.FromMinutes(20) : TimeSpan.Zero);
cts.CancelAfter(limit);
// Ctrl+C, SIGTERM and SIGHUP cancel the run instead of ending the process at once, so the
// finally blocks still kill the app instances and delete the temp folder.
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Cancel);

var work = Path.Combine(Path.GetTempPath(), "opsconsole-bench-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(work);
// Last resort for exits that skip the finally blocks (Environment.Exit, a second signal).
AppDomain.CurrentDomain.ProcessExit += (_, _) =>
{
    AppProcess.KillAll();
    TempFolder.Delete(work);
};
try
{
    if (options.RunIngestion)
    {
        await new IngestionBenchmark(options, work).RunAsync(cts.Token);
    }
    if (options.RunPush)
    {
        await new PushBenchmark(options, work).RunAsync(cts.Token);
    }
    if (options.RunDashboard)
    {
        await new DashboardBenchmark(work).RunAsync(cts.Token);
    }
    if (options.RunDecision)
    {
        await new DecisionBenchmark(options, work).RunAsync(cts.Token);
        await new KillSwitchPropagationBenchmark(work).RunAsync(cts.Token);
        IsEnabledBenchmark.Run();
    }
    if (options.RunTraces)
    {
        await new TracesBenchmark(options, work).RunAsync(cts.Token);
    }
    if (options.RunBudget)
    {
        await new IngestionBenchmark(options, work).RunBudgetAsync(cts.Token);
    }
    if (options.RunTraceTab)
    {
        await new TraceTabBenchmark(options, work).RunAsync(cts.Token);
    }
    if (servers is { } s)
    {
        await new ScaleOutBenchmark(options, work, s.Postgres, s.Redis).RunAsync(cts.Token);
    }
    return 0;
}
catch (BenchmarkFailedException ex)
{
    Console.Out.Flush();
    Console.Error.WriteLine();
    Console.Error.WriteLine("BENCHMARK FAILED: " + ex.Message);
    return 1;
}
catch (OperationCanceledException) when (cts.IsCancellationRequested)
{
    Console.Error.WriteLine($"BENCHMARK ABORTED (signal or the {limit.TotalMinutes:0}-minute limit); the app instances were killed.");
    return 3;
}
catch (Exception ex)
{
    Console.Out.Flush();
    Console.Error.WriteLine();
    Console.Error.WriteLine("BENCHMARK FAILED with an unexpected error: " + ex);
    return 1;
}
finally
{
    // The app instances are disposed (killed) by the benchmark's own using blocks before this runs.
    TempFolder.Delete(work);
}

void Cancel(PosixSignalContext context)
{
    context.Cancel = true;
    cts.Cancel();
}
