namespace OpsConsole.E2E;

public sealed class PathJourneyTests(AppFixture app) : IClassFixture<AppFixture>
{
    [Theory]
    [InlineData(1280, 800)]
    [InlineData(390, 844)]
    public async Task Save_InvalidFieldsFarDown_FocusesTheFirstAndSummarisesAtSave(int width, int height)
    {
        var owner = await app.NewPageAsync(width, height);
        await owner.SignedInAsync("owner@opsconsole.local", "/paths/support-reply-draft/edit");
        await owner.WaitForInteractiveAsync();
        // Two problems far below the top of the form: the service-level one comes first in the page.
        await owner.FillAsync("#slo-quality", "150");
        await owner.FillAsync("#gate-min-quality", "-3");
        await owner.ClickAsync("[data-testid=save-path]");

        var summary = owner.Locator("[data-testid=save-problems]");
        await summary.WaitForAsync();
        Assert.StartsWith("2 problems", (await summary.TextContentAsync())?.Trim());
        // The cursor is in the first invalid field, and that field is on screen (not under the app bar).
        await owner.FocusedAsync("#slo-quality");
        var box = await owner.Locator("#slo-quality").BoundingBoxAsync();
        Assert.NotNull(box);
        Assert.True(box.Y > 64 && box.Y + box.Height < height, $"the focused field is at y={box.Y} of a {height} px viewport");
        await owner.ScreenshotViewportAsync($"path-form-problems-{width}");

        // "Go to the first problem" brings it back after the person scrolled away.
        await owner.Locator("#gate-min-quality").FocusAsync();
        await owner.ClickAsync("[data-testid=go-to-problem]");
        await owner.FocusedAsync("#slo-quality");
        await owner.Context.CloseAsync();
    }

    [Fact]
    public async Task AdminCreates_OwnerEdits_OtherOwnerAndViewerRefused()
    {
        // Admin creates a path owned by owner@ only.
        var admin = await app.NewPageAsync();
        await admin.SignedInAsync("admin@opsconsole.local");
        await admin.ScreenshotAsync("paths-admin");
        await admin.ClickAsync("[data-testid=new-path]");
        await admin.WaitForURLAsync("**/paths/new");
        await admin.WaitForInteractiveAsync();

        // Saving an empty form shows what is missing and creates nothing.
        await admin.ClickAsync("[data-testid=save-path]");
        await admin.Locator("[data-testid=form-error]").WaitForAsync();
        Assert.Contains("A path needs at least one owner.", await admin.ContentAsync());

        await admin.FillAsync("#slug", "refund-classifier");
        await admin.FillAsync("#name", "Refund classifier");
        await admin.FillAsync("#description", "Classifies refund requests.");
        await admin.ClickAsync("[data-testid=owners-select]");
        await admin.Locator(".mud-popover-open .mud-list-item", new() { HasTextString = "owner@opsconsole.local" }).First.ClickAsync();
        await admin.Keyboard.PressAsync("Escape");
        await Assertions.Expect(admin.Locator("[data-testid=owners-select]")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("owner@opsconsole\\.local"));
        await admin.ScreenshotAsync("path-create-form");
        await admin.ClickAsync("[data-testid=save-path]");
        await admin.WaitForURLAsync("**/paths/refund-classifier");
        Assert.Contains("owner@opsconsole.local", await admin.Locator("[data-testid=owners]").TextContentAsync());
        await admin.Context.CloseAsync();

        // Its owner edits it.
        var owner = await app.NewPageAsync();
        await owner.SignedInAsync("owner@opsconsole.local", "/paths/refund-classifier");
        await owner.ClickAsync("[data-testid=edit-path]");
        await owner.WaitForURLAsync("**/paths/refund-classifier/edit");
        await owner.WaitForInteractiveAsync();
        await owner.FillAsync("#confidence-threshold", "0.8");
        await owner.FillAsync("#slo-quality", "90"); // a percentage, stored as 0.9
        await owner.ClickAsync("[data-testid=save-path]");
        await owner.WaitForURLAsync("**/paths/refund-classifier");
        await owner.Locator("[data-testid=threshold]", new() { HasTextString = "0.80" }).WaitForAsync();
        Assert.Equal("90%", (await owner.Locator("[data-testid=quality-target]").TextContentAsync())?.Trim().Replace(" ", ""));
        await owner.ScreenshotAsync("path-detail-owner");
        await owner.Context.CloseAsync();

        // Another owner cannot edit it, and is told why.
        var owner2 = await app.NewPageAsync();
        await owner2.SignedInAsync("owner2@opsconsole.local", "/paths/refund-classifier");
        Assert.Equal(0, await owner2.Locator("[data-testid=edit-path]").CountAsync());
        var response = await owner2.GotoAsync("/paths/refund-classifier/edit");
        Assert.Equal(403, response!.Status);
        Assert.Contains("owner of this path", await owner2.Locator("[data-testid=forbidden]").TextContentAsync());
        await owner2.ScreenshotAsync("path-edit-forbidden-owner2");
        await owner2.Context.CloseAsync();

        // A viewer gets the 403 page on the edit URL.
        var viewer = await app.NewPageAsync();
        await viewer.SignedInAsync("viewer@opsconsole.local");
        response = await viewer.GotoAsync("/paths/refund-classifier/edit");
        Assert.Equal(403, response!.Status);
        Assert.Contains("Admin", await viewer.Locator("[data-testid=forbidden]").TextContentAsync());
        await viewer.Context.CloseAsync();

        // The audit log shows both changes with a diff.
        var auditor = await app.NewPageAsync();
        await auditor.SignedInAsync("admin@opsconsole.local", "/audit");
        await auditor.Locator("[data-testid=audit-list]").WaitForAsync();
        var list = await auditor.Locator("[data-testid=audit-list]").TextContentAsync();
        Assert.Contains("path.update", list);
        Assert.Contains("path.create", list);
        await auditor.ClickAsync("[data-testid=verify-chain]");
        Assert.Contains("Chain intact", await auditor.Locator("[data-testid=verify-result]").TextContentAsync());
        await auditor.ScreenshotAsync("audit-log");
        await auditor.Context.CloseAsync();
    }

    [Fact]
    public async Task PathsList_LaptopAndNarrowWidths_Render()
    {
        var page = await app.NewPageAsync(1280, 800);
        await page.SignedInAsync("viewer@opsconsole.local");
        // Other journeys in this class may add paths; the three demo paths are always listed.
        var table = await page.Locator("[data-testid=paths-table]").TextContentAsync();
        Assert.All(new[] { "support-reply-draft", "invoice-field-extraction", "ticket-triage" }, slug => Assert.Contains(slug, table));
        Assert.Equal(0, await page.Locator("[data-testid=new-path]").CountAsync());
        await page.ScreenshotAsync("paths-viewer-1280");
        await page.SetViewportSizeAsync(800, 900);
        await page.ScreenshotAsync("paths-viewer-800");
        await page.Context.CloseAsync();
    }

    /// <summary>A dialog's form too: a refused key leads to its first problem and says what is wrong beside the button.</summary>
    [Fact]
    public async Task NewKey_Refused_FocusesTheFirstProblemAndListsThemAtTheButton()
    {
        var page = await app.NewPageAsync();
        await page.SignedInAsync("admin@opsconsole.local", "/keys");
        await page.Locator("[data-testid=keys-table]").WaitForAsync();
        await page.ClickAsync("[data-testid=new-key]");
        await page.Locator("#key-name").WaitForAsync();
        await page.ClickAsync("[data-testid=create-key]");
        // No name and no path: the name (first in the dialog) takes the focus; both problems are listed at the button.
        await page.FocusedAsync("#key-name");
        var problems = page.Locator(".mud-dialog [data-testid=dialog-errors]");
        await Assertions.Expect(problems).ToContainTextAsync("Give the key a name");
        await Assertions.Expect(problems).ToContainTextAsync("Choose the paths");
        await Assertions.Expect(page.Locator("[data-testid=key-paths]")).ToHaveAttributeAsync("aria-invalid", "true");
        await page.ScreenshotViewportAsync("key-dialog-refused-1280");

        // Named, but with no scope left: the scopes are where the person is taken next.
        await page.FillAsync("#key-name", "focus-e2e");
        await page.ClickAsync("[data-testid='scope-events:write']");
        // As a person sees it before pressing the button: the box is unticked.
        await Assertions.Expect(page.Locator("[data-testid='scope-events:write']")).Not.ToBeCheckedAsync();
        await page.ClickAsync("[data-testid=create-key]");
        await page.FocusedAsync("[data-testid=key-scopes]");
        await Assertions.Expect(problems).Not.ToContainTextAsync("Give the key a name");
        await Assertions.Expect(problems).ToContainTextAsync("Choose at least one scope");
        await page.SetViewportSizeAsync(390, 844);
        await page.ScreenshotViewportAsync("key-dialog-refused-390");
        await page.Context.CloseAsync();
    }
}
