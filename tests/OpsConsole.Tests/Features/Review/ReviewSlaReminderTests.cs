using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Notifications;
using OpsConsole.Web.Features.Review;

namespace OpsConsole.Tests.Features.Review;

/// <summary>SLA reminders come as one notice per path per hour, however many items went past due.</summary>
[Trait("Category", "Integration")]
public sealed class ReviewSlaReminderTests : IAsyncLifetime
{
    private readonly FakeClockFactory _factory = new();
    private string _onCall = "";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private ReviewSlaJob Job => _factory.Services.GetRequiredService<ReviewSlaJob>();

    public async ValueTask InitializeAsync()
    {
        _factory.CreateClient().Dispose();
        _onCall = await Principals.IdOfAsync(_factory, TestUsers.OnCall);
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    /// <summary>Low-confidence events on support-reply-draft (SLA 60 minutes): each becomes a review item due in an hour.</summary>
    private async Task NewItemsAsync(int count)
    {
        var at = _factory.Clock.GetUtcNow().UtcDateTime.AddSeconds(-5).ToString("O");
        var events = Enumerable.Range(0, count).Select(_ =>
        {
            var e = Ingest.Event("sla-" + Guid.NewGuid().ToString("N"), confidence: 0.1);
            e["occurredAt"] = at;
            return e;
        }).ToArray();
        Assert.Equal(count, (await Ingest.PostOkAsync(_factory.CreateClient(), Ingest.Batch(events))).Accepted);
    }

    private Task<List<Notification>> RemindersAsync() => Db.QueryAsync(_factory, db =>
        db.Notifications.Where(n => n.UserId == _onCall && n.Kind == "review-sla").OrderBy(n => n.Id).ToListAsync(Ct));

    [Fact]
    public async Task RunAsync_TwentyPastDueItemsOnAPath_OneNoticeSaysTwenty()
    {
        await NewItemsAsync(20);
        _factory.Clock.Advance(TimeSpan.FromMinutes(61));

        Assert.Equal(20, await Job.RunAsync(Ct));

        var notice = Assert.Single(await RemindersAsync());
        Assert.Equal("20 items past due on support-reply-draft", notice.Title);
        Assert.Equal("/review?path=support-reply-draft", notice.Link);
    }

    [Fact]
    public async Task RunAsync_MoreItemsPastDueWithinTheHour_SameNoticeCountsThemOnce()
    {
        await NewItemsAsync(3);
        _factory.Clock.Advance(TimeSpan.FromMinutes(30));
        await NewItemsAsync(2);
        _factory.Clock.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal(3, await Job.RunAsync(Ct));
        Assert.Equal(0, await Job.RunAsync(Ct)); // a retry or the next minute: no item counted twice

        _factory.Clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(2, await Job.RunAsync(Ct));

        var notice = Assert.Single(await RemindersAsync());
        Assert.Equal("5 items past due on support-reply-draft", notice.Title);
    }

    [Fact]
    public async Task RunAsync_NewItemsPastDueAnHourLater_NewNotice()
    {
        await NewItemsAsync(3);
        _factory.Clock.Advance(TimeSpan.FromMinutes(61));
        await Job.RunAsync(Ct);
        await NewItemsAsync(2);
        _factory.Clock.Advance(TimeSpan.FromMinutes(61));

        Assert.Equal(2, await Job.RunAsync(Ct));

        var notices = await RemindersAsync();
        Assert.Equal(["3 items past due on support-reply-draft", "2 items past due on support-reply-draft"], notices.Select(n => n.Title));
    }

    [Fact]
    public async Task RunAsync_OneItem_SaysItem()
    {
        await NewItemsAsync(1);
        _factory.Clock.Advance(TimeSpan.FromMinutes(61));

        await Job.RunAsync(Ct);

        Assert.Equal("1 item past due on support-reply-draft", Assert.Single(await RemindersAsync()).Title);
    }
}
