using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace OpsConsole.Client.Sample;

internal sealed record SampleArgs(Uri Url, string Key, string Path, int Seconds, double Rate, bool Otlp = false, int Traces = 20)
{
    public const string Usage = """
        Usage: OpsConsole.Client.Sample --url <console url> --key <api key> [--path <slug>] [--seconds <n>] [--rate <per second>]
               OpsConsole.Client.Sample --otlp --url <console url> --key <api key> [--path <slug>] [--traces <n>]
          --url      the console, e.g. http://127.0.0.1:5080
          --key      an API key with decisions:read and events:write
          --path     the operating path (default support-reply-draft)
          --seconds  how long to run; 0 runs until Ctrl+C (default 30)
          --rate     fake requests per second (default 20)
          --otlp     instead: send agent traces with the OpenTelemetry SDK (OTLP http/protobuf to /v1/traces); needs events:write
          --traces   with --otlp, how many agent traces to send (default 20)
        """;

    /// <summary>Reads the command line; false with a null problem means help was asked for.</summary>
    public static bool TryParse(string[] args, [NotNullWhen(true)] out SampleArgs? parsed, out string? problem)
    {
        parsed = null;
        problem = null;
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var otlp = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "-h" or "--help")
            {
                return false;
            }
            if (args[i] == "--otlp")
            {
                otlp = true;
                continue;
            }
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                problem = $"Unexpected argument '{args[i]}'.";
                return false;
            }
            values[args[i][2..]] = args[++i];
        }
        if (!values.TryGetValue("url", out var url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            problem = "--url is required: the console's address, e.g. http://127.0.0.1:5080.";
            return false;
        }
        if (!values.TryGetValue("key", out var key) || string.IsNullOrWhiteSpace(key))
        {
            problem = "--key is required: an API key of the console.";
            return false;
        }
        var seconds = 30;
        if (values.TryGetValue("seconds", out var s) && (!int.TryParse(s, CultureInfo.InvariantCulture, out seconds) || seconds < 0))
        {
            problem = "--seconds must be a whole number, 0 or more.";
            return false;
        }
        var rate = 20.0;
        if (values.TryGetValue("rate", out var r) && (!double.TryParse(r, CultureInfo.InvariantCulture, out rate) || rate is <= 0 or > 1000))
        {
            problem = "--rate must be a number between 0 and 1000.";
            return false;
        }
        var traces = 20;
        if (values.TryGetValue("traces", out var t) && (!int.TryParse(t, CultureInfo.InvariantCulture, out traces) || traces is < 1 or > 100_000))
        {
            problem = "--traces must be a whole number between 1 and 100000.";
            return false;
        }
        parsed = new SampleArgs(uri, key, values.GetValueOrDefault("path", "support-reply-draft"), seconds, rate, otlp, traces);
        return true;
    }
}
