using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Components;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Notifications;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Components;

/// <summary>The bell on the real notification service and database: count, list, live push, mark read.</summary>
[Trait("Category", "Integration")]
public sealed class NotificationBellTests : FactoryComponentTest
{
    private string _userId = "";

    protected override async Task ArrangeAsync()
    {
        Use<NotificationService>();
        Use<NotificationNotifier>();
        _userId = await SignInAsync(TestUsers.OnCall, AppRoles.OnCall);
    }

    private Task<long> NotifyAsync(string title, string kind = "incident") => Db.QueryAsync(Factory, async db =>
    {
        var n = new Notification { UserId = _userId, Kind = kind, Title = title, Link = "/incidents/1", CreatedAt = DateTime.UtcNow };
        db.Notifications.Add(n);
        await db.SaveChangesAsync();
        return n.Id;
    });

    private Task<int> UnreadAsync() => Db.QueryAsync(Factory, db => db.Notifications.CountAsync(n => n.UserId == _userId && n.ReadAt == null));

    [Fact]
    public async Task Count_LiveOnPush_OnlyForThisUser()
    {
        await NotifyAsync("SEV2 assigned to you: Drift alert on ticket-triage");
        var bell = Render<NotificationBell>();
        bell.WaitForAssertion(() => Assert.Equal("1", bell.Find(".mud-badge").TextContent.Trim()));

        // Pushed: the count grows without a reload.
        await NotifyAsync("Escalated SEV2: Drift alert on ticket-triage (not acknowledged)");
        var notifier = Factory.Services.GetRequiredService<NotificationNotifier>();
        notifier.Publish(["someone-else"]);
        Assert.Equal("1", bell.Find(".mud-badge").TextContent.Trim()); // another user's push is not read here
        notifier.Publish([_userId]);
        bell.WaitForAssertion(() => Assert.Equal("2", bell.Find(".mud-badge").TextContent.Trim()));
    }

    [Fact]
    public async Task Opening_ListsNewestFirst_MarksWhatWasShownRead()
    {
        await NotifyAsync("SEV2 assigned to you: Drift alert on ticket-triage");
        await NotifyAsync("Escalated SEV2: Drift alert on ticket-triage (not acknowledged)");
        var popovers = Render<MudBlazor.MudPopoverProvider>(); // where the open list is drawn
        var bell = Render<NotificationBell>();
        bell.WaitForAssertion(() => Assert.Equal("2", bell.Find(".mud-badge").TextContent.Trim()));

        await bell.Find("[data-testid=bell-button]").ClickAsync(new MouseEventArgs());

        popovers.WaitForAssertion(() => Assert.Equal(2, popovers.FindAll("[data-testid=notification]").Count));
        Assert.Contains("Escalated SEV2", popovers.FindAll("[data-testid=notification]")[0].TextContent);
        bell.WaitForAssertion(() => Assert.Empty(bell.FindAll(".mud-badge")));
        Assert.Equal(0, await UnreadAsync());
    }

    [Fact]
    public void NoNotifications_NoCount()
    {
        var bell = Render<NotificationBell>();
        Assert.Empty(bell.FindAll(".mud-badge"));
    }

    [Fact]
    public async Task MarkShownRead_OnlyWhatWasShown_AsItWasShown()
    {
        var shown = await NotifyAsync("first");
        var later = await NotifyAsync("arrived after the list was drawn");
        var grown = await NotifyAsync("3 items past due on support-reply-draft", NotificationKinds.ReviewSla);
        await Db.QueryAsync(Factory, db => db.Notifications.Where(n => n.Id == grown)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.Count, 5).SetProperty(n => n.Title, "5 items past due on support-reply-draft")));

        // The reader saw "first" and the reminder when it said 3.
        await Factory.Services.GetRequiredService<NotificationService>().MarkShownReadAsync(_userId, [new(shown, 1), new(grown, 3)], CancellationToken.None);

        var unread = await Db.QueryAsync(Factory, db => db.Notifications.Where(n => n.UserId == _userId && n.ReadAt == null).OrderBy(n => n.Id).Select(n => n.Id).ToListAsync());
        Assert.Equal([later, grown], unread);
    }

    [Fact]
    public async Task Opening_IncidentThenThirtyReminders_IncidentStillListedFirst()
    {
        await NotifyAsync("SEV1 assigned to you: Refund replies promise the wrong amount");
        for (var i = 0; i < 30; i++)
        {
            await NotifyAsync($"{i + 1} items past due on support-reply-draft", "review-sla");
        }
        var popovers = Render<MudBlazor.MudPopoverProvider>();
        var bell = Render<NotificationBell>();
        bell.WaitForAssertion(() => Assert.Equal("31", bell.Find(".mud-badge").TextContent.Trim()));

        await bell.Find("[data-testid=bell-button]").ClickAsync(new MouseEventArgs());

        popovers.WaitForAssertion(() => Assert.NotEmpty(popovers.FindAll("[data-testid=notification]")));
        var listed = popovers.FindAll("[data-testid=notification]");
        Assert.Contains("SEV1 assigned to you", listed[0].TextContent);
        // Reminders are listed under their own heading after it, newest first, a few of them.
        Assert.Contains("30 items past due", listed[1].TextContent);
        Assert.Equal(NotificationService.BellReminders, listed.Count(n => n.GetAttribute("data-kind") == NotificationKinds.ReviewSla));
        Assert.NotNull(popovers.Find("[data-testid=bell-reminders]"));
        Assert.Equal("/notifications", popovers.Find("a[data-testid=see-all]").GetAttribute("href"));
    }

    [Fact]
    public async Task Opening_MoreUnreadThanTheListHolds_OnlyTheListedAreMarkedRead()
    {
        for (var i = 0; i < 25; i++)
        {
            await NotifyAsync($"SEV3 assigned to you: incident {i}");
        }
        var popovers = Render<MudBlazor.MudPopoverProvider>();
        var bell = Render<NotificationBell>();
        // Clicked once the count is drawn, as a person would: a click racing the first render's
        // completion would reach a button the render replaced.
        bell.WaitForAssertion(() => Assert.Equal("25", bell.Find(".mud-badge").TextContent.Trim()));

        await bell.Find("[data-testid=bell-button]").ClickAsync(new MouseEventArgs());

        popovers.WaitForAssertion(() => Assert.NotEmpty(popovers.FindAll("[data-testid=notification]")));
        var shown = popovers.FindAll("[data-testid=notification]").Count;
        Assert.Equal(NotificationService.BellAlerts, shown);
        bell.WaitForAssertion(() => Assert.Equal((25 - shown).ToString(), bell.Find(".mud-badge").TextContent.Trim()));
        Assert.Equal(25 - shown, await UnreadAsync());
    }
}
