namespace OpsConsole.E2E;

/// <summary>Confirmations close with Escape, as a person at a keyboard expects, and nothing is done.</summary>
public sealed class DialogKeyboardJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task Escape_ClosesConfirmations_WithoutActing()
    {
        var page = await app.NewPageAsync();
        await page.SignedInAsync("admin@opsconsole.local", "/account/sessions");

        await page.ClickAsync("[data-testid=sign-out-everywhere]");
        await page.Locator("[data-testid=confirm-end-sessions]").WaitForAsync();
        await page.PressInDialogAsync("Escape");
        await Assertions.Expect(page.Locator("[data-testid=confirm-end-sessions]")).ToHaveCountAsync(0, new() { Timeout = 3000 });
        Assert.EndsWith("/account/sessions", page.Url);

        await page.OpenAsync("/paths/invoice-field-extraction");
        await page.ClickAsync("[data-testid=kill-switch]");
        await page.Locator("#kill-reason").WaitForAsync();
        await page.PressInDialogAsync("Escape");
        await Assertions.Expect(page.Locator("#kill-reason")).ToHaveCountAsync(0, new() { Timeout = 3000 });
        await Assertions.Expect(page.Locator("[data-testid=kill-state]")).ToHaveTextAsync("Live");

        await page.OpenAsync("/keys");
        await page.ClickAsync("[data-testid=new-key]");
        await page.Locator("[data-testid=create-key]").WaitForAsync();
        await page.PressInDialogAsync("Escape");
        await Assertions.Expect(page.Locator("[data-testid=create-key]")).ToHaveCountAsync(0, new() { Timeout = 3000 });
        await page.Context.CloseAsync();
    }
}
