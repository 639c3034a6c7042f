using System.Text.RegularExpressions;

namespace OpsConsole.Web.Features.Sessions;

/// <summary>
/// "Chrome 156 on Linux" from a User-Agent header, for people to recognise their own sign-ins. It
/// names only what it recognises; anything else is "Unknown browser" with the raw header kept for a tooltip.
/// </summary>
public static partial class UserAgents
{
    // Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
    private static readonly (string Name, Regex Pattern)[] Browsers =
    [
        ("Edge", EdgePattern()),
        ("Opera", OperaPattern()),
        ("Firefox", FirefoxPattern()),
        ("Chrome", ChromePattern()),
        ("Safari", SafariPattern()),
        ("curl", CurlPattern()),
    ];

    public static string Describe(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return "Unknown browser";
        }
        var ua = userAgent.Length > UserSession.MaxUserAgentLength ? userAgent[..UserSession.MaxUserAgentLength] : userAgent;
        var browser = "Unknown browser";
        foreach (var (name, pattern) in Browsers)
        {
            var m = pattern.Match(ua);
            if (m.Success)
            {
                browser = name + " " + m.Groups["v"].Value;
                break;
            }
        }
        if (ua.Contains("HeadlessChrome", StringComparison.Ordinal))
        {
            browser = "Headless " + browser;
        }
        return OperatingSystem(ua) is { } os ? $"{browser} on {os}" : browser;
    }

    private static string? OperatingSystem(string ua) =>
        ua.Contains("Windows", StringComparison.Ordinal) ? "Windows"
        : ua.Contains("Android", StringComparison.Ordinal) ? "Android"
        : ua.Contains("iPhone", StringComparison.Ordinal) || ua.Contains("iPad", StringComparison.Ordinal) ? "iOS"
        : ua.Contains("Mac OS X", StringComparison.Ordinal) ? "macOS"
        : ua.Contains("CrOS", StringComparison.Ordinal) ? "ChromeOS"
        : ua.Contains("Linux", StringComparison.Ordinal) ? "Linux"
        : null;

    [GeneratedRegex(@"\bEdg(?:e|A|iOS)?/(?<v>\d{1,4})", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 50)]
    private static partial Regex EdgePattern();

    [GeneratedRegex(@"\bOPR/(?<v>\d{1,4})", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 50)]
    private static partial Regex OperaPattern();

    [GeneratedRegex(@"\b(?:Firefox|FxiOS)/(?<v>\d{1,4})", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 50)]
    private static partial Regex FirefoxPattern();

    [GeneratedRegex(@"\b(?:HeadlessChrome|Chrome|CriOS)/(?<v>\d{1,4})", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 50)]
    private static partial Regex ChromePattern();

    [GeneratedRegex(@"\bVersion/(?<v>\d{1,4})(?:\.\d+)*(?: Mobile/\S+)? Safari/", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 50)]
    private static partial Regex SafariPattern();

    [GeneratedRegex(@"^curl/(?<v>\d{1,4}(?:\.\d{1,4}){0,2})", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 50)]
    private static partial Regex CurlPattern();
}
