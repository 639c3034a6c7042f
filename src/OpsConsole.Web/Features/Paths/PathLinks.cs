using System.Globalization;

namespace OpsConsole.Web.Features.Paths;

/// <summary>
/// Addresses of a path's pages that features below those pages link to (an incident links its
/// dashboard window), so the link needs no reference to the page above it.
/// </summary>
public static class PathLinks
{
    /// <summary>How a linked window's start and end are written in the address (UTC, to the minute).</summary>
    public const string InstantFormat = "yyyy-MM-dd'T'HH:mm'Z'";

    /// <summary>The dashboard of [<paramref name="from"/>, <paramref name="to"/>); the page fits it to whole intervals of its data.</summary>
    public static string Dashboard(string slug, DateTime from, DateTime to) =>
        $"/paths/{Uri.EscapeDataString(slug)}/dashboard?range=window&from={Instant(from, ceiling: false)}&to={Instant(to, ceiling: true)}";

    private static string Instant(DateTime at, bool ceiling)
    {
        var minute = new DateTime(at.Ticks - at.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
        return (ceiling && minute < at ? minute.AddMinutes(1) : minute).ToString(InstantFormat, CultureInfo.InvariantCulture);
    }
}
