using System.Diagnostics;

namespace OpsConsole.Benchmarks;

/// <summary>Average cores used during a phase: by the app, by this client, and by everything else on the machine.</summary>
public sealed record CpuUsage(double AppCores, double ClientCores, double? OtherCores);

/// <summary>
/// Measures who used the CPU during a phase. Client and app share this machine's cores, and other
/// work (a concurrent build or test run) skews the figures; this makes that visible in the output.
/// </summary>
public sealed class CpuMeter
{
    // /proc/stat counts in USER_HZ, which is 100 on every Linux the benchmark is meant for.
    private const double TicksPerSecond = 100;

    private readonly AppProcess? _app;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly TimeSpan _appStart;
    private readonly TimeSpan _selfStart;
    private readonly double? _machineStart;

    private CpuMeter(AppProcess? app)
    {
        _app = app;
        _appStart = app?.CpuTime ?? TimeSpan.Zero;
        _selfStart = Process.GetCurrentProcess().TotalProcessorTime;
        _machineStart = MachineBusySeconds();
    }

    /// <summary>Starts measuring; <paramref name="app"/> is null for phases without the app (the baseline).</summary>
    public static CpuMeter Start(AppProcess? app) => new(app);

    public CpuUsage Stop()
    {
        var wall = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        var app = ((_app?.CpuTime ?? TimeSpan.Zero) - _appStart).TotalSeconds;
        var self = (Process.GetCurrentProcess().TotalProcessorTime - _selfStart).TotalSeconds;
        var machine = MachineBusySeconds() - _machineStart;
        double? other = machine is { } m ? Math.Max(0, m - app - self) / wall : null;
        return new CpuUsage(app / wall, self / wall, other);
    }

    /// <summary>CPU seconds all processes have spent busy since boot, or null off Linux.</summary>
    private static double? MachineBusySeconds()
    {
        try
        {
            var first = File.ReadLines("/proc/stat").First();
            var fields = first.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
            // user nice system idle iowait irq softirq steal …: busy is all but idle and iowait.
            var busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + (fields.Length > 7 ? fields[7] : 0);
            return busy / TicksPerSecond;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
