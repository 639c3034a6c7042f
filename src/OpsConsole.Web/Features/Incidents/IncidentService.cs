using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Infrastructure.Security;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Notifications;
using OpsConsole.Web.Realtime;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Decisions;

namespace OpsConsole.Web.Features.Incidents;

/// <summary>
/// Opens incidents for what the system detects (one open incident per path and cause: a repeated
/// alert adds to its timeline) and contains the path when its owners' policy says so. The
/// containment is the system user's action: audited, on the timeline, pushed to clients like a
/// manual flip, and never repeated while the path stays contained.
/// </summary>
public sealed class IncidentService(
    IDbContextFactory<AppDbContext> dbFactory, AuditLog audit, ConfigChangeNotifier configChanges, NotificationNotifier notifications,
    Permissions permissions, IncidentNotifier changes, TimeProvider time)
{
    public const string SystemActor = "system";

    /// <summary>
    /// What <see cref="RaiseAsync"/> did. Not a <see cref="CommandResult"/>: the system raising an
    /// alert is never refused, so there is no error to carry.
    /// </summary>
    public sealed record RaisedIncident(long IncidentId, bool Opened, bool Contained);

    public Task<RaisedIncident> RaiseAsync(int pathId, string cause, string title, string severity, string source, string detail, bool contain, CancellationToken ct) =>
        RaiseAsync(pathId, cause, title, severity, source, detail, contain, null, ct);

    /// <param name="driftRunId">The drift check run that found it, kept on the timeline entry as evidence.</param>
    public Task<RaisedIncident> RaiseAsync(int pathId, string cause, string title, string severity, string source, string detail, bool contain, long? driftRunId, CancellationToken ct) =>
        RaiseAsync(pathId, cause, title, severity, source, detail, contain ? (path => Controls.Containment.PolicyOf(path)) : null, driftRunId, ct);

    /// <param name="containment">How to contain the path (from its current row), or null to only raise the incident.</param>
    public async Task<RaisedIncident> RaiseAsync(int pathId, string cause, string title, string severity, string source, string detail,
        Func<OperatingPath, Controls.Containment.Plan?>? containment, long? driftRunId, CancellationToken ct)
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
                PathId = pathId,
                Cause = cause,
                Title = title,
                Severity = severity,
                Source = source,
                AssigneeUserId = path.OnCallUserId,
                TriggeredAt = now,
            };
            db.Incidents.Add(incident);
            await db.SaveChangesAsync(ct);
            write.Record(AuditActor.System, "incident.open", "incident", incident.Id.ToString(), path.Slug, null, new { title, severity, source, cause });
            Webhooks.Outbox.Add(db, path, Webhooks.WebhookEvents.IncidentOpened, new { incident = incident.Id, title, severity, source, detail }, now);
        }
        db.IncidentEntries.Add(new IncidentEntry { IncidentId = incident.Id, At = now, Actor = SystemActor, Kind = opened ? IncidentEntryKinds.Opened : IncidentEntryKinds.Alert, Text = detail, DriftRunId = driftRunId });

        // Containment is a Controls operation: the same conditional update, audit and webhook as a person's change.
        var plan = containment?.Invoke(path);
        var applied = plan is not null
            ? await Controls.Containment.ApplyAsync(db, write, path, plan, $"Automatic containment: {title}", SystemActor, incident.Id, now, ct)
            : null;
        var contained = applied is not null;
        long? version = applied?.Version;
        if (applied is { } c)
        {
            db.IncidentEntries.Add(new IncidentEntry { IncidentId = incident.Id, At = now, Actor = SystemActor, Kind = IncidentEntryKinds.Contained, Text = $"Automatic containment: {c.Action} ({(plan!.By == OpsConsole.Client.Containments.Budget ? "the path's budget action" : "the path's policy")})." });
        }
        var notify = new List<string>();
        if (contained)
        {
            // Automatic actions are told to the people who chose them: the owners, and the on-call person.
            var owners = await db.PathMembers.Where(m => m.PathId == pathId && m.Kind == Paths.PathMemberKind.Owner).Select(m => m.UserId).ToListAsync(ct);
            foreach (var user in owners.Append(path.OnCallUserId).OfType<string>().Distinct())
            {
                notify.Add(user);
                db.Notifications.Add(new Notification { UserId = user, Kind = NotificationKinds.AutomaticAction, Title = $"{path.Slug} contained automatically: {title}", Link = $"/incidents/{incident.Id}", CreatedAt = now });
            }
        }
        if (opened && incident.AssigneeUserId is { } assignee)
        {
            notify.Add(assignee);
            db.Notifications.Add(new Notification { UserId = assignee, Kind = NotificationKinds.IncidentNotice, Title = $"{severity} assigned to you: {title}", Link = $"/incidents/{incident.Id}", CreatedAt = now });
        }
        await db.SaveChangesAsync(ct);
        await write.CommitAsync(ct);
        if (version is { } newVersion)
        {
            configChanges.Publish(path.Slug, newVersion);
        }
        notifications.Publish(notify);
        changes.Publish(incident.Id);
        return new RaisedIncident(incident.Id, opened, contained);
    }

    /// <summary>Acknowledge, resolve, reassign, reopen, note, open by hand: admins, owners of the path, its on-call person.</summary>
    public Task<bool> MayActAsync(ClaimsPrincipal user, string slug, CancellationToken ct) =>
        permissions.MayAsync(user, PathAction.HandleIncident, slug, ct);

    public async Task<CommandResult<long>> OpenAsync(string slug, string? title, string severity, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!await MayActAsync(user, slug, ct))
        {
            return CommandResult<long>.Fail("Only the path's owners, its on-call person and admins can open an incident.");
        }
        if (string.IsNullOrWhiteSpace(title) || title.Trim().Length > 300)
        {
            return CommandResult<long>.Fail("Give the incident a title of at most 300 characters.");
        }
        if (!IncidentSeverities.All.Contains(severity))
        {
            return CommandResult<long>.Fail("Severity must be SEV1, SEV2, SEV3 or SEV4.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var path = await db.Paths.AsNoTracking().FirstAsync(p => p.Slug == slug, ct);
        await using var write = await audit.BeginAsync(db, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var actor = AuditActor.From(user);
        var incident = new Incident
        {
            PathId = path.Id,
            Title = title.Trim(),
            Severity = severity,
            Source = IncidentSources.Manual,
            Cause = IncidentCauses.NewManual(),
            AssigneeUserId = path.OnCallUserId,
            TriggeredAt = now,
        };
        db.Incidents.Add(incident);
        await db.SaveChangesAsync(ct);
        db.IncidentEntries.Add(new IncidentEntry { IncidentId = incident.Id, At = now, Actor = actor.Name, Kind = IncidentEntryKinds.Opened, Text = $"Opened by hand ({severity})." });
        if (path.OnCallUserId is { } onCall && onCall != actor.UserId)
        {
            db.Notifications.Add(new Notification { UserId = onCall, Kind = NotificationKinds.IncidentNotice, Title = $"{severity} assigned to you: {incident.Title}", Link = $"/incidents/{incident.Id}", CreatedAt = now });
        }
        write.Record(actor, "incident.open", "incident", incident.Id.ToString(), slug, null, new { incident.Title, severity, source = IncidentSources.Manual });
        Webhooks.Outbox.Add(db, path, Webhooks.WebhookEvents.IncidentOpened, new { incident = incident.Id, title = incident.Title, severity, source = IncidentSources.Manual, by = actor.Name }, now);
        await db.SaveChangesAsync(ct);
        await write.CommitAsync(ct);
        Changed(incident.Id, path.OnCallUserId);
        return CommandResult<long>.Ok(incident.Id);
    }

    public Task<CommandResult> AcknowledgeAsync(long id, ClaimsPrincipal user, CancellationToken ct) =>
        TransitionAsync(id, user, [IncidentStatuses.Triggered], IncidentStatuses.Acknowledged, IncidentEntryKinds.Acknowledged, null, ct);

    public Task<CommandResult> ResolveAsync(long id, string? note, ClaimsPrincipal user, CancellationToken ct) =>
        string.IsNullOrWhiteSpace(note) ? Task.FromResult(CommandResult.Fail("Say how it was resolved: the note goes on the timeline."))
        : TransitionAsync(id, user, [IncidentStatuses.Triggered, IncidentStatuses.Acknowledged], IncidentStatuses.Resolved, IncidentEntryKinds.Resolved, note.Trim(), ct);

    public Task<CommandResult> ReopenAsync(long id, string? note, ClaimsPrincipal user, CancellationToken ct) =>
        TransitionAsync(id, user, [IncidentStatuses.Resolved], IncidentStatuses.Triggered, IncidentEntryKinds.Reopened, string.IsNullOrWhiteSpace(note) ? null : note.Trim(), ct);

    private async Task<CommandResult> TransitionAsync(long id, ClaimsPrincipal user, string[] from, string to, string kind, string? note, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (incident, slug, refusal) = await ActableAsync(db, id, user, tracked: false, ct);
        if (refusal is not null)
        {
            return CommandResult.Fail(refusal);
        }
        await using var write = await audit.BeginAsync(db, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var actor = AuditActor.From(user);
        // Conditional on the current state: a double click or two people at once change it once.
        var changed = await db.Incidents.Where(i => i.Id == id && from.Contains(i.Status)).ExecuteUpdateAsync(s => s
            .SetProperty(i => i.Status, to)
            .SetProperty(i => i.AcknowledgedAt, i => to == IncidentStatuses.Acknowledged ? now : to == IncidentStatuses.Resolved ? (i.AcknowledgedAt ?? now) : i.AcknowledgedAt)
            .SetProperty(i => i.ResolvedAt, i => to == IncidentStatuses.Resolved ? now : to == IncidentStatuses.Triggered ? null : i.ResolvedAt), ct);
        if (changed == 0)
        {
            return CommandResult.Outdated($"The incident is {incident.Status}; it cannot be {kind} now.");
        }
        db.IncidentEntries.Add(new IncidentEntry { IncidentId = id, At = now, Actor = actor.Name, Kind = kind, Text = note ?? $"{char.ToUpperInvariant(kind[0])}{kind[1..]}." });
        write.Record(actor, "incident." + kind, "incident", id.ToString(), slug, new { status = incident.Status }, new { status = to, note });
        if (to is IncidentStatuses.Acknowledged or IncidentStatuses.Resolved)
        {
            var path = await db.Paths.AsNoTracking().FirstAsync(p => p.Id == incident.PathId, ct);
            Webhooks.Outbox.Add(db, path, to == IncidentStatuses.Acknowledged ? Webhooks.WebhookEvents.IncidentAcknowledged : Webhooks.WebhookEvents.IncidentResolved,
                new { incident = id, title = incident.Title, status = to, by = actor.Name, note }, now);
        }
        await db.SaveChangesAsync(ct);
        await write.CommitAsync(ct);
        Changed(id, null);
        return CommandResult.Ok();
    }

    public async Task<CommandResult> ReassignAsync(long id, string assigneeUserId, ClaimsPrincipal user, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (incident, slug, refusal) = await ActableAsync(db, id, user, tracked: true, ct);
        if (refusal is not null)
        {
            return CommandResult.Fail(refusal);
        }
        var assignee = await db.Users.Where(u => u.Id == assigneeUserId && !u.IsSystem).Select(u => u.Email).FirstOrDefaultAsync(ct);
        if (assignee is null)
        {
            return CommandResult.Fail("Choose a user to assign it to.");
        }
        await using var write = await audit.BeginAsync(db, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var actor = AuditActor.From(user);
        var before = incident.AssigneeUserId;
        incident.AssigneeUserId = assigneeUserId;
        db.IncidentEntries.Add(new IncidentEntry { IncidentId = id, At = now, Actor = actor.Name, Kind = IncidentEntryKinds.Reassigned, Text = $"Assigned to {assignee}." });
        db.Notifications.Add(new Notification { UserId = assigneeUserId, Kind = NotificationKinds.IncidentNotice, Title = $"{incident.Severity} assigned to you: {incident.Title}", Link = $"/incidents/{id}", CreatedAt = now });
        write.Record(actor, "incident.reassign", "incident", id.ToString(), slug, new { assignee = before }, new { assignee });
        await db.SaveChangesAsync(ct);
        await write.CommitAsync(ct);
        Changed(id, assigneeUserId);
        return CommandResult.Ok();
    }

    public async Task<CommandResult> AddNoteAsync(long id, string? text, ClaimsPrincipal user, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Length > 4000)
        {
            return CommandResult.Fail("Write a note of at most 4,000 characters.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (_, _, refusal) = await ActableAsync(db, id, user, tracked: false, ct);
        if (refusal is not null)
        {
            return CommandResult.Fail(refusal);
        }
        db.IncidentEntries.Add(new IncidentEntry { IncidentId = id, At = time.GetUtcNow().UtcDateTime, Actor = AuditActor.From(user).Name, Kind = IncidentEntryKinds.Note, Text = text.Trim() });
        await db.SaveChangesAsync(ct);
        Changed(id, null);
        return CommandResult.Ok();
    }

    /// <summary>
    /// Escalates incidents left unacknowledged past the timeout: marks them, puts it on the timeline
    /// and notifies the path's owners. Reads what is due from the database, so a restart in
    /// between (Hangfire's storage is in memory) loses nothing; the conditional update makes a
    /// second sweep a no-op. Returns how many were escalated.
    /// </summary>
    public async Task<int> EscalateDueAsync(TimeSpan ackTimeout, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var due = now - ackTimeout;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var candidates = await db.Incidents.AsNoTracking()
            .Where(i => i.Status == IncidentStatuses.Triggered && i.EscalatedAt == null && i.TriggeredAt <= due).ToListAsync(ct);
        var escalated = 0;
        foreach (var incident in candidates)
        {
            await using var write = await audit.BeginAsync(db, ct);
            var changed = await db.Incidents.Where(i => i.Id == incident.Id && i.Status == IncidentStatuses.Triggered && i.EscalatedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.EscalatedAt, now), ct);
            if (changed == 0)
            {
                continue;
            }
            var path = await db.Paths.AsNoTracking().Where(p => p.Id == incident.PathId).Select(p => new { p.Slug, Owners = p.Members.Where(m => m.Kind == Paths.PathMemberKind.Owner).Select(m => m.UserId).ToList() }).FirstAsync(ct);
            db.IncidentEntries.Add(new IncidentEntry
            {
                IncidentId = incident.Id,
                At = now,
                Actor = SystemActor,
                Kind = IncidentEntryKinds.Escalated,
                Text = $"Not acknowledged within {ackTimeout.TotalMinutes:0} minutes: escalated to the path's owners."
            });
            foreach (var owner in path.Owners.Append(incident.AssigneeUserId).OfType<string>().Distinct())
            {
                db.Notifications.Add(new Notification { UserId = owner, Kind = NotificationKinds.Escalation, Title = $"Escalated {incident.Severity}: {incident.Title} (not acknowledged)", Link = $"/incidents/{incident.Id}", CreatedAt = now });
            }
            write.Record(AuditActor.System, "incident.escalate", "incident", incident.Id.ToString(), path.Slug, null, new { ackTimeoutMinutes = ackTimeout.TotalMinutes });
            await db.SaveChangesAsync(ct);
            await write.CommitAsync(ct);
            notifications.Publish(path.Owners);
            Changed(incident.Id, null);
            escalated++;
        }
        return escalated;
    }

    /// <summary>The incident and its path's slug when the user may act on it; else a refusal to show.</summary>
    private async Task<(Incident Incident, string Slug, string? Refusal)> ActableAsync(AppDbContext db, long id, ClaimsPrincipal user, bool tracked, CancellationToken ct)
    {
        var incident = await (tracked ? db.Incidents : db.Incidents.AsNoTracking()).FirstOrDefaultAsync(i => i.Id == id, ct);
        if (incident is null)
        {
            return (null!, "", "There is no such incident.");
        }
        var slug = await db.Paths.Where(p => p.Id == incident.PathId).Select(p => p.Slug).FirstAsync(ct);
        return await MayActAsync(user, slug, ct)
            ? (incident, slug, null)
            : (incident, slug, "Only the path's owners, its on-call person and admins can change this incident.");
    }

    private void Changed(long id, string? notifyUser)
    {
        changes.Publish(id);
        if (notifyUser is not null)
        {
            notifications.Publish([notifyUser]);
        }
    }
}

/// <summary>Tells open incident views (on every instance) that one changed.</summary>
public sealed class IncidentNotifier(ILogger<IncidentNotifier> log, Realtime.ClusterBus bus) : Realtime.Notifier<long>(log, bus);
