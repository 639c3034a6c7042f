namespace OpsConsole.E2E;

public static class PageExtensions
{
    /// <summary>Only an interactive render handles clicks; the layout marks it (see MainLayout).</summary>
    public static Task WaitForInteractiveAsync(this IPage page) =>
        page.Locator("#render-state[data-interactive='true']").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    public static async Task SignInAsync(this IPage page, string email, string password = AppFixture.Password, string? returnUrl = null)
    {
        await page.GotoAsync(returnUrl is null ? "/account/login" : $"/account/login?ReturnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("[data-testid=login-submit]");
    }

    public static async Task SignedInAsync(this IPage page, string email, string? returnUrl = null)
    {
        await page.SignInAsync(email, returnUrl: returnUrl);
        await page.WaitForURLAsync(url => !url.Contains("/account/login"));
        await page.WaitForInteractiveAsync();
    }

    /// <summary>Opens a page of the already signed-in context and waits until it is interactive.</summary>
    public static async Task OpenAsync(this IPage page, string url)
    {
        try
        {
            await page.GotoAsync(url);
        }
        catch (PlaywrightException ex) when (ex.Message.Contains("net::ERR_ABORTED", StringComparison.Ordinal))
        {
            // Chromium aborts a navigation that another one overtakes. Seen once (CI-like fresh run,
            // 2026-12-02) right after a reload of the dashboard; the page the test asked for is what it
            // checks, so ask once more. A second abort fails the test.
            await page.GotoAsync(url);
        }
        await page.WaitForInteractiveAsync();
    }

    /// <summary>The whole page; scrolled to the top first, or the fixed app bar is drawn where the view was.</summary>
    public static async Task ScreenshotAsync(this IPage page, string name)
    {
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppFixture.ArtifactsDir, name + ".png"), FullPage = true });
    }

    /// <summary>What the person sees now, where they are scrolled to.</summary>
    public static async Task ScreenshotViewportAsync(this IPage page, string name) =>
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppFixture.ArtifactsDir, name + ".png") });

    /// <summary>
    /// Types the reason into the kill switch's dialog once the dialog has settled, as a person does: the
    /// field takes the focus after the dialog's last render, and text typed into a field that a render then
    /// replaces is lost before it reaches the server.
    /// </summary>
    public static async Task TypeKillReasonAsync(this IPage page, string reason)
    {
        var field = page.Locator("#kill-reason");
        await Assertions.Expect(field).ToBeFocusedAsync();
        await field.FillAsync(reason);
        await Assertions.Expect(field).ToHaveValueAsync(reason);
    }
}
