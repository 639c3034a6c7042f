namespace OpsConsole.E2E;

public sealed class SignInJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    public static TheoryData<string, string[]> DemoUsers => new()
    {
        { "admin@opsconsole.local", ["paths", "incidents", "review", "audit", "keys", "users", "quarantine", "jobs", "settings"] },
        { "owner@opsconsole.local", ["paths", "incidents", "review", "audit", "keys", "settings"] },
        { "owner2@opsconsole.local", ["paths", "incidents", "review", "audit", "keys", "settings"] },
        { "oncall@opsconsole.local", ["paths", "incidents", "settings"] },
        { "reviewer@opsconsole.local", ["paths", "incidents", "review", "settings"] },
        { "viewer@opsconsole.local", ["paths", "incidents", "settings"] },
    };

    [Theory]
    [MemberData(nameof(DemoUsers))]
    public async Task SignIn_DemoUser_SeesExactlyTheirNav(string email, string[] nav)
    {
        var page = await app.NewPageAsync();
        await page.SignedInAsync(email);

        Assert.Equal(email, (await page.Locator("[data-testid=signed-in-user]").TextContentAsync())?.Trim());
        var shown = await page.Locator("[data-nav]").EvaluateAllAsync<string[]>("els => els.map(e => e.getAttribute('data-nav'))");
        Assert.Equal(nav, shown);
        await page.ScreenshotAsync($"nav-{email.Split('@')[0]}");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SignOut_ReturnsToSignIn_AndProtectedPagesAskAgain()
    {
        var page = await app.NewPageAsync();
        await page.SignedInAsync("viewer@opsconsole.local");
        await page.ClickAsync("text=Sign out");
        await page.WaitForURLAsync("**/account/login");
        await page.GotoAsync("/paths");
        Assert.Contains("/account/login?ReturnUrl=%2Fpaths", page.Url);
        await page.Context.CloseAsync();
    }
}
