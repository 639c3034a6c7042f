using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace OpsConsole.Benchmarks;

/// <summary>
/// Issue 16 point 8: the console on PostgreSQL with the Redis backplane, each figure next to a
/// baseline measured in the same run: (1) ingestion against a raw Npgsql binary COPY, (2) two
/// instances against one on the same database, (3) the decision endpoint against the constant
/// endpoint on the second instance, (4) review push to many reviewers against a bare SignalR
/// broadcast on the same Redis backplane, on one instance and across two.
/// </summary>
internal sealed class ScaleOutBenchmark(BenchOptions options, string work, string postgres, string redis)
{
    public const string PostgresVariable = "OPSCONSOLE_TEST_POSTGRES";
    public const string RedisVariable = "OPSCONSOLE_TEST_REDIS";
    private const string WarmupPath = "ticket-triage";
    // 200 requests: every per-request method is past the JIT's call-count threshold and recompiled at
    // tier 1 before the clock starts (with 20 requests, a profile showed the JIT busy through the measured phase).
    private const int WarmupEvents = 200_000;
    private const int PushSeed = 5151;
    private const double GoalIngestRatio = 0.6;
    private const double GoalTwoInstances = 1.3;
    private const long BareWarmupFirstId = 1_000_000_000;

    private readonly PostgresBaseline _pg = new(postgres);
    // One key for every instance of the run: they write one audit chain (AuditChainKey refuses to start without it on PostgreSQL).
    private readonly string _chainKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly List<(string Label, AppProcess App)> _finished = [];
    private readonly List<AppProcess> _running = [];

    /// <summary>The longest the part may take: three ingestion phases, decision rounds, four push phases, and start-up slack.</summary>
    public static TimeSpan Budget(BenchOptions options) => TimeSpan.FromMinutes(25) + TimeSpan.FromSeconds(4 * (options.PushSeconds + PushBenchmark.WarmupSeconds + 120));

    /// <summary>The test servers' settings from the environment (.ci/test-servers.sh), or null with the reason.</summary>
    public static (string Postgres, string Redis)? Servers(out string missing)
    {
        var pg = Environment.GetEnvironmentVariable(PostgresVariable);
        var rd = Environment.GetEnvironmentVariable(RedisVariable);
        missing = string.Join(" and ", new[] { (PostgresVariable, pg), (RedisVariable, rd) }.Where(x => string.IsNullOrWhiteSpace(x.Item2)).Select(x => x.Item1));
        return missing.Length == 0 ? (pg!, rd!) : null;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var redisPort = int.TryParse(redis.Split(',')[0].Split(':').Last(), out var port) ? port : 6379;
        ServerCpu.Configure(new Npgsql.NpgsqlConnectionStringBuilder(postgres).Port, redisPort);
        try
        {
            await RunPhasesAsync(ct);
        }
        finally
        {
            foreach (var app in _running)
            {
                app.Dispose();
            }
            _running.Clear();
            Progress("dropping the benchmark databases");
            _pg.DropAll();
        }
    }

    private async Task RunPhasesAsync(CancellationToken ct)
    {
        var n = options.Events;
        var batch = BenchOptions.BatchSize;
        Progress("copying the web app's build output");
        var build = AppBuild.Locate(Path.Combine(work, "scaleout-app"), options.AppConfiguration);

        Progress($"generating {n:N0} events and their request bodies");
        var events = EventGenerator.Generate(n, seed: 42);
        var bodies = EventGenerator.Bodies(events, batch);
        // The two-instance phase: the same events, half to each instance (on a batch boundary).
        var half = n / 2 / batch * batch;
        var bodiesA = EventGenerator.Bodies(events[..half], batch);
        var bodiesB = EventGenerator.Bodies(events[half..], batch);
        byte[][] Warmup(string prefix) => EventGenerator.Bodies(EventGenerator.Generate(WarmupEvents, seed: 7, prefix: prefix), batch, WarmupPath);

        // (1) Baseline: the app migrates a fresh database, then the raw COPY fills it.
        var baseDb = _pg.CreateDatabase("base");
        Progress($"baseline: starting the app once to migrate {baseDb}");
        using (await StartAsync(build, baseDb, "schema", ct))
        {
        }
        Progress($"baseline: binary COPY of {n:N0} events, {batch} rows per COPY (one transaction each)");
        var baselineCpu = CpuMeter.Start(null);
        var serverCpu = ServerCpu.Start();
        var baselineTime = _pg.Copy(baseDb, events, batch, ct);
        var baseline = new Phase(n, baselineTime, baselineCpu.Stop(), serverCpu.Stop(baselineTime), null);
        CheckStored(baseDb, n, "baseline");

        // (1) The app, one instance.
        var oneDb = _pg.CreateDatabase("one");
        HttpPhase one;
        using (var app = await StartAsync(build, oneDb, "one instance", ct))
        {
            using var client = HttpIngestion.CreateClient(app.BaseAddress, options.Clients);
            Progress($"one instance: warm-up, {WarmupEvents:N0} events to '{WarmupPath}'");
            await HttpIngestion.RunAsync(client, Warmup("warmup"), WarmupEvents, options.Clients, ct);
            Progress($"one instance: sending {n:N0} events in {bodies.Length:N0} batches from {options.Clients} clients");
            var cpu = CpuMeter.Start(app);
            var server = ServerCpu.Start();
            var watch = Stopwatch.StartNew();
            var result = await HttpIngestion.RunAsync(client, bodies, n, options.Clients, ct);
            var elapsed = watch.Elapsed;
            one = new HttpPhase(new Phase(n, elapsed, cpu.Stop(), server.Stop(elapsed), null), [result]);
            Progress($"one instance: {n / elapsed.TotalSeconds:N0} events/s");
        }
        CheckStored(oneDb, n, "one instance");
        if (options.ScaleOutIngestionOnly)
        {
            ReportIngestion(build, n, baseline, one);
            IngestionBenchmark.ReportAppLog(Console.Out, _finished);
            return;
        }

        // (2) Two instances on one database and one Redis: A alone first (it migrates and seeds), then B.
        var twoDb = _pg.CreateDatabase("two");
        var a = await StartAsync(build, twoDb, "instance A", ct);
        var b = await StartAsync(build, twoDb, "instance B", ct);
        HttpPhase two;
        using (var clientA = HttpIngestion.CreateClient(a.BaseAddress, options.Clients))
        using (var clientB = HttpIngestion.CreateClient(b.BaseAddress, options.Clients))
        {
            Progress($"two instances: warm-up, {WarmupEvents:N0} events to '{WarmupPath}' on each");
            await Task.WhenAll(
                HttpIngestion.RunAsync(clientA, Warmup("warmupa"), WarmupEvents, options.Clients, ct),
                HttpIngestion.RunAsync(clientB, Warmup("warmupb"), WarmupEvents, options.Clients, ct));
            Progress($"two instances: sending {half:N0} events to A and {n - half:N0} to B, {options.Clients} clients each");
            var cpuA = CpuMeter.Start(a);
            var cpuB = CpuMeter.Start(b);
            var server = ServerCpu.Start();
            var watch = Stopwatch.StartNew();
            var results = await Task.WhenAll(
                HttpIngestion.RunAsync(clientA, bodiesA, half, options.Clients, ct),
                HttpIngestion.RunAsync(clientB, bodiesB, n - half, options.Clients, ct));
            var elapsed = watch.Elapsed;
            var usageA = cpuA.Stop();
            var usageB = cpuB.Stop();
            var both = new CpuUsage(usageA.AppCores + usageB.AppCores, usageA.ClientCores, usageA.OtherCores is { } o ? Math.Max(0, o - usageB.AppCores) : null);
            two = new HttpPhase(new Phase(n, elapsed, both, server.Stop(elapsed), [usageA.AppCores, usageB.AppCores]), results);
            Progress($"two instances: {n / elapsed.TotalSeconds:N0} events/s");
        }
        CheckStored(twoDb, n, "two instances");

        // (3) Decision endpoint on B, whose path snapshot the backplane keeps in step with A.
        var (ping, decision, pingRounds, decisionRounds) = await DecisionAsync(b, ct);

        // (4) Push: the console (events posted to A) against the bare SignalR server, same clients, same message rate.
        var bareX = await StartBareAsync("bare hub X", ct);
        var bareY = await StartBareAsync("bare hub Y", ct);
        var clients = options.PushClients;
        var appSingle = await AppPushAsync(a, a, twoDb, clients, PushSeed, "push, app, one instance", ct);
        var bareSingle = await BarePushAsync(bareX, bareX, clients, appSingle.Routed, "push, bare, one instance", ct);
        var appCross = await AppPushAsync(a, b, twoDb, clients, PushSeed + 10, "push, app, A → B", ct);
        var bareCross = await BarePushAsync(bareX, bareY, clients, appCross.Routed, "push, bare, X → Y", ct);

        Report(build, n, baseline, one, two, ping, decision, pingRounds, decisionRounds, appSingle, bareSingle, appCross, bareCross);
    }

    private sealed record Phase(int Events, TimeSpan Elapsed, CpuUsage Cpu, ServerUsage Servers, double[]? PerInstanceCores)
    {
        public double EventsPerSecond => Events / Elapsed.TotalSeconds;
    }

    private sealed record HttpPhase(Phase Phase, HttpResult[] Results)
    {
        public double EventsPerSecond => Phase.EventsPerSecond;
    }

    private Dictionary<string, string> Settings(string database, string label) => new()
    {
        ["OpsConsole__Database__Provider"] = "Postgres",
        ["ConnectionStrings__OpsConsole"] = _pg.For(database, pooling: true),
        ["OpsConsole__Redis__Connection"] = redis,
        ["OpsConsole__Audit__ChainKey"] = _chainKey,
        // On PostgreSQL the key ring is in the database; this folder holds only the instance's audit checkpoints.
        ["OpsConsole__DataProtection__KeysPath"] = Path.Combine(work, "scaleout-keys", label.Replace(' ', '-')),
    };

    private async Task<AppProcess> StartAsync(AppBuild build, string database, string label, CancellationToken ct)
    {
        Progress($"{label}: starting the app on PostgreSQL database {database} with Redis {redis}");
        var app = await AppProcess.StartAsync(build, Settings(database, label), label, ct);
        _finished.Add((label, app));
        _running.Add(app);
        return app;
    }

    private async Task<AppProcess> StartBareAsync(string label, CancellationToken ct)
    {
        Progress($"{label}: starting the bare SignalR server with the Redis backplane");
        var dll = typeof(BareHubServer).Assembly.Location;
        var app = await AppProcess.StartDllAsync(dll, [BareHubServer.Argument, "--redis", redis], label, ct);
        _finished.Add((label, app));
        _running.Add(app);
        return app;
    }

    private void CheckStored(string database, int expected, string label)
    {
        var (stored, _) = _pg.Stored(database);
        if (stored != expected)
        {
            throw new BenchmarkFailedException($"{label}: {expected:N0} events written, but the database holds {stored:N0} on the benchmark path.");
        }
    }

    private static async Task<(EndpointResult Ping, EndpointResult Decision, List<EndpointResult> PingRounds, List<EndpointResult> DecisionRounds)> DecisionAsync(
        AppProcess b, CancellationToken ct)
    {
        var random = new Random(6);
        var decisionUris = Enumerable.Range(0, 10_000)
            .Select(_ => new Uri(b.BaseAddress, $"api/v1/paths/support-reply-draft/decision?unit=user-{random.Next(1_000_000)}")).ToArray();
        var pingUris = new[] { new Uri(b.BaseAddress, "api/v1/ping") };
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = DecisionBenchmark.Concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(10) });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AppProcess.DemoApiKey);
        var check = await http.GetStringAsync(decisionUris[0], ct);
        if (!check.Contains("\"enabled\"", StringComparison.Ordinal))
        {
            throw new BenchmarkFailedException("The decision endpoint of instance B did not answer a decision: " + check);
        }
        Progress($"decision on B: warm-up, {DecisionBenchmark.Warmup.TotalSeconds:0} s per endpoint");
        await DecisionBenchmark.LoadAsync(http, pingUris, "ping", DecisionBenchmark.Warmup, ct);
        await DecisionBenchmark.LoadAsync(http, decisionUris, "decision", DecisionBenchmark.Warmup, ct);
        var pings = new List<EndpointResult>();
        var decisions = new List<EndpointResult>();
        for (var round = 1; round <= DecisionBenchmark.Rounds; round++)
        {
            Progress($"decision on B: round {round} of {DecisionBenchmark.Rounds}");
            pings.Add(await DecisionBenchmark.LoadAsync(http, pingUris, "constant (GET /api/v1/ping)", DecisionBenchmark.RoundLength, ct));
            decisions.Add(await DecisionBenchmark.LoadAsync(http, decisionUris, "decision (GET /api/v1/paths/{slug}/decision)", DecisionBenchmark.RoundLength, ct));
        }
        return (DecisionBenchmark.Combine(pings), DecisionBenchmark.Combine(decisions), pings, decisions);
    }

    /// <summary>Paced events posted to <paramref name="postTo"/>, reviewers connected to <paramref name="connectTo"/>; as <see cref="PushBenchmark"/> does on SQLite.</summary>
    private async Task<PushPhaseResult> AppPushAsync(AppProcess postTo, AppProcess connectTo, string database, int clientCount, int seed, string label, CancellationToken ct)
    {
        var measuredEvents = options.PushSeconds * PushBenchmark.EventsPerSecond;
        var (measuredPrefix, bodies) = PushBenchmark.Bodies("push", measuredEvents, seed);
        var (warmupPrefix, warmupBodies) = PushBenchmark.Bodies("pushwarm", PushBenchmark.WarmupSeconds * PushBenchmark.EventsPerSecond, seed + 1);
        var clients = new List<PushClient>();
        try
        {
            var cookie = await PushClient.SignInAsync(connectTo.BaseAddress, PushBenchmark.ReviewerEmail, PushBenchmark.ReviewerPassword, ct);
            var (connected, connectTime) = await ConnectAsync(new Uri(connectTo.BaseAddress, "hubs/ops"), cookie, clientCount, clients, label, ct);
            using var http = HttpIngestion.CreateClient(postTo.BaseAddress, clients: 16);
            Progress($"{label}: warm-up, {PushBenchmark.WarmupSeconds} s of paced traffic");
            await PushBenchmark.SendPacedAsync(http, warmupBodies, ct);
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            Progress($"{label}: {options.PushSeconds} s at {PushBenchmark.EventsPerSecond} events/s to {postTo.Label}, {clientCount} reviewers on {connectTo.Label}");
            var cpu = Meter(postTo, connectTo);
            var watch = Stopwatch.StartNew();
            var send = await PushBenchmark.SendPacedAsync(http, bodies, ct);
            var sendElapsed = watch.Elapsed;
            var usage = cpu();
            await Task.Delay(PushBenchmark.Straggle, ct);
            var drops = connected.Where(c => c.ClosedReason is not null).Select(c => $"client {c.Index}: {c.ClosedReason}").ToList();
            var received = connected.Select(c => c.Received()).ToArray();
            var expected = _pg.RoutedItemIds(database, PushBenchmark.PathSlug, measuredPrefix);
            var warmup = _pg.RoutedItemIds(database, PushBenchmark.PathSlug, warmupPrefix);
            var result = PushBenchmark.Evaluate(clientCount, measuredEvents, sendElapsed, expected, warmup, received, drops, send, connectTime, usage);
            Progress($"{label}: p50 {result.P50:N1} ms, p95 {result.P95:N1} ms, p99 {result.P99:N1} ms; {result.Received:N0} of {result.Expected:N0} deliveries");
            return result;
        }
        finally
        {
            await PushBenchmark.DisposeAllAsync(clients);
        }
    }

    /// <summary>
    /// The same number of items as the console's phase routed, in as many messages as it posted batches,
    /// at the same rate, broadcast by the bare server <paramref name="sendOn"/> to reviewers on <paramref name="connectTo"/>.
    /// </summary>
    private async Task<PushPhaseResult> BarePushAsync(AppProcess sendOn, AppProcess connectTo, int clientCount, int items, string label, CancellationToken ct)
    {
        var messages = options.PushSeconds * PushBenchmark.BatchesPerSecond;
        var warmupMessages = PushBenchmark.WarmupSeconds * PushBenchmark.BatchesPerSecond;
        var warmupItems = Math.Max(1, items * warmupMessages / messages);
        var clients = new List<PushClient>();
        try
        {
            var (connected, connectTime) = await ConnectAsync(new Uri(connectTo.BaseAddress, "hubs/ops"), "", clientCount, clients, label, ct);
            using var http = new HttpClient { BaseAddress = sendOn.BaseAddress, Timeout = TimeSpan.FromSeconds(options.PushSeconds + 60) };
            Progress($"{label}: warm-up, {PushBenchmark.WarmupSeconds} s");
            await BroadcastAsync(http, warmupMessages, warmupItems, BareWarmupFirstId, ct);
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            Progress($"{label}: {items:N0} items in {messages:N0} messages over {options.PushSeconds} s from {sendOn.Label} to {clientCount} clients on {connectTo.Label}");
            var cpu = Meter(sendOn, connectTo);
            var watch = Stopwatch.StartNew();
            await BroadcastAsync(http, messages, items, 1, ct);
            var sendElapsed = watch.Elapsed;
            var usage = cpu();
            await Task.Delay(PushBenchmark.Straggle, ct);
            var drops = connected.Where(c => c.ClosedReason is not null).Select(c => $"client {c.Index}: {c.ClosedReason}").ToList();
            var received = connected.Select(c => c.Received()).ToArray();
            var expected = Enumerable.Range(1, items).Select(i => (long)i).ToHashSet();
            var warmup = Enumerable.Range(0, warmupItems).Select(i => BareWarmupFirstId + i).ToHashSet();
            var result = PushBenchmark.Evaluate(clientCount, 0, sendElapsed, expected, warmup, received, drops,
                new PushBenchmark.SendResult(double.NaN, double.NaN, 0, double.NaN), connectTime, usage);
            Progress($"{label}: p50 {result.P50:N1} ms, p95 {result.P95:N1} ms, p99 {result.P99:N1} ms; {result.Received:N0} of {result.Expected:N0} deliveries");
            return result;
        }
        finally
        {
            await PushBenchmark.DisposeAllAsync(clients);
        }
    }

    private static async Task BroadcastAsync(HttpClient http, int messages, int items, long firstId, CancellationToken ct)
    {
        var uri = $"broadcast?slug={PushBenchmark.PathSlug}&messages={messages}&items={items}&perSecond={PushBenchmark.BatchesPerSecond}&firstId={firstId}";
        using var response = await http.PostAsync(uri, null, ct);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new BenchmarkFailedException($"The bare hub's /broadcast answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        }
    }

    private static async Task<(PushClient[] Connected, TimeSpan Elapsed)> ConnectAsync(
        Uri hubUrl, string cookie, int clientCount, List<PushClient> clients, string label, CancellationToken ct)
    {
        Progress($"{label}: connecting {clientCount} hub clients and joining '{PushBenchmark.PathSlug}'");
        var watch = Stopwatch.StartNew();
        var connected = new PushClient[clientCount];
        await Parallel.ForEachAsync(Enumerable.Range(0, clientCount),
            new ParallelOptions { MaxDegreeOfParallelism = PushBenchmark.ConnectParallelism, CancellationToken = ct },
            async (i, token) =>
            {
                var client = await PushClient.ConnectAsync(i, hubUrl, cookie, PushBenchmark.PathSlug, token);
                lock (clients)
                {
                    clients.Add(client);
                }
                connected[i] = client;
            });
        return (connected, watch.Elapsed);
    }

    /// <summary>CPU of one or two server processes over a phase: their sum as the app's share, the rest as before.</summary>
    private static Func<CpuUsage> Meter(AppProcess first, AppProcess second)
    {
        var a = CpuMeter.Start(first);
        var b = ReferenceEquals(first, second) ? null : CpuMeter.Start(second);
        return () =>
        {
            var ua = a.Stop();
            if (b is null)
            {
                return ua;
            }
            var ub = b.Stop();
            return new CpuUsage(ua.AppCores + ub.AppCores, ua.ClientCores, ua.OtherCores is { } o ? Math.Max(0, o - ub.AppCores) : null);
        };
    }

    /// <summary>The heading and (1): the COPY baseline against one instance.</summary>
    private void ReportIngestion(AppBuild build, int n, Phase baseline, HttpPhase one)
    {
        var o = Console.Out;
        var cores = Environment.ProcessorCount;
        o.WriteLine();
        o.WriteLine("== Scale-out benchmark (PostgreSQL + Redis, issue 16 point 8) ==");
        o.WriteLine($"machine: {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {cores} logical cores; " +
            "apps, PostgreSQL, Redis and the load generator all on this machine");
        o.WriteLine($"app: {build.Configuration} build of OpsConsole.Web (dll written {build.BuiltAtUtc:yyyy-MM-dd HH:mm} UTC), Provider=Postgres, Redis backplane; " +
            $"a fresh database per ingestion phase" + (build.Note.Length > 0 ? $" — {build.Note}" : ""));
        o.WriteLine($"PostgreSQL: {_pg.ServerSettings()} (the same server for baseline and app)");
        o.WriteLine();
        var ratio1 = one.EventsPerSecond / baseline.EventsPerSecond;
        o.WriteLine($"(1) ingestion, {n:N0} events in batches of {BenchOptions.BatchSize}:");
        o.WriteLine($"    raw Npgsql binary COPY baseline ({BenchOptions.BatchSize} rows per COPY, one connection): {baseline.EventsPerSecond,9:N0} events/s   ({baseline.Elapsed.TotalSeconds:N2} s)");
        o.WriteLine($"    OpsConsole HTTP end to end, one instance, {options.Clients} clients:            {one.EventsPerSecond,9:N0} events/s   ({one.Phase.Elapsed.TotalSeconds:N2} s)" +
            $"   p50 batch {one.Results[0].P50Ms:N1} ms, p99 {one.Results[0].P99Ms:N1} ms, retries {one.Results[0].Retries}");
        o.WriteLine($"    ratio app/baseline: {ratio1:N2}   goal ≥ {GoalIngestRatio}: {(ratio1 >= GoalIngestRatio ? "met" : "NOT met")}");
        o.WriteLine($"    CPU (cores of {cores}): baseline client {baseline.Cpu.ClientCores:N2}, {Servers(baseline.Servers)}; " +
            $"app run: app {one.Phase.Cpu.AppCores:N2}, client {one.Phase.Cpu.ClientCores:N2}, {Servers(one.Phase.Servers)}{Other(one.Phase)}");
    }

    private void Report(
        AppBuild build, int n, Phase baseline, HttpPhase one, HttpPhase two,
        EndpointResult ping, EndpointResult decision, List<EndpointResult> pingRounds, List<EndpointResult> decisionRounds,
        PushPhaseResult appSingle, PushPhaseResult bareSingle, PushPhaseResult appCross, PushPhaseResult bareCross)
    {
        var o = Console.Out;
        var cores = Environment.ProcessorCount;
        ReportIngestion(build, n, baseline, one);
        var ratio2 = two.EventsPerSecond / one.EventsPerSecond;
        o.WriteLine($"(2) same load, one instance vs two instances (same PostgreSQL database, shared Redis; {options.Clients} clients per instance):");
        o.WriteLine($"    one instance:  {one.EventsPerSecond,9:N0} events/s");
        o.WriteLine($"    two instances: {two.EventsPerSecond,9:N0} events/s   ({two.Phase.Elapsed.TotalSeconds:N2} s; A {two.Results[0].Events:N0} events in {two.Results[0].Elapsed.TotalSeconds:N2} s, " +
            $"B {two.Results[1].Events:N0} in {two.Results[1].Elapsed.TotalSeconds:N2} s; p99 batch {two.Results[0].P99Ms:N1} / {two.Results[1].P99Ms:N1} ms)");
        o.WriteLine($"    ratio two/one: {ratio2:N2}   goal ≥ {GoalTwoInstances}: {(ratio2 >= GoalTwoInstances ? "met" : "NOT met")}");
        var busyOne = Busy(one.Phase);
        var busyTwo = Busy(two.Phase);
        o.WriteLine($"    CPU (cores of {cores}): one: app {one.Phase.Cpu.AppCores:N2}, client {one.Phase.Cpu.ClientCores:N2}, {Servers(one.Phase.Servers)}{Other(one.Phase)}, machine busy {busyOne:N2}; " +
            $"two: apps {two.Phase.PerInstanceCores![0]:N2} + {two.Phase.PerInstanceCores[1]:N2}, client {two.Phase.Cpu.ClientCores:N2}, {Servers(two.Phase.Servers)}{Other(two.Phase)}, machine busy {busyTwo:N2}");
        if (busyOne is { } b1 && b1 >= 0.9 * cores)
        {
            o.WriteLine($"    NOTE: the machine was already {100 * b1 / cores:N0} % busy with one instance; a second instance on the same {cores} cores can only share them.");
        }
        var ratio3 = decision.PerSecond / ping.PerSecond;
        o.WriteLine($"(3) decision endpoint on instance B (A up as well, both on the Redis bus; no configuration change during the rounds), {DecisionBenchmark.Concurrency} concurrent requests, " +
            $"{DecisionBenchmark.Rounds} alternating rounds of {DecisionBenchmark.RoundLength.TotalSeconds:0} s:");
        foreach (var (r, i) in pingRounds.Zip(decisionRounds).SelectMany((p, i) => new[] { (p.First, i), (p.Second, i) }))
        {
            o.WriteLine($"    round {i + 1}: {r.Name,-48} {r.PerSecond,9:N0} req/s  p50 {r.P50Ms:N2} ms  p99 {r.P99Ms:N2} ms");
        }
        o.WriteLine($"    constant GET /api/v1/ping:                  {ping.PerSecond,9:N0} req/s, p99 {ping.P99Ms:N2} ms (worst round), {ping.Failures} non-200");
        o.WriteLine($"    GET /api/v1/paths/support-reply-draft/decision: {decision.PerSecond,9:N0} req/s, p99 {decision.P99Ms:N2} ms (worst round), {decision.Failures} non-200");
        o.WriteLine($"    ratio decision/constant: {ratio3:N3}");
        o.WriteLine($"(4) review push, commit → {options.PushClients} reviewer connections, {PushBenchmark.EventsPerSecond} events/s for {options.PushSeconds} s " +
            $"(bare baseline: the same number of items in as many messages at the same rate, broadcast by a bare SignalR server on the same Redis backplane):");
        PushLines(o, "one instance (events to A, reviewers on A)", appSingle, bareSingle);
        PushLines(o, "across two through Redis (events to A, reviewers on B; bare: sent on X, clients on Y)", appCross, bareCross);
        var busiest = new[] { one.Phase.Cpu, two.Phase.Cpu, appSingle.Cpu, appCross.Cpu }.Max(c => c.OtherCores ?? 0);
        if (busiest > 0.2)
        {
            o.WriteLine($"NOTE: processes other than the apps, PostgreSQL, Redis and this client used up to {busiest:N2} cores during a measured phase; the figures are lower and noisier than on a quiet machine.");
        }
        IngestionBenchmark.ReportAppLog(o, _finished);
    }

    private static void PushLines(TextWriter o, string name, PushPhaseResult app, PushPhaseResult bare)
    {
        var ratio = app.P95 / bare.P95;
        o.WriteLine($"    {name}:");
        o.WriteLine($"      OpsConsole:  p50 {app.P50:N1} ms, p95 {app.P95:N1} ms, p99 {app.P99:N1} ms, max {app.Max:N1} ms; {app.Received:N0} of {app.Expected:N0} deliveries " +
            $"({app.Routed:N0} items × {app.Clients}), duplicates {app.Duplicates}, unknown {app.Unknown}; CPU servers {app.Cpu.AppCores:N2}, client {app.Cpu.ClientCores:N2}");
        o.WriteLine($"      bare SignalR: p50 {bare.P50:N1} ms, p95 {bare.P95:N1} ms, p99 {bare.P99:N1} ms, max {bare.Max:N1} ms; {bare.Received:N0} of {bare.Expected:N0} deliveries " +
            $"({bare.Routed:N0} items × {bare.Clients}), duplicates {bare.Duplicates}, unknown {bare.Unknown}; CPU servers {bare.Cpu.AppCores:N2}, client {bare.Cpu.ClientCores:N2}");
        o.WriteLine($"      ratio p95 app/bare: {ratio:N2}   goal ≤ {PushBenchmark.GoalRatio:N1}: {(ratio <= PushBenchmark.GoalRatio ? "met" : "NOT met")}");
        foreach (var line in app.Shortfalls.Concat(bare.Shortfalls).Take(5))
        {
            o.WriteLine("      MISSED: " + line);
        }
        foreach (var line in app.Drops.Concat(bare.Drops).Take(5))
        {
            o.WriteLine("      DROPPED: " + line);
        }
    }

    private static double? Busy(Phase p) => p.Cpu.OtherCores is { } other ? p.Cpu.AppCores + p.Cpu.ClientCores + other : null;

    private static string Servers(ServerUsage s) => $"PostgreSQL {s.PostgresCores:N2}, Redis {s.RedisCores:N2}";

    // Other processes, without PostgreSQL and Redis, which the meter counts as "other".
    private static string Other(Phase p) => p.Cpu.OtherCores is { } other
        ? $", other processes {Math.Max(0, other - p.Servers.PostgresCores - p.Servers.RedisCores):N2}"
        : "";

    private static void Progress(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] scale-out: {message}");
}

/// <summary>Average cores used by the PostgreSQL and Redis server processes during a phase.</summary>
internal sealed record ServerUsage(double PostgresCores, double RedisCores);

/// <summary>
/// CPU time of this run's PostgreSQL (the postmaster listening on the run's port and its
/// children) and Redis (the redis-server on the run's port), read from /proc, so a saturated
/// database is told from a saturated app; servers of other runs on the machine are not counted.
/// Backends that started during the phase count in full; ones that ended during it are lost
/// (the apps keep pooled connections, so there are few). Zero off Linux.
/// </summary>
internal sealed class ServerCpu
{
    private const double TicksPerSecond = 100;
    private static int _postgresPort;
    private static int _redisPort;
    private readonly Dictionary<int, (bool Postgres, double Seconds)> _start;

    private ServerCpu(Dictionary<int, (bool Postgres, double Seconds)> start) => _start = start;

    public static void Configure(int postgresPort, int redisPort)
    {
        _postgresPort = postgresPort;
        _redisPort = redisPort;
    }

    public static ServerCpu Start() => new(Snapshot());

    public ServerUsage Stop(TimeSpan wall)
    {
        var now = Snapshot();
        double Cores(bool postgres) => now.Where(kv => kv.Value.Postgres == postgres)
            .Sum(kv => kv.Value.Seconds - (_start.TryGetValue(kv.Key, out var before) ? before.Seconds : 0)) / wall.TotalSeconds;
        return new ServerUsage(Cores(true), Cores(false));
    }

    private static Dictionary<int, (bool Postgres, double Seconds)> Snapshot()
    {
        var all = new List<(int Pid, int Parent, string Command, double Seconds)>();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid))
                {
                    continue;
                }
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    // pid (comm) state ppid … utime stime: fields after the comm, which may hold spaces.
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    var seconds = (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture)
                        + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / TicksPerSecond;
                    var command = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                    all.Add((pid, int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture), command, seconds));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
                {
                    // Ended meanwhile, or not readable.
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
        var postmaster = all.FirstOrDefault(p => p.Command.Contains("postgres", StringComparison.Ordinal) && p.Command.Contains($" -p {_postgresPort} ", StringComparison.Ordinal)).Pid;
        var times = new Dictionary<int, (bool, double)>();
        foreach (var p in all)
        {
            if (postmaster != 0 && (p.Pid == postmaster || p.Parent == postmaster))
            {
                times[p.Pid] = (true, p.Seconds);
            }
            else if (p.Command.StartsWith("redis-server", StringComparison.Ordinal) && p.Command.Contains($":{_redisPort}", StringComparison.Ordinal))
            {
                times[p.Pid] = (false, p.Seconds);
            }
        }
        return times;
    }
}
