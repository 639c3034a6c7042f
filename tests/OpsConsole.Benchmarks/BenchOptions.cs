using System.Globalization;

namespace OpsConsole.Benchmarks;

/// <summary>Command-line settings of one benchmark run.</summary>
public sealed class BenchOptions
{
    public const int BatchSize = 100;
    public const int ExplorerTargetRows = 1_000_000;
    public const int ExplorerRuns = 20;

    public int Events { get; private set; } = 200_000;
    public int Clients { get; private set; } = 4;
    public int WatcherEvents { get; private set; } = 40_000;
    public bool SkipWatcher { get; private set; }
    public bool SkipExplorer { get; private set; }
    /// <summary>Release or Debug to force that build of the web app; null picks it (see <see cref="AppBuild.Locate"/>).</summary>
    public string? AppConfiguration { get; private set; }
    /// <summary>Run only the SignalR push benchmark (<c>--push</c>).</summary>
    public bool PushOnly { get; private set; }
    /// <summary>Leave the push benchmark out of the default run (<c>--skip-push</c>).</summary>
    public bool SkipPush { get; private set; }
    /// <summary>Measured seconds of paced traffic per push phase.</summary>
    public int PushSeconds { get; private set; } = 30;
    /// <summary>Hub connections of the second push phase (the first always has one).</summary>
    public int PushClients { get; private set; } = 100;

    /// <summary>Run only the dashboard benchmark (<c>--dashboard</c>).</summary>
    public bool DashboardOnly { get; private set; }
    /// <summary>Leave the dashboard benchmark out of the default run (<c>--skip-dashboard</c>).</summary>
    public bool SkipDashboard { get; private set; }

    /// <summary>Run only the decision benchmarks (<c>--decision</c>): endpoint, local evaluation, kill-switch propagation.</summary>
    public bool DecisionOnly { get; private set; }
    /// <summary>Leave the decision benchmarks out of the default run (<c>--skip-decision</c>).</summary>
    public bool SkipDecision { get; private set; }

    /// <summary>
    /// Run only the scale-out benchmarks on PostgreSQL and Redis (<c>--scaleout</c>); they need the servers
    /// of <c>.ci/test-servers.sh</c>, so they are never part of the default run.
    /// </summary>
    public bool ScaleOutOnly { get; private set; }

    /// <summary>Of the scale-out part, only (1): the COPY baseline and one instance (<c>--scaleout-ingestion</c>), to iterate on the writer.</summary>
    public bool ScaleOutIngestionOnly { get; private set; }

    /// <summary>
    /// Run only the traces benchmark (<c>--traces</c>): the same inference events through the events API
    /// and as OTLP spans through <c>/v1/traces</c>.
    /// </summary>
    public bool TracesOnly { get; private set; }

    /// <summary>
    /// Run only the trace-tab benchmark (<c>--trace-tab</c>): the event page's trace tab for a trace of
    /// 1,000 spans against the same page without the trace and against a 4-span trace.
    /// </summary>
    public bool TraceTabOnly { get; private set; }

    /// <summary>
    /// Run only the budget benchmark (<c>--budget</c>): the same events through the events API to a path
    /// without a budget and to one with a budget (checked after every commit; its first warning fires late in the run).
    /// </summary>
    public bool BudgetOnly { get; private set; }

    /// <summary>Inference events per phase of the traces benchmark: <c>--events</c> when given, else 20,000.</summary>
    public int TraceEvents => _eventsGiven ? Events : 20_000;

    private bool _eventsGiven;

    private bool Only => PushOnly || DashboardOnly || DecisionOnly || ScaleOutOnly || TracesOnly || TraceTabOnly || BudgetOnly;
    public bool RunIngestion => !Only;
    public bool RunPush => PushOnly || (!SkipPush && !Only);
    public bool RunDashboard => DashboardOnly || (!SkipDashboard && !Only);
    public bool RunDecision => DecisionOnly || (!SkipDecision && !Only);
    public bool RunScaleOut => ScaleOutOnly;
    public bool RunTraces => TracesOnly;
    public bool RunTraceTab => TraceTabOnly;
    public bool RunBudget => BudgetOnly;

    public const string Usage =
        "usage: dotnet run --project tests/OpsConsole.Benchmarks -c Release -- " +
        "[--events N] [--clients C] [--watcher-events N] [--skip-watcher] [--skip-explorer] [--app-config Release|Debug] " +
        "[--push | --skip-push] [--push-seconds N] [--push-clients N] [--dashboard | --skip-dashboard] [--decision | --skip-decision] [--scaleout | --scaleout-ingestion] [--traces] [--trace-tab] [--budget]";

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> with a readable message on a bad one.</summary>
    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--events":
                    o.Events = Count(args, ref i, min: BatchSize);
                    o._eventsGiven = true;
                    break;
                case "--clients":
                    o.Clients = Count(args, ref i, min: 1);
                    break;
                case "--watcher-events":
                    o.WatcherEvents = Count(args, ref i, min: BatchSize);
                    break;
                case "--skip-watcher":
                    o.SkipWatcher = true;
                    break;
                case "--skip-explorer":
                    o.SkipExplorer = true;
                    break;
                case "--app-config":
                    if (i + 1 >= args.Length || args[i + 1] is not ("Release" or "Debug"))
                    {
                        throw new ArgumentException($"--app-config needs Release or Debug.\n{Usage}");
                    }
                    o.AppConfiguration = args[++i];
                    break;
                case "--push":
                    o.PushOnly = true;
                    break;
                case "--skip-push":
                    o.SkipPush = true;
                    break;
                case "--budget":
                    o.BudgetOnly = true;
                    break;
                case "--dashboard":
                    o.DashboardOnly = true;
                    break;
                case "--skip-dashboard":
                    o.SkipDashboard = true;
                    break;
                case "--decision":
                    o.DecisionOnly = true;
                    break;
                case "--skip-decision":
                    o.SkipDecision = true;
                    break;
                case "--scaleout":
                    o.ScaleOutOnly = true;
                    break;
                case "--scaleout-ingestion":
                    o.ScaleOutOnly = true;
                    o.ScaleOutIngestionOnly = true;
                    break;
                case "--traces":
                    o.TracesOnly = true;
                    break;
                case "--trace-tab":
                    o.TraceTabOnly = true;
                    break;
                case "--push-seconds":
                    o.PushSeconds = Count(args, ref i, min: 1);
                    break;
                case "--push-clients":
                    o.PushClients = Count(args, ref i, min: 1);
                    break;
                case "-h" or "--help":
                    throw new ArgumentException(Usage);
                default:
                    throw new ArgumentException($"unknown argument '{args[i]}'.\n{Usage}");
            }
        }
        if (o.PushOnly && o.SkipPush)
        {
            throw new ArgumentException($"--push and --skip-push exclude each other.\n{Usage}");
        }
        if (new[] { o.PushOnly, o.DashboardOnly, o.DecisionOnly, o.ScaleOutOnly, o.TracesOnly, o.TraceTabOnly }.Count(x => x) > 1 || (o.DashboardOnly && o.SkipDashboard) || (o.DecisionOnly && o.SkipDecision))
        {
            throw new ArgumentException($"--push, --dashboard, --decision, --scaleout, --traces and --trace-tab each run only that benchmark: pick one, and not with its --skip-.\n{Usage}");
        }
        if (o.Events > ExplorerTargetRows)
        {
            throw new ArgumentException($"--events may be at most {ExplorerTargetRows:N0} (the explorer check fills the path up to that many rows).");
        }
        return o;
    }

    private static int Count(string[] args, ref int i, int min)
    {
        var name = args[i];
        if (i + 1 >= args.Length
            || !int.TryParse(args[i + 1].Replace("_", "").Replace(",", ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            || value < min)
        {
            throw new ArgumentException($"{name} needs a whole number of at least {min}.\n{Usage}");
        }
        i++;
        return value;
    }
}
