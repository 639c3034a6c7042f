using System.Net;
using System.Text.Json.Nodes;

namespace OpsConsole.E2E;

/// <summary>A key with an expiry is rotated on the Keys page: the new secret shown once, the old key working through its grace period.</summary>
public sealed class KeyRotationJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    private static JsonObject Event(string id) => new()
    {
        ["eventId"] = id,
        ["path"] = "ticket-triage",
        ["occurredAt"] = DateTime.UtcNow.AddSeconds(-2).ToString("O"),
        ["modelVersion"] = "rotation-e2e",
        ["confidence"] = 0.9,
        ["latencyMs"] = 200,
        ["outcome"] = "ok",
        ["input"] = "x",
        ["output"] = "y",
    };

    private async Task<HttpStatusCode> SendAsync(string secret)
    {
        using var response = await EventsApi.PostAsync(app.BaseUrl, secret, [Event("rot-" + Guid.NewGuid().ToString("N"))]);
        return response.StatusCode;
    }

    [Fact]
    public async Task KeyWithExpiry_RotatedOnTheKeysPage_NewSecretOnce_OldKeyInGracePeriod()
    {
        var name = "e2e-rot-" + Guid.NewGuid().ToString("N")[..6];
        var page = await app.NewPageAsync();
        await page.SignedInAsync("owner@opsconsole.local", "/keys");
        await page.Locator("[data-testid=keys-table]").WaitForAsync();
        await page.ClickAsync("[data-testid=new-key]");
        await page.Locator("#key-name").WaitForAsync();
        await page.FillAsync("#key-name", name);
        await page.ClickAsync("[data-testid=key-path-ticket-triage]");
        await page.FillAsync("#key-expires", DateTime.UtcNow.AddDays(5).ToString("yyyy-MM-dd"));
        // The screenshot once the server has drawn the typed name (its label moved up), not mid-round-trip.
        await page.Locator(".mud-shrink:has(#key-name)").WaitForAsync();
        await page.Locator(".mud-shrink:has(#key-expires)").WaitForAsync();
        await page.ScreenshotAsync("key-create-with-expiry");
        await page.ClickAsync("[data-testid=create-key]");
        await page.Locator("#key-secret").WaitForAsync();
        var oldSecret = await page.Locator("#key-secret").InputValueAsync();
        await page.ClickAsync("[data-testid=secret-done]");

        var oldRow = page.Locator("tr", new() { Has = page.Locator("b", new() { HasTextRegex = new System.Text.RegularExpressions.Regex("^" + name + "$") }) });
        await oldRow.Locator("[data-testid=key-expiry-warning]", new() { HasTextString = "expires in 4 d" }).WaitForAsync();
        Assert.Equal(HttpStatusCode.OK, await SendAsync(oldSecret));

        // Last use shows after a reload (written off the request path, at most once a minute).
        for (var i = 0; i < 20; i++)
        {
            await page.OpenAsync("/keys");
            if (await oldRow.Locator("[data-testid=key-last-used]").CountAsync() > 0)
            {
                break;
            }
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
        Assert.Equal("just now", (await oldRow.Locator("[data-testid=key-last-used]").TextContentAsync())?.Trim());

        await page.ClickAsync($"[data-testid=rotate-{name}]");
        await page.Locator("[data-testid=confirm-rotate]").WaitForAsync();
        Assert.Contains("24 hours (default)", await page.Locator(".mud-dialog").TextContentAsync());
        await page.ScreenshotAsync("key-rotate-dialog");
        await page.ClickAsync("[data-testid=confirm-rotate]");
        await page.Locator("[data-testid=secret-note]").WaitForAsync();
        var newSecret = await page.Locator("#key-secret").InputValueAsync();
        Assert.StartsWith("ocs_", newSecret);
        Assert.NotEqual(oldSecret, newSecret);
        Assert.Contains("keeps working until", await page.Locator("[data-testid=secret-note]").TextContentAsync());
        await page.ScreenshotAsync("key-rotated-secret-once");
        await page.ClickAsync("[data-testid=secret-done]");

        await oldRow.Locator("[data-testid=key-grace]").WaitForAsync();
        var status = await oldRow.Locator("[data-testid=key-status]").TextContentAsync();
        Assert.Contains("in grace period", status);
        Assert.Contains("until", status);
        Assert.Contains($"replaced by {name} (rotated)", await oldRow.Locator("[data-testid=key-successor]").TextContentAsync());
        Assert.Equal(0, await oldRow.Locator($"[data-testid=rotate-{name}]").CountAsync());
        // Shown once: the page never holds either secret afterwards.
        var html = await page.ContentAsync();
        Assert.DoesNotContain(newSecret, html);
        Assert.DoesNotContain(oldSecret, html);

        // No downtime: both keys work during the grace period.
        Assert.Equal(HttpStatusCode.OK, await SendAsync(oldSecret));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(newSecret));

        await oldRow.ScrollIntoViewIfNeededAsync();
        await page.ScreenshotViewportAsync("keys-rotation-1280");
        await page.Context.CloseAsync();

        var phone = await app.NewPageAsync(390, 844);
        await phone.SignedInAsync("owner@opsconsole.local", "/keys");
        var phoneOld = phone.Locator("tr", new() { Has = phone.Locator("b", new() { HasTextRegex = new System.Text.RegularExpressions.Regex("^" + name + "$") }) });
        await phoneOld.Locator("[data-testid=key-grace]").WaitForAsync();
        await phoneOld.ScrollIntoViewIfNeededAsync();
        await phone.ScreenshotViewportAsync("keys-rotation-390");
        var width = await phone.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
        Assert.True(width <= 390, $"the Keys page is {width} px wide on a 390 px screen");
        await phone.Context.CloseAsync();
    }
}
