using System.Globalization;
using System.Text.RegularExpressions;

namespace OpsConsole.Web.Components.Shared;

/// <summary>
/// The zone every time in the console is shown in: UTC (the default) or the browser's own zone,
/// as the person chose on the settings page. Two cookies carry it (written by
/// wwwroot-assets/src/theme.js): <see cref="ChoiceCookie"/> ("utc" or "browser") and
/// <see cref="BrowserCookie"/> (the browser's IANA zone, refreshed on every page load). The server
/// reads them once per page (App.razor) and cascades the result, so the first response already shows
/// the right zone. Every time shown names its zone ("UTC" or an offset such as "UTC+5:30").
/// </summary>
public sealed partial class DisplayZone
{
    public const string ChoiceCookie = "ops-tz";
    public const string BrowserCookie = "ops-browser-tz";
    public const string UtcChoice = "utc";
    public const string BrowserChoice = "browser";

    public static readonly DisplayZone Utc = new(TimeZoneInfo.Utc, isUtc: true, chosenBrowser: false, browserZoneId: null);

    private DisplayZone(TimeZoneInfo zone, bool isUtc, bool chosenBrowser, string? browserZoneId)
    {
        Zone = zone;
        IsUtc = isUtc;
        ChoseBrowser = chosenBrowser;
        BrowserZoneId = browserZoneId;
    }

    public TimeZoneInfo Zone { get; }

    /// <summary>Times are shown in UTC (chosen, or the browser's zone is unknown here).</summary>
    public bool IsUtc { get; }

    /// <summary>The person chose the browser's zone (even when it could not be used).</summary>
    public bool ChoseBrowser { get; }

    /// <summary>The browser's IANA zone as it reported it, when it is a valid one this server knows.</summary>
    public string? BrowserZoneId { get; }

    /// <summary>The zone the cookies ask for; anything malformed or unknown falls back to UTC.</summary>
    public static DisplayZone FromCookies(string? choice, string? browserZone)
    {
        var browser = Find(browserZone);
        var id = browser is null ? null : browserZone;
        if (choice != BrowserChoice)
        {
            return id is null ? Utc : new DisplayZone(TimeZoneInfo.Utc, isUtc: true, chosenBrowser: false, id);
        }
        return browser is null
            ? new DisplayZone(TimeZoneInfo.Utc, isUtc: true, chosenBrowser: true, null)
            : new DisplayZone(browser, isUtc: false, chosenBrowser: true, id);
    }

    /// <summary>A zone by IANA id, only when the id has the shape of one (no path tricks, bounded) and the server knows it.</summary>
    public static TimeZoneInfo? Find(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 64 || !IanaId().IsMatch(id) || id.Contains("..", StringComparison.Ordinal))
        {
            return null;
        }
        return TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : null;
    }

    /// <summary>A stored time (UTC, whatever Kind the database gave it) in this zone.</summary>
    public DateTime ToZone(DateTime utc) =>
        IsUtc ? DateTime.SpecifyKind(utc, DateTimeKind.Utc) : TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Unspecified), Zone);

    /// <summary>The zone's name at that moment: "UTC", or the offset then in force ("UTC+1", "UTC+5:30", "UTC−3").</summary>
    public string Label(DateTime utc) => IsUtc ? "UTC" : OffsetLabel(Zone.GetUtcOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)));

    public static string OffsetLabel(TimeSpan offset)
    {
        if (offset == TimeSpan.Zero)
        {
            return "UTC";
        }
        var sign = offset < TimeSpan.Zero ? "−" : "+";
        var abs = offset.Duration();
        return abs.Minutes == 0
            ? $"UTC{sign}{abs.Hours.ToString(CultureInfo.InvariantCulture)}"
            : $"UTC{sign}{abs.Hours.ToString(CultureInfo.InvariantCulture)}:{abs.Minutes.ToString("00", CultureInfo.InvariantCulture)}";
    }

    /// <summary>The time in this zone with its zone named: "2026-12-02 14:05 UTC+5:30".</summary>
    public string Format(DateTime utc, string format = "yyyy-MM-dd HH:mm") =>
        ToZone(utc).ToString(format, CultureInfo.InvariantCulture) + " " + Label(utc);

    /// <summary>The time without the zone, for a column whose header names it (see <see cref="ColumnLabel"/>).</summary>
    public string FormatBare(DateTime utc, string format = "yyyy-MM-dd HH:mm") =>
        ToZone(utc).ToString(format, CultureInfo.InvariantCulture);

    /// <summary>The zone for a column header: "UTC", or the offset now (a column spanning a DST change names each cell's own in its tooltip).</summary>
    public string ColumnLabel(DateTime nowUtc) => Label(nowUtc);

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$", RegexOptions.CultureInvariant)]
    private static partial Regex IanaId();
}
