using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Notifications;
using OpsConsole.Web.Realtime;

namespace OpsConsole.Web.Features.Incidents;

/// <summary>
/// Opens incidents for what the system detects (one open incident per path and cause: a repeated
/// alert adds to its timeline) and contains the path when its owners' policy says so. The
/// containment is the system user's action: audited, on the timeline, pushed to clients like a
/// manual flip, and never repeated while the path stays contained.
/// </summary>
public sealed class IncidentService(
    IDbContextFactory<AppDbContext> dbFactory, AuditLog audit, ConfigChangeNotifier configChanges, NotificationNotifier notifications, TimeProvider time)
{
    public const string SystemActor = "system";

    /// <summary>What <see cref="RaiseAsync"/> did.</summary>
    public sealed record RaiseResult(long IncidentId, bool Opened, bool Contained);

    public async Task<RaiseResult> RaiseAsync(int pathId, string cause, string title, string severity, string source, string detail, bool contain, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var write = await audit.BeginAsync(db, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var path = await db.Paths.FirstAsync(p => p.Id == pathId, ct);
        // Inside the write lock: two alerts at once still find each other's incident.
        var incident = await db.Incidents.FirstOrDefaultAsync(i => i.PathId == pathId && i.Cause == cause && i.Status != IncidentStatuses.Resolved, ct);
        var opened = incident is null;
        if (incident is null)
        {
            incident = new Incident
            {
                PathId = pathId, Cause = cause, Title = title, Severity = severity, Source = source,
                AssigneeUserId = path.OnCallUserId, TriggeredAt = now,
            };
            db.Incidents.Add(incident);
            await db.SaveChangesAsync(ct);
            write.Record(AuditActor.System, "incident.open", "incident", incident.Id.ToString(), path.Slug, null, new { title, severity, source, cause });
        }
        db.IncidentEntries.Add(new IncidentEntry { IncidentId = incident.Id, At = now, Actor = SystemActor, Kind = opened ? "opened" : "alert", Text = detail });

        var contained = false;
        long version = path.ConfigVersion;
        if (contain)
        {
            var target = path.Drift.ContainToPercent;
            if (target is null && !path.KillSwitchOn)
            {
                path.KillSwitchOn = true;
                path.KillSwitchReason = $"Automatic containment: {title}";
                path.KillSwitchBy = SystemActor;
                path.KillSwitchAt = now;
                contained = true;
            }
            else if (target is { } percent && path.RolloutPercent > percent)
            {
                path.RolloutPercent = percent;
                path.RolloutChangedAt = now;
                contained = true;
            }
            if (contained)
            {
                path.ConfigVersion++;
                path.UpdatedAt = now;
                version = path.ConfigVersion;
                var action = target is null ? "kill switch on" : $"rollout lowered to {target} %";
                write.Record(AuditActor.System, target is null ? "path.kill" : "rollout.decrease", "path", path.Slug, path.Slug, null,
                    new { automatic = true, incident = incident.Id, action, configVersion = version });
                db.IncidentEntries.Add(new IncidentEntry { IncidentId = incident.Id, At = now, Actor = SystemActor, Kind = "contained", Text = $"Automatic containment: {action} (the path's policy)." });
            }
        }
        var notify = new List<string>();
        if (opened && incident.AssigneeUserId is { } assignee)
        {
            notify.Add(assignee);
            db.Notifications.Add(new Notification { UserId = assignee, Kind = "incident", Title = $"{severity} assigned to you: {title}", Link = $"/incidents/{incident.Id}", CreatedAt = now });
        }
        await db.SaveChangesAsync(ct);
        await write.CommitAsync(ct);
        if (contained)
        {
            configChanges.Publish(path.Slug, version);
        }
        notifications.Publish(notify);
        return new RaiseResult(incident.Id, opened, contained);
    }
}
