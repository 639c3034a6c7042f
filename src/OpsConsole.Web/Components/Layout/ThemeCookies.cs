namespace OpsConsole.Web.Components.Layout;

/// <summary>
/// Light or dark for the first response, so a page is never painted light and then switched:
/// the person's choice if they made one, else the OS preference the browser reported last
/// (both written by wwwroot-assets/src/theme.js).
/// </summary>
public static class ThemeCookies
{
    public const string Choice = "ops-theme";
    public const string System = "ops-os-theme";

    public static bool IsDark(IRequestCookieCollection cookies) =>
        (Valid(cookies[Choice]) ?? Valid(cookies[System])) == "dark";

    private static string? Valid(string? value) => value is "dark" or "light" ? value : null;
}
