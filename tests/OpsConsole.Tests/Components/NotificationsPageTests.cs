using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Components;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Notifications;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Components;

/// <summary>The "see all" page on the real notification service and database: read state, filters, paging, mark all read.</summary>
[Trait("Category", "Integration")]
public sealed class NotificationsPageTests : FactoryComponentTest
{
    private string _userId = "";

    private NotificationService Service => Factory.Services.GetRequiredService<NotificationService>();

    protected override async Task ArrangeAsync()
    {
        Use<NotificationService>();
        Use<NotificationNotifier>();
        _userId = await SignInAsync(TestUsers.OnCall, AppRoles.OnCall);
    }

    /// <summary>Incidents and reminders alternating, oldest first; every third one already read.</summary>
    private Task SeedAsync(int count, string? userId = null) => Db.QueryAsync(Factory, async db =>
    {
        for (var i = 1; i <= count; i++)
        {
            var reminder = i % 2 == 0;
            db.Notifications.Add(new Notification
            {
                UserId = userId ?? _userId,
                Kind = reminder ? NotificationKinds.ReviewSla : NotificationKinds.IncidentNotice,
                Title = reminder ? $"{i} items past due on support-reply-draft" : $"SEV2 assigned to you: incident {i}",
                Link = reminder ? "/review?path=support-reply-draft" : $"/incidents/{i}",
                CreatedAt = DateTime.UtcNow.AddMinutes(i - count),
                ReadAt = i % 3 == 0 ? DateTime.UtcNow : null,
            });
        }
        return await db.SaveChangesAsync();
    });

    private Task<int> UnreadAsync() => Db.QueryAsync(Factory, db => db.Notifications.CountAsync(n => n.UserId == _userId && n.ReadAt == null));

    [Fact]
    public async Task MarkAllRead_EveryUnreadNoticeOnEveryPage_BellClearsToo()
    {
        await SeedAsync(30); // 20 unread, over two pages
        await SeedAsync(2, await Principals.IdOfAsync(Factory, TestUsers.Owner));
        var bell = Render<NotificationBell>();
        var page = Render<NotificationsPage>();
        page.WaitForAssertion(() => Assert.Contains("20 unread", page.Find("[data-testid=notifications-summary]").TextContent));
        bell.WaitForAssertion(() => Assert.Equal("20", bell.Find(".mud-badge").TextContent.Trim()));

        await page.Find("[data-testid=mark-all-read]").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.Contains("Nothing unread", page.Find("[data-testid=notifications-summary]").TextContent));
        Assert.All(page.FindAll("[data-testid=notification-row]"), r => Assert.Equal("false", r.GetAttribute("data-unread")));
        Assert.True(page.Find("[data-testid=mark-all-read]").HasAttribute("disabled"));
        Assert.Equal(0, await UnreadAsync());
        bell.WaitForAssertion(() => Assert.Empty(bell.FindAll(".mud-badge"))); // pushed, not polled
        Assert.Equal(2, await Db.QueryAsync(Factory, db => db.Notifications.CountAsync(n => n.UserId != _userId && n.ReadAt == null))); // only mine
    }

    [Fact]
    public async Task Open_NewestFirst_PagedWithRange()
    {
        await SeedAsync(30);
        var page = Render<NotificationsPage>();
        page.WaitForAssertion(() => Assert.Equal(25, page.FindAll("[data-testid=notification-row]").Count));
        Assert.Contains("30 items past due", page.FindAll("[data-testid=notification-title]")[0].TextContent);
        Assert.Equal("Showing 1–25 of 30", page.Find("[data-testid=notifications-range]").TextContent.Trim());

        await page.FindAll("[data-testid=notifications-pages] button").Single(b => b.TextContent.Trim() == "2").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.Equal(5, page.FindAll("[data-testid=notification-row]").Count));
        Assert.Equal("Showing 26–30 of 30", page.Find("[data-testid=notifications-range]").TextContent.Trim());
        Assert.Contains("incident 1", page.FindAll("[data-testid=notification-title]")[^1].TextContent);
    }

    [Fact]
    public async Task Unread_ShowsOnlyUnread_ToggleMarksOneReadAndUnread()
    {
        await SeedAsync(6); // 1, 2, 4, 5 unread
        var page = Render<NotificationsPage>();
        page.WaitForAssertion(() => Assert.Equal(6, page.FindAll("[data-testid=notification-row]").Count));

        await page.Find("[data-testid=show-unread]").ClickAsync(new MouseEventArgs());

        page.WaitForAssertion(() => Assert.Equal(4, page.FindAll("[data-testid=notification-row]").Count));
        Assert.All(page.FindAll("[data-testid=notification-row]"), r => Assert.Equal("true", r.GetAttribute("data-unread")));

        await page.FindAll("[data-testid=toggle-read]")[0].ClickAsync(new MouseEventArgs());
        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("[data-testid=notification-row]").Count));
        Assert.Equal(3, await UnreadAsync());

        await page.Find("[data-testid=show-all]").ClickAsync(new MouseEventArgs());
        page.WaitForAssertion(() => Assert.Equal(6, page.FindAll("[data-testid=notification-row]").Count));
        await page.FindAll("[data-testid=toggle-read]")[0].ClickAsync(new MouseEventArgs()); // the newest, read before: unread again
        page.WaitForAssertion(() => Assert.Equal("true", page.FindAll("[data-testid=notification-row]")[0].GetAttribute("data-unread")));
        Assert.Equal(4, await UnreadAsync());
    }

    [Fact]
    public async Task ListAsync_KindFilter_OnlyThatKind()
    {
        await SeedAsync(7);

        var reminders = await Service.ListAsync(_userId, new NotificationQuery(Kind: NotificationKinds.ReviewSla), CancellationToken.None);
        var unreadIncidents = await Service.ListAsync(_userId, new NotificationQuery(UnreadOnly: true, Kind: NotificationKinds.IncidentNotice), CancellationToken.None);

        Assert.Equal(3, reminders.Total);
        Assert.All(reminders.Items, n => Assert.Equal(NotificationKinds.ReviewSla, n.Kind));
        Assert.Equal(["SEV2 assigned to you: incident 7", "SEV2 assigned to you: incident 5", "SEV2 assigned to you: incident 1"], unreadIncidents.Items.Select(n => n.Title));
        Assert.Equal(5, unreadIncidents.Unread); // the page's unread count is all of them, whatever the filter
    }

    [Fact]
    public void NoNotifications_SaysSo()
    {
        var page = Render<NotificationsPage>();
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=notifications-empty]")));
        Assert.True(page.Find("[data-testid=mark-all-read]").HasAttribute("disabled"));
    }
}
