using System.Diagnostics;
using OpsConsole.Client;
using OpsConsole.Client.Sample;

// A pretend AI service: for each incoming request it asks the console whether the model path is on
// for the request's unit, calls the "model" or runs the fallback, and reports what happened.
//
//   dotnet run --project src/OpsConsole.Client.Sample -- --url http://127.0.0.1:5080 \
//       --key ocs_demo_4f9c2a7e1b8d4c6a9e3f5b7d1c2a4e6f [--path support-reply-draft] [--seconds 30] [--rate 20]
//
// With --otlp it is instead an agent instrumented with OpenTelemetry that exports its traces to the
// console's /v1/traces (see OtlpAgent).

if (!SampleArgs.TryParse(args, out var settings, out var problem))
{
    Console.Error.WriteLine(problem);
    Console.Error.WriteLine(SampleArgs.Usage);
    return problem is null ? 0 : 2;
}
if (settings.Otlp)
{
    return OtlpAgent.Run(settings);
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Keep the process alive so buffered events are flushed before it exits.
    e.Cancel = true;
    stop.Cancel();
};
if (settings.Seconds > 0)
{
    stop.CancelAfter(TimeSpan.FromSeconds(settings.Seconds));
}

var options = new OpsConsoleClientOptions
{
    BaseUrl = settings.Url,
    ApiKey = settings.Key,
    // The explicit flush at the end already waits; disposing need not wait as long again.
    ShutdownFlushTimeout = TimeSpan.FromSeconds(1),
};
await using var client = await OpsConsoleClient.StartAsync(options, CancellationToken.None);
Console.WriteLine(client.HasSnapshot
    ? $"Config version {client.SnapshotVersion} loaded from {settings.Url}."
    : $"No config yet ({client.LastRefreshError}). Every path is off until one loads; retrying in the background.");
client.SnapshotChanged += (_, _) => Console.WriteLine($"  -> config version {client.SnapshotVersion} in force");

var model = new FakeModel();
var on = 0;
var off = 0;
var lastReport = Stopwatch.StartNew();
var pause = TimeSpan.FromSeconds(1.0 / settings.Rate);
try
{
    while (!stop.IsCancellationRequested)
    {
        var unit = "customer-" + Random.Shared.Next(1, 501);
        var input = $"Customer {unit} asks: where is my refund for order #{Random.Shared.Next(10_000, 99_999)}?";
        if (client.IsEnabled(settings.Path, unit))
        {
            on++;
            var started = Stopwatch.GetTimestamp();
            var answer = await model.CallAsync(input, stop.Token);
            client.Track(new InferenceEvent
            {
                Path = settings.Path,
                Unit = unit,
                ModelVersion = FakeModel.Version,
                PromptVersion = "reply-v3",
                Input = input,
                Output = answer.Output,
                Confidence = answer.Confidence,
                LatencyMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                InputTokens = answer.InputTokens,
                OutputTokens = answer.OutputTokens,
                CostUsd = answer.CostUsd,
                Outcome = answer.Outcome,
                ErrorCode = answer.ErrorCode,
                TraceId = Guid.NewGuid().ToString("N"),
            });
        }
        else
        {
            off++;
            // Decide says why it is off and which fallback the console has configured for the path.
            var decision = client.Decide(settings.Path, unit);
            var output = Fallback.Run(decision.Fallback, input);
            client.Track(new InferenceEvent
            {
                Path = settings.Path,
                Unit = unit,
                Input = input,
                Output = output,
                Outcome = EventOutcomes.Fallback,
                Attributes = new Dictionary<string, string> { ["reason"] = decision.Reason, ["fallback"] = decision.Fallback },
            });
        }

        if (lastReport.Elapsed >= TimeSpan.FromSeconds(1))
        {
            Report(client, on, off);
            on = off = 0;
            lastReport.Restart();
        }
        await Task.Delay(pause, stop.Token);
    }
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
}

Console.WriteLine("Stopping: sending buffered events…");
using (var flushWait = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
{
    try
    {
        await client.FlushAsync(flushWait.Token);
    }
    catch (OperationCanceledException)
    {
        Console.WriteLine("The console did not take every event within 5 s; the rest are counted as dropped on shutdown.");
    }
}
await client.DisposeAsync();
Report(client, on, off);
return 0;

static void Report(OpsConsoleClient client, int on, int off)
{
    var s = client.Stats;
    var config = client.HasSnapshot ? "config " + client.SnapshotVersion : "no config";
    var error = s.LastError is null ? "" : $" | last error: {s.LastError}";
    var refused = s.LastDropReason ?? s.LastRejectReason;
    Console.WriteLine($"{TimeProvider.System.GetLocalNow():HH:mm:ss}  on {on,3}  off {off,3} | {config}, push {client.PushState} | "
        + $"accepted {s.Accepted} duplicates {s.Duplicates} rejected {s.Rejected} dropped {s.Dropped + s.DroppedPermanently + s.DroppedOnShutdown} "
        + $"pending {s.Pending} retries {s.Retries}{error}{(refused is null ? "" : " | last refusal: " + refused)}");
}
