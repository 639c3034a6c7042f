using OpsConsole.Web.Components.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OpsConsole.Web.Data;
using OpsConsole.Web.Realtime;

namespace OpsConsole.Web.Features.Notifications;

/// <summary>An in-app message to one user (the bell in the app bar, and the notifications page).</summary>
public sealed class Notification
{
    public long Id { get; set; }
    public string UserId { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Title { get; set; } = "";
    public string? Link { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ReadAt { get; set; }

    /// <summary>Set on notices that stand for several things (a path's past-due reminders): later ones of the same group add to it.</summary>
    public string? GroupKey { get; set; }

    /// <summary>How many things the notice stands for; only grows. Also what a reader saw, so a notice that grew since stays unread.</summary>
    public int Count { get; set; } = 1;

    /// <summary>When the count last grew; null while it stands for what it first said.</summary>
    public DateTime? UpdatedAt { get; set; }

    public bool IsReminder => NotificationKinds.IsReminder(Kind);
}

/// <summary>
/// The kinds of notice. Incidents, escalations and automatic actions come first wherever notices are
/// listed; reminders (past-due review items) are listed apart, so however many arrive at night
/// they never push an incident out of view.
/// </summary>
public static class NotificationKinds
{
    public const string IncidentNotice = "incident";
    public const string Escalation = "escalation";
    public const string AutomaticAction = "automatic-action";
    public const string ReviewSla = "review-sla";
    /// <summary>A release's canary step waits for approval, or paused.</summary>
    public const string Canary = "canary";
    /// <summary>A path's spend crossed a warning level of its budget, or is forecast to reach the limit.</summary>
    public const string Budget = "budget";
    /// <summary>An API key the user created enters its last days before expiry.</summary>
    public const string KeyExpiry = "api-key";

    public static readonly string[] Reminders = [ReviewSla];

    public static bool IsReminder(string kind) => Reminders.Contains(kind);

    public static string Title(string kind) => kind switch
    {
        IncidentNotice => "Incident",
        Escalation => "Escalation",
        AutomaticAction => "Automatic action",
        ReviewSla => "Review reminder",
        Canary => "Canary",
        Budget => "Budget",
        KeyExpiry => "API key",
        _ => kind,
    };

    public static string Icon(string kind) => kind switch
    {
        IncidentNotice => MudBlazor.Icons.Material.Filled.Warning,
        Escalation => MudBlazor.Icons.Material.Filled.NotificationImportant,
        AutomaticAction => MudBlazor.Icons.Material.Filled.PowerSettingsNew,
        Canary => MudBlazor.Icons.Material.Filled.Science,
        Budget => MudBlazor.Icons.Material.Filled.Savings,
        KeyExpiry => MudBlazor.Icons.Material.Filled.Key,
        _ => MudBlazor.Icons.Material.Filled.Schedule,
    };

    /// <summary>What the notifications page filters by, in the order it lists them.</summary>
    public static readonly string[] All = [IncidentNotice, Escalation, AutomaticAction, Canary, Budget, KeyExpiry, ReviewSla];
}

internal sealed class NotificationConfiguration : IEntityTypeConfiguration<Notification>
{
    public void Configure(EntityTypeBuilder<Notification> b)
    {
        b.ToTable("Notifications");
        b.Property(n => n.Kind).HasMaxLength(40);
        b.Property(n => n.Title).HasMaxLength(500);
        b.Property(n => n.Link).HasMaxLength(500);
        b.Property(n => n.GroupKey).HasMaxLength(200);
        b.Ignore(n => n.IsReminder);
        b.HasIndex(n => new { n.UserId, n.ReadAt, n.Id });
        b.HasIndex(n => new { n.UserId, n.Kind, n.Id });
        b.HasIndex(n => new { n.UserId, n.GroupKey, n.Id });
        b.HasOne<AppUser>().WithMany().HasForeignKey(n => n.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>Tells open views of a user, on every instance, that they have something new (the bell and the page subscribe).</summary>
public sealed class NotificationNotifier(ILogger<NotificationNotifier> log, ClusterBus bus) : Notifier<string>(log, bus)
{
    /// <summary>Tells each of the users once (the argument of a change is a user id).</summary>
    public void Publish(IEnumerable<string> userIds)
    {
        foreach (var id in userIds.Distinct())
        {
            Raise(id);
        }
    }
}

/// <summary>A notice as the bell and the notifications page show it.</summary>
public sealed record NotificationView(long Id, string Kind, string Title, string? Link, DateTime CreatedAt, DateTime? ReadAt, int Count, DateTime? UpdatedAt)
{
    public bool IsReminder => NotificationKinds.IsReminder(Kind);
}

/// <summary>What the bell shows: incidents and actions in their own list, so reminders cannot crowd them out.</summary>
public sealed record BellContents(int Unread, IReadOnlyList<NotificationView> Alerts, IReadOnlyList<NotificationView> Reminders)
{
    public static readonly BellContents Empty = new(0, [], []);
}

/// <summary>A notice as the reader saw it: marking it read only counts if it has not grown since.</summary>
public readonly record struct ShownNotification(long Id, int Count);

/// <summary>The notifications page's query. <paramref name="Kind"/> null means every kind.</summary>
public sealed record NotificationQuery(bool UnreadOnly = false, string? Kind = null, int Page = 1, int PageSize = 25);

public sealed record NotificationPage(int Total, int Unread, IReadOnlyList<NotificationView> Items);

public sealed class NotificationService(IDbContextFactory<AppDbContext> dbFactory, NotificationNotifier notifier, TimeProvider time)
{
    public const int BellAlerts = 8;
    public const int BellReminders = 5;

    private static readonly System.Linq.Expressions.Expression<Func<Notification, NotificationView>> ToView =
        n => new NotificationView(n.Id, n.Kind, n.Title, n.Link, n.CreatedAt, n.ReadAt, n.Count, n.UpdatedAt);

    public async Task<BellContents> BellAsync(string userId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var mine = db.Notifications.AsNoTracking().Where(n => n.UserId == userId);
        var unread = await mine.CountAsync(n => n.ReadAt == null, ct);
        var alerts = await mine.Where(n => !NotificationKinds.Reminders.Contains(n.Kind)).OrderByDescending(n => n.Id).Take(BellAlerts).Select(ToView).ToListAsync(ct);
        var reminders = await mine.Where(n => NotificationKinds.Reminders.Contains(n.Kind)).OrderByDescending(n => n.Id).Take(BellReminders).Select(ToView).ToListAsync(ct);
        return new BellContents(unread, alerts, reminders);
    }

    public async Task<int> UnreadAsync(string userId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Notifications.CountAsync(n => n.UserId == userId && n.ReadAt == null, ct);
    }

    /// <summary>
    /// Marks read exactly the notices the reader was shown, as they were shown: one that arrived
    /// after the list was drawn, or a reminder whose count grew since, stays unread.
    /// </summary>
    public async Task MarkShownReadAsync(string userId, IReadOnlyCollection<ShownNotification> shown, CancellationToken ct)
    {
        if (shown.Count == 0)
        {
            return;
        }
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var n in shown)
        {
            await db.Notifications.Where(x => x.Id == n.Id && x.UserId == userId && x.ReadAt == null && x.Count == n.Count)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.ReadAt, now), ct);
        }
        await tx.CommitAsync(ct);
    }

    public async Task<NotificationPage> ListAsync(string userId, NotificationQuery query, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var mine = db.Notifications.AsNoTracking().Where(n => n.UserId == userId);
        var unread = await mine.CountAsync(n => n.ReadAt == null, ct);
        var matching = Filter(mine, query.UnreadOnly, query.Kind);
        var total = await matching.CountAsync(ct);
        var size = Math.Clamp(query.PageSize, 1, 100);
        var page = Math.Max(1, query.Page);
        var items = await matching.OrderByDescending(n => n.Id).Skip((page - 1) * size).Take(size).Select(ToView).ToListAsync(ct);
        return new NotificationPage(total, unread, items);
    }

    /// <summary>Marks every unread notice of the user read; returns how many.</summary>
    public async Task<int> MarkAllReadAsync(string userId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var marked = await db.Notifications.Where(n => n.UserId == userId && n.ReadAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadAt, now), ct);
        notifier.Publish([userId]);
        return marked;
    }

    public async Task SetReadAsync(string userId, long id, bool read, CancellationToken ct)
    {
        DateTime? at = read ? time.GetUtcNow().UtcDateTime : null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Notifications.Where(n => n.Id == id && n.UserId == userId && (read ? n.ReadAt == null : n.ReadAt != null))
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadAt, at), ct);
        notifier.Publish([userId]);
    }

    /// <summary>
    /// Adds <paramref name="added"/> things to the user's notice of <paramref name="groupKey"/> from the
    /// last <paramref name="window"/>, or starts a new one: at most one new notice per group and window.
    /// Runs in the caller's transaction, so the notice counts exactly what the caller marked as told.
    /// A notice already read stays read while it grows: the reader was told this window; the page
    /// and the bell show the new count, and the next window brings a new notice.
    /// </summary>
    public static async Task AddToGroupAsync(AppDbContext db, string userId, string kind, string groupKey, int added, Func<int, string> title,
        string? link, TimeSpan window, DateTime now, CancellationToken ct)
    {
        var since = now - window;
        var current = await db.Notifications.AsNoTracking()
            .Where(n => n.UserId == userId && n.GroupKey == groupKey && n.CreatedAt > since)
            .OrderByDescending(n => n.Id).Select(n => new { n.Id, n.Count }).FirstOrDefaultAsync(ct);
        if (current is null)
        {
            db.Notifications.Add(new Notification
            {
                UserId = userId,
                Kind = kind,
                GroupKey = groupKey,
                Count = added,
                Title = title(added),
                Link = link,
                CreatedAt = now,
            });
            await db.SaveChangesAsync(ct);
            return;
        }
        var count = current.Count + added;
        await db.Notifications.Where(n => n.Id == current.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.Count, count).SetProperty(n => n.Title, title(count)).SetProperty(n => n.UpdatedAt, now), ct);
    }

    private static IQueryable<Notification> Filter(IQueryable<Notification> q, bool unreadOnly, string? kind)
    {
        if (unreadOnly)
        {
            q = q.Where(n => n.ReadAt == null);
        }
        return kind is null ? q : q.Where(n => n.Kind == kind);
    }
}

public static class NotificationsFeature
{
    public static WebApplicationBuilder AddNotifications(this WebApplicationBuilder builder)
    {
        builder.Services.AddNotifier<NotificationNotifier>();
        builder.Services.AddSingleton<NotificationService>();
        builder.Services.AddAppBarItem<NotificationBell>(AppBarPlacement.AfterThemeToggle);
        return builder;
    }
}
