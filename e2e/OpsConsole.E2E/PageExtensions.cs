namespace OpsConsole.E2E;

public static class PageExtensions
{
    /// <summary>Only an interactive render handles clicks; the layout marks it (see MainLayout).</summary>
    public static Task WaitForInteractiveAsync(this IPage page) =>
        page.Locator("#render-state[data-interactive='true']").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    /// <summary>
    /// Signs in as a person would, second factor included: an Admin's first sign-in on a console process
    /// enrols an authenticator (the key read from the page, the code computed by <see cref="OpsConsole.Tests.Infrastructure.TestTotp"/>);
    /// later ones bring the remembered-browser cookie or type a fresh code. A refused password stays on the sign-in page.
    /// </summary>
    public static async Task SignInAsync(this IPage page, string email, string password = AppFixture.Password, string? returnUrl = null)
    {
        await page.GotoAsync(returnUrl is null ? "/account/login" : $"/account/login?ReturnUrl={Uri.EscapeDataString(returnUrl)}");
        var baseUrl = BaseUrlOf(page);
        if (Authenticators.Of(baseUrl, email)?.Remembered is { } remembered)
        {
            await page.Context.AddCookiesAsync([remembered]);
        }
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.NavigatingAsync(() => page.ClickAsync("[data-testid=login-submit]"));
        var path = new Uri(page.Url).AbsolutePath;
        if (path == "/account/mfa")
        {
            await page.EnrolAuthenticatorAsync(email);
            await page.NavigatingAsync(() => page.ClickAsync("[data-testid=mfa-continue]"));
        }
        else if (path == "/account/login-2fa")
        {
            var state = Authenticators.Of(baseUrl, email) ?? throw new InvalidOperationException($"{email} has an authenticator this console process was not seen to enrol.");
            await page.FillAsync("#code", await Authenticators.NextCodeAsync(state));
            await page.CheckAsync("#remember-browser");
            await page.NavigatingAsync(() => page.ClickAsync("[data-testid=mfa-submit]"));
            state.Remembered = (await page.Context.CookiesAsync()).FirstOrDefault(c => c.Name == "opsconsole.mfa-remember") is { } c
                ? new Cookie { Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path, Expires = c.Expires, HttpOnly = c.HttpOnly, Secure = c.Secure, SameSite = c.SameSite }
                : state.Remembered;
        }
    }

    /// <summary>Runs an action that makes a full page load (a form post, a link) and waits until the new page has loaded.</summary>
    public static async Task NavigatingAsync(this IPage page, Func<Task> action)
    {
        var loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLoad(object? sender, IPage p) => loaded.TrySetResult();
        page.Load += OnLoad;
        try
        {
            await action();
            await loaded.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            page.Load -= OnLoad;
        }
    }

    /// <summary>On the enrolment page: reads the key, types the current code, and keeps the recovery codes shown.</summary>
    public static async Task<Authenticators.State> EnrolAuthenticatorAsync(this IPage page, string email)
    {
        var key = (await page.Locator("[data-testid=mfa-key]").TextContentAsync() ?? "").Replace(" ", "", StringComparison.Ordinal).Trim();
        var step = OpsConsole.Tests.Infrastructure.TestTotp.StepAt(DateTimeOffset.UtcNow);
        await page.FillAsync("#code", OpsConsole.Tests.Infrastructure.TestTotp.CodeAt(key, step));
        await page.NavigatingAsync(() => page.ClickAsync("[data-testid=mfa-enable]"));
        var codes = await page.Locator("[data-testid=recovery-code]").AllTextContentsAsync();
        if (codes.Count == 0)
        {
            var errors = await page.Locator("[data-testid=mfa-error]").AllTextContentsAsync();
            throw new InvalidOperationException($"Enrolment of {email} showed no recovery codes: {(errors.Count > 0 ? errors[0] : page.Url)}");
        }
        return Authenticators.Enrolled(BaseUrlOf(page), email, key, step, codes.ToList());
    }

    private static string BaseUrlOf(IPage page) =>
        Uri.TryCreate(page.Url, UriKind.Absolute, out var u) && u.Scheme.StartsWith("http", StringComparison.Ordinal)
            ? u.GetLeftPart(UriPartial.Authority)
            : throw new InvalidOperationException("Call after the page has a URL of the console.");

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

    /// <summary>
    /// Picks an item of a MudSelect and waits until the select shows it. The item's click reaches the server
    /// before a later click, but the select sets its value only after its own round trip to the browser, so a
    /// button pressed at once could be handled while the old value is still bound.
    /// </summary>
    public static async Task ChooseAsync(this IPage page, string select, string item, string? shows = null)
    {
        await page.ClickAsync(select);
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasTextString = item }).First.ClickAsync();
        // The select's combobox (where data-testid lands) shows the chosen item's text; the value sits in a hidden input.
        await page.WaitForFunctionAsync(
            """
            ([select, text]) => {
                const box = document.querySelector(select);
                return !!box && box.getAttribute('aria-expanded') === 'false' && box.textContent.trim() === text;
            }
            """,
            new[] { select, shows ?? item });
    }

    /// <summary>
    /// Waits until the keyboard focus is on the element matching <paramref name="selector"/>. When it does not
    /// get there, the failure says where the focus is instead (and what the page shows, in a screenshot named
    /// after the test's step), so a run that fails once on a loaded machine can be read afterwards.
    /// </summary>
    public static async Task FocusedAsync(this IPage page, string selector, float timeoutMs = 15_000)
    {
        try
        {
            await page.WaitForFunctionAsync("s => !!document.activeElement && document.activeElement.matches(s)", selector,
                new() { Timeout = timeoutMs });
        }
        catch (TimeoutException)
        {
            var where = await page.EvaluateAsync<string>(
                """
                () => {
                  const a = document.activeElement;
                  if (!a) return 'nothing';
                  const d = a.dataset?.testid ? ` data-testid="${a.dataset.testid}"` : '';
                  const c = typeof a.className === 'string' && a.className ? ` class="${a.className.slice(0, 80)}"` : '';
                  return `<${a.tagName.toLowerCase()}${a.id ? ` id="${a.id}"` : ''}${d}${c}> in a document that ${document.hasFocus() ? 'has' : 'does not have'} the focus`;
                }
                """);
            var shot = Path.Combine(AppFixture.ArtifactsDir, $"FAILED-focus-{DateTime.UtcNow:HHmmssfff}.png");
            await page.ScreenshotAsync(new() { Path = shot });
            throw new TimeoutException($"The focus did not reach {selector} within {timeoutMs / 1000:0.#} s; it is on {where} (screenshot {Path.GetFileName(shot)}).");
        }
    }

    /// <summary>
    /// Presses a key inside the dialog just opened, once the dialog holds the focus: a MudDialog listens for
    /// Escape within itself, and the focus moves there a moment after it is drawn (tens of milliseconds, more
    /// on a loaded machine). A key pressed before that reaches the page behind, as it would for a person.
    /// </summary>
    public static async Task PressInDialogAsync(this IPage page, string key)
    {
        await page.WaitForFunctionAsync("() => !!document.activeElement?.closest('.mud-dialog')");
        await page.Keyboard.PressAsync(key);
    }
}
