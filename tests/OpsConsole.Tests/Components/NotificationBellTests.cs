using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Notifications;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Components;

/// <summary>The bell on the real notification service and database: count, list, live push, mark read.</summary>
public sealed class NotificationBellTests : ComponentTestBase, IAsyncLifetime
{
    private readonly OpsConsoleFactory _factory = new();
    private string _userId = "";

    public async ValueTask InitializeAsync()
    {
        _userId = await Principals.IdOfAsync(_factory, TestUsers.OnCall);
        Services.AddSingleton(_factory.Services.GetRequiredService<NotificationService>());
        Services.AddSingleton(_factory.Services.GetRequiredService<NotificationNotifier>());
        SignedInAsUser(_userId, TestUsers.OnCall, AppRoles.OnCall);
        Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await base.DisposeAsync();
        await _factory.DisposeAsync();
    }

    private Task<long> NotifyAsync(string title) => Db.QueryAsync(_factory, async db =>
    {
        var n = new Notification { UserId = _userId, Kind = "incident", Title = title, Link = "/incidents/1", CreatedAt = DateTime.UtcNow };
        db.Notifications.Add(n);
        await db.SaveChangesAsync();
        return n.Id;
    });

    private Task<int> UnreadAsync() => Db.QueryAsync(_factory, db => db.Notifications.CountAsync(n => n.UserId == _userId && n.ReadAt == null));

    [Fact]
    public async Task Count_LiveOnPush_OnlyForThisUser()
    {
        await NotifyAsync("SEV2 assigned to you: Drift alert on ticket-triage");
        var bell = Render<NotificationBell>();
        bell.WaitForAssertion(() => Assert.Equal("1", bell.Find(".mud-badge").TextContent.Trim()));

        // Pushed: the count grows without a reload.
        await NotifyAsync("Escalated SEV2: Drift alert on ticket-triage (not acknowledged)");
        var notifier = _factory.Services.GetRequiredService<NotificationNotifier>();
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

        bell.Find("[data-testid=bell-button]").Click();

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
    public async Task MarkRead_OnlyUpToWhatWasShown()
    {
        var shown = await NotifyAsync("first");
        var later = await NotifyAsync("arrived after the list was drawn");

        await _factory.Services.GetRequiredService<NotificationService>().MarkReadAsync(_userId, shown, CancellationToken.None);

        var unread = await Db.QueryAsync(_factory, db => db.Notifications.Where(n => n.UserId == _userId && n.ReadAt == null).Select(n => n.Id).ToListAsync());
        Assert.Equal([later], unread);
    }
}
