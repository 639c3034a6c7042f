namespace OpsConsole.E2E;

/// <summary>Its own app instance: the account it locks must not be one another journey signs in with.</summary>
public sealed class LockoutJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task SignIn_SixWrongPasswords_AccountLocked()
    {
        var page = await app.NewPageAsync();
        for (var i = 0; i < 6; i++)
        {
            await page.SignInAsync("oncall@opsconsole.local", $"wrong password {i}");
            await page.Locator("[data-testid=login-error]").WaitForAsync();
        }
        var message = await page.Locator("[data-testid=login-error]").TextContentAsync();
        Assert.Contains("locked after too many failed sign-ins", message);

        await page.SignInAsync("oncall@opsconsole.local", AppFixture.Password);
        Assert.Contains("locked", await page.Locator("[data-testid=login-error]").TextContentAsync());
        Assert.Contains("/account/login", page.Url);
        await page.ScreenshotAsync("login-locked");
        await page.Context.CloseAsync();
    }
}
