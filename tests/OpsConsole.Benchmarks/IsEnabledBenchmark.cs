using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using OpsConsole.Client;

namespace OpsConsole.Benchmarks;

/// <summary>
/// Issue 6 (c): the client library's local <c>IsEnabled</c> in ns/op, measured by BenchmarkDotNet
/// (in process: no generated project to build). The client is loaded from a console hosted in
/// this process, so the snapshot is a real one; the bucket computation alone is the baseline.
/// </summary>
[MemoryDiagnoser]
public class IsEnabledBenchmark
{
    private OpsConsoleClient _client = null!;
    private KillSwitchPropagationBenchmark.HostedConsole _console = null!;
    private readonly string[] _units = Enumerable.Range(0, 1024).Select(i => "user-" + i).ToArray();
    private int _i;

    [GlobalSetup]
    public void Setup()
    {
        _console = KillSwitchPropagationBenchmark.HostedConsole.Start(Path.Combine(Path.GetTempPath(), "opsconsole-bench-isenabled-" + Guid.NewGuid().ToString("N")[..8]));
        _client = OpsConsoleClient.StartAsync(new OpsConsoleClientOptions { BaseUrl = _console.BaseUrl, ApiKey = AppProcess.DemoApiKey, UsePush = false }).GetAwaiter().GetResult();
        if (!_client.HasSnapshot)
        {
            throw new BenchmarkFailedException("the client did not load a snapshot from the hosted console");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _console.Dispose();
    }

    [Benchmark(Baseline = true, Description = "bucket only (Rollout.Bucket)")]
    public int Bucket() => Rollout.Bucket("support-reply-draft", _units[_i++ & 1023]);

    [Benchmark(Description = "client.IsEnabled(path, unit)")]
    public bool IsEnabled() => _client.IsEnabled("support-reply-draft", _units[_i++ & 1023]);

    [Benchmark(Description = "client.Decide(path, unit)")]
    public string Decide() => _client.Decide("support-reply-draft", _units[_i++ & 1023]).Variant;

    // Every unit on and a candidate at 50 %: both hashes (rollout and variant) on every call.
    private static readonly PathConfig WithCandidate = new("support-reply-draft", false, 100, 1, "rules")
    {
        Stable = new ReleaseConfig(new string('a', 64), "model-a", "v1", null, null, null),
        Candidate = new ReleaseConfig(new string('b', 64), "model-b", "v2", null, null, null),
        CandidateShare = 500,
    };

    [Benchmark(Description = "Rollout.Decide, 100 % with a 50 % candidate")]
    public string DecideWithCandidate() => Rollout.Decide(WithCandidate, _units[_i++ & 1023]).Variant;

    public static void Run()
    {
        var config = ManualConfig.CreateMinimumViable()
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        BenchmarkRunner.Run<IsEnabledBenchmark>(config);
    }
}
