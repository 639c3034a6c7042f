using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Webhooks;

public static class WebhookEvents
{
    public const string IncidentOpened = "incident.opened";
    public const string IncidentAcknowledged = "incident.acknowledged";
    public const string IncidentResolved = "incident.resolved";
    public const string KillSwitchChanged = "killswitch.changed";
    /// <summary>A path's spend crossed a warning level of its budget (85 % and 95 % by default).</summary>
    public const string BudgetWarning = "budget.warning";
    /// <summary>A path spent 100 % of a budget; the budget's action follows.</summary>
    public const string BudgetExhausted = "budget.exhausted";
}

/// <summary>
/// One outgoing webhook call waiting or done: the outbox. Rows are written in the transaction of
/// the change they announce and sent by a recurring job, so a restart loses none.
/// </summary>
public sealed class WebhookDelivery
{
    public long Id { get; set; }
    public int PathId { get; set; }
    public string Event { get; set; } = "";
    public string PayloadJson { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public int Attempts { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public DateTime? DeliveredAt { get; set; }
    /// <summary>Given up after <see cref="WebhookDispatcher.MaxAttempts"/> attempts.</summary>
    public DateTime? FailedAt { get; set; }
    public int? LastStatus { get; set; }
    public string? LastError { get; set; }
}

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> b)
    {
        b.ToTable("WebhookDeliveries");
        b.Property(d => d.Event).HasMaxLength(40);
        b.Property(d => d.LastError).HasMaxLength(1000);
        b.HasIndex(d => new { d.DeliveredAt, d.FailedAt, d.NextAttemptAt });
        b.HasIndex(d => new { d.PathId, d.Id });
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(d => d.PathId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>Adds a delivery to the change's own context (saved and committed with it).</summary>
public static class Outbox
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Add(AppDbContext db, Paths.OperatingPath path, string @event, object data, DateTime now)
    {
        if (string.IsNullOrWhiteSpace(path.WebhookUrl))
        {
            return;
        }
        var payload = JsonSerializer.Serialize(new { @event, path = path.Slug, at = now, data }, Json);
        db.Set<WebhookDelivery>().Add(new WebhookDelivery { PathId = path.Id, Event = @event, PayloadJson = payload, CreatedAt = now, NextAttemptAt = now });
    }
}
