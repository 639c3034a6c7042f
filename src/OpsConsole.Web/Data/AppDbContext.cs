using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Ingestion;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Review;

namespace OpsConsole.Web.Data;

public sealed class AppDbContext(DbContextOptions<AppDbContext> options) : IdentityDbContext<AppUser>(options)
{
    public DbSet<OperatingPath> Paths => Set<OperatingPath>();
    public DbSet<PathMember> PathMembers => Set<PathMember>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<InferenceEvent> InferenceEvents => Set<InferenceEvent>();
    public DbSet<QuarantinedEvent> QuarantinedEvents => Set<QuarantinedEvent>();
    public DbSet<ReviewItem> ReviewItems => Set<ReviewItem>();
    public DbSet<Label> Labels => Set<Label>();
    public DbSet<Features.Notifications.Notification> Notifications => Set<Features.Notifications.Notification>();
    public DbSet<Features.Dashboards.PathRollup> PathRollups => Set<Features.Dashboards.PathRollup>();
    public DbSet<Features.Dashboards.FailurePatternDay> FailurePatternDays => Set<Features.Dashboards.FailurePatternDay>();
    public DbSet<Features.Incidents.Incident> Incidents => Set<Features.Incidents.Incident>();
    public DbSet<Features.Controls.RolloutRequest> RolloutRequests => Set<Features.Controls.RolloutRequest>();
    public DbSet<Features.Drift.DriftCheckRun> DriftCheckRuns => Set<Features.Drift.DriftCheckRun>();
    public DbSet<Features.Incidents.IncidentEntry> IncidentEntries => Set<Features.Incidents.IncidentEntry>();
    public DbSet<Features.Webhooks.WebhookDelivery> WebhookDeliveries => Set<Features.Webhooks.WebhookDelivery>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.Entity<AppUser>().Property(u => u.DisplayName).HasMaxLength(200);
        builder.ApplyConfigurationsFromAssembly(typeof(AppDbContext).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every timestamp is UTC; SQLite hands DateTime back as Unspecified, so restore the kind on read.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
    }
}

internal sealed class UtcDateTimeConverter() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTime, DateTime>(
    v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
    v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
