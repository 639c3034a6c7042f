namespace OpsConsole.E2E;

/// <summary>Its own app instance: the account it locks must not be one another journey signs in with.</summary>
public sealed class LockoutJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task SignIn_SixWrongPasswords_LockedForThatAddressOnly()
    {
        var attacker = await app.NewPageAsync();
        var messages = new List<string?>();
        for (var i = 0; i < 6; i++)
        {
            await attacker.SignInAsync("oncall@opsconsole.local", $"wrong password {i}");
            await attacker.Locator("[data-testid=login-error]").WaitForAsync();
            messages.Add(await attacker.Locator("[data-testid=login-error]").TextContentAsync());
        }

        // From the failing address even the right password is refused, with the very same message:
        // the page tells neither that the account exists nor that it is locked.
        await attacker.SignInAsync("oncall@opsconsole.local", AppFixture.Password);
        await attacker.Locator("[data-testid=login-error]").WaitForAsync();
        messages.Add(await attacker.Locator("[data-testid=login-error]").TextContentAsync());
        Assert.Contains("/account/login", attacker.Url);
        Assert.DoesNotContain(await attacker.Context.CookiesAsync(), c => c.Name == "opsconsole.auth");
        Assert.Single(messages.Distinct());
        Assert.StartsWith("E-mail or password is wrong", messages[0]);
        await attacker.ScreenshotAsync("login-locked");

        // The on-call person, at another address (as a reverse proxy on this host reports it), still signs in.
        var victim = await app.NewPageAsync(forwardedFor: "198.51.100.7");
        await victim.SignedInAsync("oncall@opsconsole.local");
        Assert.Equal("oncall@opsconsole.local", (await victim.Locator("[data-testid=signed-in-user]").TextContentAsync())?.Trim());

        await attacker.Context.CloseAsync();
        await victim.Context.CloseAsync();
    }
}
