namespace OpsConsole.E2E;

/// <summary>Its own app instance: the person here signs out everywhere, which must not end another journey's sign-in.</summary>
public sealed class SessionsJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    private const string Person = "reviewer@opsconsole.local";

    [Fact]
    public async Task TwoBrowsers_OneSignsOutEverywhere_TheOtherLosesAccess()
    {
        var laptop = await app.NewPageAsync(forwardedFor: "198.51.100.31");
        await laptop.SignedInAsync(Person);
        var phone = await app.NewPageAsync(width: 390, height: 844, forwardedFor: "203.0.113.32");
        await phone.SignedInAsync(Person);

        // The settings page leads to the sign-ins; both browsers are listed, the phone's marked as this one.
        await phone.OpenAsync("/settings");
        await Assertions.Expect(phone.Locator("[data-testid=mfa-link]")).ToHaveAttributeAsync("href", "/account/mfa");
        await phone.ClickAsync("[data-testid=sessions-link]");
        await phone.WaitForURLAsync(url => url.EndsWith("/account/sessions", StringComparison.Ordinal));
        await phone.WaitForInteractiveAsync();
        var rows = phone.Locator("[data-testid=session-browser]");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await Assertions.Expect(phone.Locator("[data-testid=session-ip]").First).ToHaveTextAsync("203.0.113.32");
        await Assertions.Expect(phone.Locator("[data-testid=session-current]")).ToHaveCountAsync(1);
        StringAssert(await rows.First.TextContentAsync(), "Chrome");
        await phone.ScreenshotAsync("sessions-phone");

        await laptop.OpenAsync("/account/sessions");
        await Assertions.Expect(laptop.Locator("[data-testid=session-browser]")).ToHaveCountAsync(2);
        await laptop.ScreenshotAsync("sessions-1280");

        // Sign out everywhere asks first; Cancel (from the keyboard) ends nothing.
        await laptop.ClickAsync("[data-testid=sign-out-everywhere]");
        await laptop.Locator("[data-testid=confirm-end-sessions]").WaitForAsync();
        await laptop.ScreenshotViewportAsync("sessions-confirm");
        await laptop.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).PressAsync("Enter");
        await Assertions.Expect(laptop.Locator("[data-testid=confirm-end-sessions]")).ToHaveCountAsync(0);
        await phone.OpenAsync("/settings");

        await laptop.ClickAsync("[data-testid=sign-out-everywhere]");
        await laptop.ClickAsync("[data-testid=confirm-end-sessions]");
        await laptop.WaitForURLAsync(url => url.Contains("/account/login", StringComparison.Ordinal));

        // The other browser's next page load is refused: the sign-in page, no console.
        await phone.GotoAsync("/settings");
        await phone.WaitForURLAsync(url => url.Contains("/account/login", StringComparison.Ordinal));
        Assert.DoesNotContain(await phone.Context.CookiesAsync(), c => c.Name == "opsconsole.auth");

        await laptop.Context.CloseAsync();
        await phone.Context.CloseAsync();
    }

    private static void StringAssert(string? text, string expected) => Assert.Contains(expected, text ?? "");
}
