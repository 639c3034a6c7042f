using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace OpsConsole.E2E;

/// <summary>The console without simulated traffic, whose database the journey can reach to set up the past.</summary>
public sealed class NotificationsAppFixture : AppFixture
{
    public string ConnectionString { get; private set; } = "";

    protected override void Configure(IDictionary<string, string?> environment)
    {
        environment["OpsConsole__Demo__Traffic__Enabled"] = "false"; // only this journey's review items go past due
        ConnectionString = environment["ConnectionStrings__OpsConsole"] + ";Pooling=False";
    }

    public async Task<T> QueryAsync<T>(string sql, params (string Name, object Value)[] args)
    {
        await using var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in args)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T));
    }

    public Task ExecuteAsync(string sql, params (string Name, object Value)[] args) => QueryAsync<long>(sql + "; SELECT changes()", args);
}

/// <summary>
/// The on-call person after a night: an incident, an automatic action and a night of grouped review
/// reminders. The bell lists the incident first, the reminders apart; the see-all page marks all read.
/// </summary>
public sealed class NotificationsJourneyTests(NotificationsAppFixture app) : IClassFixture<NotificationsAppFixture>
{
    private const string OnCall = "oncall@opsconsole.local";

    [Fact]
    public async Task Night_IncidentStaysOnTopOfTheBell_RemindersGrouped_SeeAllMarksAllRead()
    {
        var onCallId = await app.QueryAsync<string>("SELECT Id FROM AspNetUsers WHERE Email = $e", ("$e", OnCall));
        var supportId = await app.QueryAsync<long>("SELECT Id FROM Paths WHERE Slug = 'support-reply-draft'");
        await SeedNightAsync(onCallId);

        // An owner opens an incident; it is assigned to the path's on-call person.
        var owner = await app.NewPageAsync();
        await owner.SignedInAsync("owner@opsconsole.local", "/incidents");
        await owner.ClickAsync("[data-testid=new-incident]");
        await owner.FillAsync("#new-incident-title", "Refund replies promise the wrong amount");
        await owner.ClickAsync("[data-testid=confirm-new-incident]");
        await owner.WaitForURLAsync("**/incidents/*");
        await owner.Context.CloseAsync();

        var page = await app.NewPageAsync();
        await page.SignedInAsync(OnCall, "/");
        var badge = page.Locator("[data-testid=bell-count] .mud-badge");
        await Assertions.Expect(badge).ToHaveTextAsync("32"); // 30 reminders, the automatic action, the incident

        // Twelve review items go past due while the console is open: one notice, pushed to the open bell.
        var events = Enumerable.Range(0, 12).Select(i => new JsonObject
        {
            ["eventId"] = $"e2e-notify-{i}",
            ["path"] = "support-reply-draft",
            ["occurredAt"] = DateTime.UtcNow.AddSeconds(-5).ToString("O"),
            ["modelVersion"] = "gpt-test-1",
            ["outcome"] = "ok",
            ["confidence"] = 0.2,
            ["input"] = "Where is my refund?",
            ["output"] = "A drafted reply.",
        });
        Assert.True((await EventsApi.PostAsync(app.BaseUrl, EventsApi.DemoKey, events)).IsSuccessStatusCode);
        await app.ExecuteAsync("""
            UPDATE ReviewItems SET DueAt = $due
            WHERE EventRowId IN (SELECT Id FROM InferenceEvents WHERE EventId LIKE 'e2e-notify-%')
            """, ("$due", DateTime.UtcNow.AddMinutes(-1)));
        // The SLA job runs every minute.
        await Assertions.Expect(badge).ToHaveTextAsync("33", new() { Timeout = 150_000 });
        Assert.Equal("12 items past due on support-reply-draft", await app.QueryAsync<string>(
            "SELECT group_concat(Title, ' | ') FROM Notifications WHERE UserId = $u AND GroupKey = $g AND CreatedAt > $since",
            ("$u", onCallId), ("$g", $"review-sla:{supportId}"), ("$since", DateTime.UtcNow.AddHours(-1))));

        await AssertBadgeInsideAppBarAsync(page);
        await page.ScreenshotAsync("notifications-bell-badge-1280");
        await OpenBellAsync(page);
        var listed = page.Locator("[data-testid=notification]");
        await Assertions.Expect(listed.First).ToContainTextAsync("assigned to you: Refund replies promise the wrong amount");
        await Assertions.Expect(listed.Nth(1)).ToContainTextAsync("support-reply-draft contained automatically");
        await Assertions.Expect(listed.Nth(2)).ToContainTextAsync("12 items past due on support-reply-draft");
        Assert.Equal(7, await listed.CountAsync()); // two alerts, five reminders
        await page.ScreenshotAsync("notifications-bell-open-1280");
        // Opening read what it showed: the 25 reminders it did not show are still unread.
        await Assertions.Expect(badge).ToHaveTextAsync("26");

        await page.ClickAsync("[data-testid=see-all]");
        await page.WaitForURLAsync("**/notifications");
        await Assertions.Expect(page.Locator("[data-testid=notifications-summary]")).ToContainTextAsync("26 unread");
        await Assertions.Expect(page.Locator("[data-testid=notifications-range]")).ToHaveTextAsync("Showing 1–25 of 33");
        await page.ScreenshotAsync("notifications-page-1280");

        await VariantsAsync();

        await page.ClickAsync("[data-testid=show-unread]");
        await Assertions.Expect(page.Locator("[data-testid=notification-row]")).ToHaveCountAsync(25);
        await page.ClickAsync("[data-testid=mark-all-read]");
        await Assertions.Expect(page.Locator("[data-testid=notifications-empty]")).ToBeVisibleAsync();
        await Assertions.Expect(badge).ToHaveCountAsync(0);
        await page.ClickAsync("[data-testid=show-all]");
        await Assertions.Expect(page.Locator("[data-testid=notification-row][data-unread=false]")).ToHaveCountAsync(25);
        await page.ScreenshotAsync("notifications-page-all-read-1280");
        await page.Context.CloseAsync();
    }

    /// <summary>The bell open and the page, on a phone and in dark mode; the badge inside the app bar in each.</summary>
    private async Task VariantsAsync()
    {
        foreach (var (width, height, dark) in new[] { (390, 844, false), (1280, 800, true), (390, 844, true) })
        {
            var name = $"{width}{(dark ? "-dark" : "")}";
            var page = await app.NewPageAsync(width, height);
            if (dark)
            {
                await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
            }
            await page.SignedInAsync(OnCall, "/notifications");
            await page.Locator("[data-testid=notification-row]").First.WaitForAsync();
            await AssertBadgeInsideAppBarAsync(page);
            await page.ScreenshotAsync($"notifications-page-{name}");
            await OpenBellAsync(page);
            await page.ScreenshotAsync($"notifications-bell-open-{name}");
            await page.Context.CloseAsync();
        }
    }

    /// <summary>Opens the bell and waits for its fade-in, so a screenshot shows the list as a person sees it.</summary>
    private static async Task OpenBellAsync(IPage page)
    {
        await page.ClickAsync("[data-testid=bell-button]");
        await page.Locator("[data-testid=see-all]").WaitForAsync();
        await page.WaitForFunctionAsync("() => getComputedStyle(document.querySelector('.ops-bell-popover')).opacity === '1'");
    }

    private static async Task AssertBadgeInsideAppBarAsync(IPage page)
    {
        var badge = await page.Locator("[data-testid=bell-count] .mud-badge").BoundingBoxAsync();
        var bar = await page.Locator(".mud-appbar").BoundingBoxAsync();
        Assert.NotNull(badge);
        Assert.NotNull(bar);
        Assert.True(badge.Y >= bar.Y && badge.Y + badge.Height <= bar.Y + bar.Height, $"badge {badge.Y}+{badge.Height} outside the app bar {bar.Y}+{bar.Height}");
        Assert.True(badge.X >= 0 && badge.X + badge.Width <= page.ViewportSize!.Width, $"badge {badge.X}+{badge.Width} outside the window");
    }

    /// <summary>Earlier tonight: an automatic containment on support-reply-draft, then ten hours of review reminders (ending two hours ago) on the three demo paths.</summary>
    private async Task SeedNightAsync(string onCallId)
    {
        var now = DateTime.UtcNow;
        const string insert = """
            INSERT INTO Notifications (UserId, Kind, Title, Link, CreatedAt, GroupKey, Count)
            VALUES ($u, $kind, $title, $link, $at, $group, $count)
            """;
        await app.ExecuteAsync(insert, ("$u", onCallId), ("$kind", "automatic-action"), ("$title", "support-reply-draft contained automatically: Drift alert on support-reply-draft"),
            ("$link", "/incidents"), ("$at", now.AddHours(-13)), ("$group", DBNull.Value), ("$count", 1));
        var paths = new[] { "support-reply-draft", "invoice-field-extraction", "ticket-triage" };
        for (var i = 0; i < 30; i++)
        {
            var slug = paths[i % 3];
            var pathId = await app.QueryAsync<long>("SELECT Id FROM Paths WHERE Slug = $s", ("$s", slug));
            var count = 2 + (i * 7 % 9);
            await app.ExecuteAsync(insert, ("$u", onCallId), ("$kind", "review-sla"), ("$title", $"{count} items past due on {slug}"), ("$link", $"/review?path={slug}"),
                ("$at", now.AddHours(-12).AddMinutes(i * 20)), ("$group", $"review-sla:{pathId}"), ("$count", count));
        }
    }
}
