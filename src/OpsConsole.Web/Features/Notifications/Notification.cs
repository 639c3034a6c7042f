using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Notifications;

/// <summary>An in-app message to one user (the bell in the app bar).</summary>
public sealed class Notification
{
    public long Id { get; set; }
    public string UserId { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Title { get; set; } = "";
    public string? Link { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ReadAt { get; set; }
}

internal sealed class NotificationConfiguration : IEntityTypeConfiguration<Notification>
{
    public void Configure(EntityTypeBuilder<Notification> b)
    {
        b.Property(n => n.Kind).HasMaxLength(40);
        b.Property(n => n.Title).HasMaxLength(500);
        b.Property(n => n.Link).HasMaxLength(500);
        b.HasIndex(n => new { n.UserId, n.ReadAt, n.Id });
        b.HasOne<AppUser>().WithMany().HasForeignKey(n => n.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>Tells open views of a user that they have something new (in-process; the bell subscribes).</summary>
public sealed class NotificationNotifier
{
    public event Action<string>? Notified;

    public void Publish(IEnumerable<string> userIds)
    {
        foreach (var id in userIds.Distinct())
        {
            Notified?.Invoke(id);
        }
    }
}

public sealed class NotificationService(IDbContextFactory<AppDbContext> dbFactory, TimeProvider time)
{
    public async Task<(int Unread, IReadOnlyList<Notification> Latest)> ForUserAsync(string userId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var unread = await db.Notifications.CountAsync(n => n.UserId == userId && n.ReadAt == null, ct);
        var latest = await db.Notifications.AsNoTracking().Where(n => n.UserId == userId).OrderByDescending(n => n.Id).Take(10).ToListAsync(ct);
        return (unread, latest);
    }

    /// <summary>Marks the user's notifications up to <paramref name="upToId"/> read: one that arrived after the list was drawn stays unread.</summary>
    public async Task MarkReadAsync(string userId, long upToId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Notifications.Where(n => n.UserId == userId && n.ReadAt == null && n.Id <= upToId).ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadAt, now), ct);
    }
}

public static class NotificationsFeature
{
    public static WebApplicationBuilder AddNotifications(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<NotificationNotifier>();
        builder.Services.AddSingleton<NotificationService>();
        return builder;
    }
}
