using System.Text.Json.Nodes;

namespace OpsConsole.E2E;

/// <summary>
/// The console on a laptop, on a phone and in dark mode: columns that matter stay on screen, sign-out
/// stays reachable, each chart is drawn once, and the theme holds from the first paint on.
/// </summary>
public sealed class LayoutJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    private const string DarkBackground = "rgb(17, 24, 39)";

    /// <summary>A fresh browser context whose OS prefers the given colour scheme.</summary>
    private async Task<IPage> NewPageAsync(int width, int height, ColorScheme scheme = ColorScheme.Light)
    {
        var context = await app.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.BaseUrl,
            ViewportSize = new() { Width = width, Height = height },
            ColorScheme = scheme,
        });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        // What the browser shows before Blazor has started: the background at DOMContentLoaded of every document.
        await page.AddInitScriptAsync("document.addEventListener('DOMContentLoaded', () => { window.__firstPaintBackground = getComputedStyle(document.body).backgroundColor; })");
        return page;
    }

    private static Task<string> FirstPaintBackgroundAsync(IPage page) => page.EvaluateAsync<string>("() => window.__firstPaintBackground");

    private static ILocator SignOut(IPage page) => page.Locator("form[action='account/logout'] button:visible").First;

    private static Task<string?> ThemeAsync(IPage page) => page.Locator("html").GetAttributeAsync("data-theme");

    /// <summary>Waits until every chart on the page has drawn, then a little longer for a late re-theme to draw again.</summary>
    private static async Task<(int Charts, int Drawn)> ChartsAsync(IPage page)
    {
        await page.WaitForFunctionAsync("() => { const c = [...document.querySelectorAll('.ops-chart')]; return c.length > 0 && c.every(e => e.querySelector('.apexcharts-canvas')); }");
        await Task.Delay(1500, TestContext.Current.CancellationToken);
        return (await page.Locator(".ops-chart").CountAsync(), await page.Locator(".ops-chart .apexcharts-canvas").CountAsync());
    }

    /// <summary>
    /// How far the page scrolls sideways, and what content is cut off: past the screen's edge, or past the
    /// edge of a box that hides its overflow, without a horizontal scroller in between to reach it.
    /// </summary>
    private static async Task<(int ScrollWidth, string[] Cut)> OverflowAsync(IPage page)
    {
        var result = await page.EvaluateAsync<System.Text.Json.JsonElement>("""
            () => {
              const vw = document.documentElement.clientWidth;
              const main = document.querySelector('.mud-main-content') || document.body;
              const cut = [];
              for (const el of main.querySelectorAll('*')) {
                if (el.children.length > 0 || el.closest('svg')) continue;
                const r = el.getBoundingClientRect();
                if (r.width === 0 || r.height === 0) continue;
                let reachable = false, clipped = false;
                for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
                  const s = getComputedStyle(a), b = a.getBoundingClientRect();
                  if (['auto', 'scroll'].includes(s.overflowX) && b.right <= vw + 1) { reachable = true; break; }
                  if (['hidden', 'clip'].includes(s.overflowX) && (r.right > b.right + 1 || r.left < b.left - 1)) { clipped = true; break; }
                }
                if (clipped || (!reachable && (r.right > vw + 1 || r.left < -1))) {
                  cut.push(`${el.tagName.toLowerCase()} "${(el.textContent || '').trim().slice(0, 30)}" ${Math.round(r.left)}–${Math.round(r.right)}`);
                }
              }
              return { scrollWidth: document.documentElement.scrollWidth, cut };
            }
            """);
        return (result.GetProperty("scrollWidth").GetInt32(), [.. result.GetProperty("cut").EnumerateArray().Select(c => c.GetString()!)]);
    }

    /// <summary>Layout problems of one test, all listed at its end rather than only the first.</summary>
    private readonly List<string> _problems = [];

    private async Task CheckOnScreenAsync(ILocator locator, int width, string what)
    {
        var box = await locator.BoundingBoxAsync();
        if (box is null)
        {
            _problems.Add($"{what} is not shown");
        }
        else if (box.X < 0 || box.X + box.Width > width)
        {
            _problems.Add($"{what} spans {box.X:0}–{box.X + box.Width:0} px, outside the {width} px screen");
        }
    }

    private async Task PostAsync(string path, IEnumerable<JsonObject> events)
    {
        using var response = await EventsApi.PostAsync(app.BaseUrl, EventsApi.DemoKey, events.Select(e =>
        {
            e["path"] = path;
            e["occurredAt"] = DateTime.UtcNow.AddSeconds(-1).ToString("O");
            return e;
        }));
        Assert.True(response.IsSuccessStatusCode);
    }

    /// <summary>Two keys of the admin's: one active on two paths, one revoked (the longest status there is).</summary>
    private static async Task CreateKeysAsync(IPage page)
    {
        await page.OpenAsync("/keys");
        foreach (var revoke in new[] { true, false })
        {
            var name = "layout-key-" + Guid.NewGuid().ToString("N")[..6];
            await page.ClickAsync("[data-testid=new-key]");
            await page.FillAsync("#key-name", name);
            await page.ClickAsync("[data-testid=key-path-support-reply-draft]");
            await page.ClickAsync("[data-testid=key-path-ticket-triage]");
            await page.ClickAsync("[data-testid=create-key]");
            await page.ClickAsync("[data-testid=secret-done]");
            await page.Locator("tr", new() { HasTextString = name }).WaitForAsync();
            if (revoke)
            {
                await page.ClickAsync($"[data-testid=revoke-{name}]");
                await page.ClickAsync("[data-testid=confirm-revoke]");
                await page.Locator("tr", new() { HasTextString = name }).Locator("text=revoked").WaitForAsync();
            }
        }
    }

    [Fact]
    public async Task Dashboard_OsPrefersDark_EachChartDrawnOnceInDark()
    {
        await PostAsync("support-reply-draft", Enumerable.Range(0, 20).Select(i => new JsonObject
        {
            ["eventId"] = "layout-dark-" + Guid.NewGuid().ToString("N"),
            ["confidence"] = 0.3 + i / 40.0,
            ["latencyMs"] = 700 + i * 10,
            ["outcome"] = i % 7 == 0 ? "error" : "ok",
            ["errorCode"] = i % 7 == 0 ? "upstream_timeout" : null,
            ["output"] = "draft",
        }));
        foreach (var (width, height) in new[] { (1280, 800), (390, 844) })
        {
            var page = await NewPageAsync(width, height, ColorScheme.Dark);
            // A slow network: every chart is still waiting for its module when the page learns it is dark.
            await page.RouteAsync("**/lib/opsconsole/charts.js", async route =>
            {
                await Task.Delay(1500);
                await route.ContinueAsync();
            });
            await page.SignedInAsync("owner@opsconsole.local", "/paths/support-reply-draft/dashboard");
            var (charts, drawn) = await ChartsAsync(page);
            Assert.True(charts >= 7, $"only {charts} charts on the dashboard");
            Assert.Equal(charts, drawn);
            Assert.Equal("dark", await ThemeAsync(page));
            Assert.Equal(DarkBackground, await FirstPaintBackgroundAsync(page));
            // ApexCharts draws its labels in the dark palette.
            Assert.True(await page.EvaluateAsync<bool>("() => [...document.querySelectorAll('.ops-chart text')].some(t => (t.getAttribute('fill') || '').toLowerCase() === '#cbd5e1')"));
            await page.ScreenshotAsync($"layout-dashboard-os-dark-{width}");
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task DarkChosen_SurvivesReload_FirstPaintDark_SignInPageToo()
    {
        var page = await NewPageAsync(1280, 800);
        await page.SignedInAsync("owner@opsconsole.local", "/paths/support-reply-draft/dashboard");
        Assert.Equal("light", await ThemeAsync(page));
        await page.ClickAsync("[aria-label='Toggle dark mode']");
        await page.WaitForFunctionAsync("() => getComputedStyle(document.body).backgroundColor === 'rgb(17, 24, 39)'");

        await page.ReloadAsync();
        await page.WaitForInteractiveAsync();
        // The server already rendered dark: the browser never had a light page to paint.
        Assert.Equal(DarkBackground, await FirstPaintBackgroundAsync(page));
        var served = await page.Context.APIRequest.GetAsync("/paths/support-reply-draft/dashboard");
        Assert.Contains("data-theme=\"dark\"", await served.TextAsync());
        Assert.Equal(DarkBackground, await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor"));
        var (charts, drawn) = await ChartsAsync(page);
        Assert.Equal(charts, drawn);
        await page.ScreenshotAsync("layout-dashboard-chosen-dark");

        // The choice goes with the person to the sign-in page.
        await SignOut(page).ClickAsync();
        await page.WaitForURLAsync("**/account/login");
        Assert.Equal("dark", await ThemeAsync(page));
        Assert.Equal(DarkBackground, await FirstPaintBackgroundAsync(page));
        await page.ScreenshotAsync("layout-signin-chosen-dark");

        // And back to light: remembered the same way.
        await page.SignedInAsync("owner@opsconsole.local", "/paths");
        await page.ClickAsync("[aria-label='Toggle dark mode']");
        await page.WaitForFunctionAsync("() => getComputedStyle(document.body).backgroundColor !== 'rgb(17, 24, 39)'");
        await page.ReloadAsync();
        await page.WaitForInteractiveAsync();
        Assert.Equal("light", await ThemeAsync(page));
        Assert.NotEqual(DarkBackground, await FirstPaintBackgroundAsync(page));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SignIn_OsPrefersDark_DarkFromTheFirstVisit()
    {
        foreach (var (width, height) in new[] { (1280, 800), (390, 844) })
        {
            var page = await NewPageAsync(width, height, ColorScheme.Dark);
            await page.GotoAsync("/account/login");
            await page.Locator("#email").WaitForAsync();
            Assert.Equal("dark", await ThemeAsync(page));
            Assert.Equal(DarkBackground, await FirstPaintBackgroundAsync(page));
            // The card is drawn on the dark surface, not on white.
            Assert.Equal("rgb(26, 35, 53)", await page.Locator(".signin-card").EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor"));
            await page.ScreenshotAsync($"layout-signin-os-dark-{width}");

            // A wrong password shows its message readable on the dark card.
            await page.FillAsync("#email", "nobody@opsconsole.local");
            await page.FillAsync("#password", "wrong-password-123");
            await page.ClickAsync("[data-testid=login-submit]");
            await page.Locator("[data-testid=login-error]").WaitForAsync();
            Assert.Equal("dark", await ThemeAsync(page));
            await page.ScreenshotAsync($"layout-signin-os-dark-error-{width}");
            await page.Context.CloseAsync();
        }
        var light = await NewPageAsync(390, 844);
        await light.GotoAsync("/account/login");
        Assert.Equal("light", await ThemeAsync(light));
        await light.ScreenshotAsync("layout-signin-light-390");
        await light.Context.CloseAsync();
    }

    [Fact]
    public async Task Laptop_KeysFailurePatternsAudit_ActionAndStatusColumnsOnScreen()
    {
        var code = "layout_fail_" + Guid.NewGuid().ToString("N")[..6];
        await PostAsync("support-reply-draft", Enumerable.Range(0, 3).Select(i => new JsonObject
        {
            ["eventId"] = $"{code}-{i}",
            ["outcome"] = "error",
            ["errorCode"] = code,
            ["errorMessage"] = $"upstream 503 from https://models.internal.example/v1/generate for tenant {Guid.NewGuid():N} while drafting the reply to a very long customer thread",
        }));
        foreach (var dark in new[] { false, true })
        {
            var suffix = dark ? "dark" : "light";
            var page = await NewPageAsync(1280, 800, dark ? ColorScheme.Dark : ColorScheme.Light);
            await page.SignedInAsync("admin@opsconsole.local", "/keys");
            if (!dark)
            {
                await CreateKeysAsync(page);
            }
            var keys = page.Locator("[data-testid=keys-table]");
            await keys.WaitForAsync();
            await page.ScreenshotAsync($"layout-keys-1280-{suffix}");
            await CheckOnScreenAsync(keys.Locator("th", new() { HasTextString = "Status" }), 1280, "the keys' Status column");
            await CheckOnScreenAsync(keys.Locator("th", new() { HasTextString = "Actions" }), 1280, "the keys' Actions column");
            await CheckOnScreenAsync(keys.Locator("[data-testid^=revoke-]").First, 1280, "a key's Revoke button");

            await page.OpenAsync("/paths/support-reply-draft/dashboard");
            var row = page.Locator("[data-testid=failure-pattern]", new() { HasTextString = code });
            await row.WaitForAsync();
            await row.ScrollIntoViewIfNeededAsync();
            await page.Locator("[data-testid=failure-patterns]").ScreenshotAsync(new() { Path = Path.Combine(AppFixture.ArtifactsDir, $"layout-failure-patterns-1280-{suffix}.png") });
            await CheckOnScreenAsync(row.Locator("[data-testid=pattern-trend]"), 1280, "a failure pattern's trend");
            await CheckOnScreenAsync(row.Locator("a", new() { HasTextString = "events" }), 1280, "a failure pattern's link to its events");

            await page.OpenAsync("/audit");
            var entry = page.Locator("[data-testid=audit-list] .mud-expand-panel").First;
            await entry.WaitForAsync();
            await CheckOnScreenAsync(entry.Locator(".mud-chip").First, 1280, "an audit entry's action");
            // A path's creation carries its whole configuration: the widest before/after there is.
            var pathCreated = page.Locator("[data-testid=audit-list] .mud-expand-panel", new() { HasTextString = "path.create" }).First;
            await pathCreated.Locator(".mud-expand-panel-header").ClickAsync();
            await pathCreated.Locator("[data-testid=audit-diff]").WaitForAsync();
            await page.ScreenshotAsync($"layout-audit-1280-{suffix}");
            var (scrollWidth, cut) = await OverflowAsync(page);
            if (scrollWidth > 1280)
            {
                _problems.Add($"the audit log scrolls sideways to {scrollWidth} px");
            }
            _problems.AddRange(cut.Take(5).Select(c => $"the audit log cuts off {c}"));
            await page.Context.CloseAsync();
        }
        Assert.Empty(_problems);
    }

    [Fact]
    public async Task Phone_SignOutReachable_QueueStatsIncidentsKeysNotCutOff()
    {
        // Something on every page: an open item, a decision for the stats and an open incident.
        var eventId = "layout-q-" + Guid.NewGuid().ToString("N")[..6];
        await PostAsync("invoice-field-extraction", [new JsonObject
        {
            ["eventId"] = eventId,
            ["confidence"] = 0.01,
            ["outcome"] = "ok",
            ["input"] = "Invoice from Acme, total 1,200 EUR",
            ["output"] = "{\"supplier\":\"Acme\",\"total\":1200}",
        }, new JsonObject
        {
            ["eventId"] = "layout-q2-" + Guid.NewGuid().ToString("N")[..6],
            ["confidence"] = 0.02,
            ["outcome"] = "ok",
            ["output"] = "{}",
        }]);
        var setup = await NewPageAsync(1280, 800);
        await setup.SignedInAsync("admin@opsconsole.local", "/incidents");
        await setup.ClickAsync("[data-testid=new-incident]");
        await setup.FillAsync("#new-incident-title", "Replies drafted in the wrong language for a whole tenant");
        await setup.ClickAsync("[data-testid=confirm-new-incident]");
        await setup.WaitForURLAsync("**/incidents/*");
        await setup.OpenAsync("/review?path=invoice-field-extraction");
        await setup.Locator("[data-testid=queue-row]", new() { HasTextString = eventId }).ClickAsync();
        await setup.Locator("[data-testid=review-state]", new() { HasTextString = "claimed by you" }).WaitForAsync();
        await setup.FocusedAsync("[data-testid=review-keys]");
        await setup.Keyboard.PressAsync("a");
        await setup.Locator("[data-testid=review-message]", new() { HasTextString = "Approved." }).WaitForAsync();
        await CreateKeysAsync(setup);
        await setup.Context.CloseAsync();

        foreach (var dark in new[] { false, true })
        {
            var suffix = dark ? "dark" : "light";
            var page = await NewPageAsync(390, 844, dark ? ColorScheme.Dark : ColorScheme.Light);
            await page.SignedInAsync("admin@opsconsole.local", "/review");
            foreach (var (url, ready, name) in new[]
            {
                ("/review", "[data-testid=queue-row]", "queue"),
                ("/review/stats", "[data-testid=stats-table]", "stats"),
                ("/incidents", "[data-testid=incidents-table]", "incidents"),
                ("/keys", "[data-testid=keys-table]", "keys"),
            })
            {
                await page.OpenAsync(url);
                await page.Locator(ready).First.WaitForAsync();
                await page.ScreenshotAsync($"layout-{name}-390-{suffix}");
                await CheckOnScreenAsync(SignOut(page), 390, $"sign-out on {url}");
                var (scrollWidth, cut) = await OverflowAsync(page);
                if (scrollWidth > 390)
                {
                    _problems.Add($"{url} ({suffix}) scrolls sideways to {scrollWidth} px");
                }
                _problems.AddRange(cut.Take(5).Select(c => $"{url} ({suffix}) cuts off {c}"));
            }

            await SignOut(page).ClickAsync();
            await page.WaitForURLAsync("**/account/login");
            await page.Context.CloseAsync();
        }
        Assert.Empty(_problems);
    }
}
