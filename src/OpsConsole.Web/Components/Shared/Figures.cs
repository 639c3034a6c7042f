using System.Globalization;

namespace OpsConsole.Web.Components.Shared;

/// <summary>
/// How figures read on every page. A figure is whatever the database holds: ingestion bounds each
/// event, but sums over years, rows written before a bound existed or edited by hand can be huge,
/// infinite or not a number. Such a figure reads "out of range" instead of breaking the page.
/// </summary>
public static class Figures
{
    public const string OutOfRange = "out of range";
    private const string None = "—";
    /// <summary>Past this a figure carries no meaning for a person (a trillion ms or dollars).</summary>
    private const double Largest = 1e12;

    private static bool Shown(double v) => double.IsFinite(v) && Math.Abs(v) <= Largest;

    /// <summary>A share (0.123 → "12.3%").</summary>
    public static string Pct(double? v, int decimals = 1) =>
        v is not { } x ? None : Shown(x) && Math.Abs(x) <= 1e6 ? x.ToString("P" + decimals, CultureInfo.InvariantCulture) : OutOfRange;

    public static string Ms(double? v) => v is not { } x ? None : Shown(x) ? $"{x.ToString("N0", CultureInfo.InvariantCulture)} ms" : OutOfRange;

    public static string Usd(double? v, int decimals = 4) =>
        v is not { } x ? None : Shown(x) ? "$" + x.ToString("F" + decimals, CultureInfo.InvariantCulture) : OutOfRange;

    /// <summary>A dollar total with thousands separators.</summary>
    public static string UsdTotal(double v) => Shown(v) ? "$" + v.ToString("N2", CultureInfo.InvariantCulture) : OutOfRange;

    /// <summary>A change against the previous period, formatted by <paramref name="format"/> when both ends are readable.</summary>
    public static string Change(double? now, double? then, Func<double, string> format) =>
        now is not { } a || then is not { } b ? "no previous data"
        : Shown(a) && Shown(b) ? $"{format(a - b)} vs previous" : OutOfRange;
}
