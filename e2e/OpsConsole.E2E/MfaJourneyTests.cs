using OpsConsole.Tests.Infrastructure;

namespace OpsConsole.E2E;

/// <summary>
/// An Admin's second factor in a real browser: enrolment at first sign-in (QR code and key shown,
/// the code computed from the key on the page), then signing in with a code, with a recovery code,
/// and a replayed recovery code refused. Keyboard only, on a phone-sized screen.
/// </summary>
public sealed class MfaJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    private const string Admin = "admin@opsconsole.local";

    private static async Task PasswordStepAsync(IPage page)
    {
        await page.GotoAsync("/account/login");
        await page.FillAsync("#email", Admin);
        await page.FillAsync("#password", AppFixture.Password);
        await page.NavigatingAsync(() => page.Keyboard.PressAsync("Enter"));
    }

    /// <summary>Drops the session (the phone layout keeps "Sign out" in the menu; signing out itself has its own journey).</summary>
    private static async Task SignOutAsync(IPage page)
    {
        await page.Context.ClearCookiesAsync();
        await page.GotoAsync("/");
        await page.WaitForURLAsync("**/account/login**");
    }

    [Fact]
    public async Task Admin_EnrolsThenSignsInWithCodeAndRecoveryCode_ReplayRefused()
    {
        // The laptop view of the enrolment page an Admin lands on before anything else.
        var laptop = await app.NewPageAsync();
        await PasswordStepAsync(laptop);
        Assert.EndsWith("/account/mfa?returnUrl=%2F", laptop.Url);
        await Assertions.Expect(laptop.Locator("[data-testid=mfa-qr]")).ToBeVisibleAsync();
        await laptop.ScreenshotAsync("mfa-enrol-1280");
        await laptop.Context.CloseAsync();

        // Enrol on a phone, keyboard only: the code field has the focus when the page opens.
        var page = await app.NewPageAsync(390, 844);
        await PasswordStepAsync(page);
        Assert.EndsWith("/account/mfa?returnUrl=%2F", page.Url);
        var key = (await page.Locator("[data-testid=mfa-key]").TextContentAsync())!.Replace(" ", "", StringComparison.Ordinal);
        Assert.Equal(32, key.Length);
        await page.ScreenshotAsync("mfa-enrol-phone");
        await Assertions.Expect(page.Locator("#code")).ToBeFocusedAsync();
        var enrolStep = TestTotp.StepAt(DateTimeOffset.UtcNow);
        await page.Keyboard.TypeAsync("000000");
        await page.NavigatingAsync(() => page.Keyboard.PressAsync("Enter"));
        await Assertions.Expect(page.Locator("[data-testid=mfa-error]")).ToContainTextAsync("That code is not right");
        await page.FillAsync("#code", TestTotp.CodeAt(key, enrolStep));
        await page.NavigatingAsync(() => page.Keyboard.PressAsync("Enter"));
        var codes = await page.Locator("[data-testid=recovery-code]").AllTextContentsAsync();
        Assert.Equal(10, codes.Count);
        await page.ScreenshotAsync("mfa-recovery-codes-phone");
        await page.NavigatingAsync(() => page.ClickAsync("[data-testid=mfa-continue]"));
        await page.WaitForInteractiveAsync();
        Assert.Equal(new Uri(app.BaseUrl + "/").AbsolutePath, new Uri(page.Url).AbsolutePath);

        // Sign in with a code: the next step's code (the enrolment code is spent).
        await SignOutAsync(page);
        await PasswordStepAsync(page);
        Assert.Contains("/account/login-2fa", page.Url);
        await Assertions.Expect(page.Locator("#code")).ToBeFocusedAsync();
        await page.ScreenshotAsync("mfa-second-step-phone");
        await page.Keyboard.TypeAsync(TestTotp.CodeAt(key, enrolStep));
        await page.NavigatingAsync(() => page.Keyboard.PressAsync("Enter"));
        await Assertions.Expect(page.Locator("[data-testid=mfa-error]")).ToContainTextAsync("already used");
        await page.FillAsync("#code", TestTotp.CodeAt(key, Math.Max(enrolStep + 1, TestTotp.StepAt(DateTimeOffset.UtcNow))));
        await page.NavigatingAsync(() => page.Keyboard.PressAsync("Enter"));
        await page.WaitForInteractiveAsync();
        Assert.DoesNotContain("/account/", page.Url);

        // Sign in with a recovery code, typed as from paper.
        await SignOutAsync(page);
        await PasswordStepAsync(page);
        await page.NavigatingAsync(() => page.ClickAsync("[data-testid=use-recovery]"));
        await page.FillAsync("#code", codes[0].ToLowerInvariant());
        await page.NavigatingAsync(() => page.Keyboard.PressAsync("Enter"));
        await page.WaitForInteractiveAsync();
        Assert.DoesNotContain("/account/", page.Url);

        // The same recovery code again: refused.
        await SignOutAsync(page);
        await PasswordStepAsync(page);
        await page.NavigatingAsync(() => page.ClickAsync("[data-testid=use-recovery]"));
        await page.FillAsync("#code", codes[0]);
        await page.NavigatingAsync(() => page.Keyboard.PressAsync("Enter"));
        await Assertions.Expect(page.Locator("[data-testid=mfa-error]")).ToContainTextAsync("That code is not valid");
        Assert.Contains("/account/login-2fa", page.Url);
        await page.Context.CloseAsync();
    }
}
