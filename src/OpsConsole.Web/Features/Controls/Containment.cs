using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Webhooks;

namespace OpsConsole.Web.Features.Controls;

/// <summary>
/// Automatic containment, the Controls operation that incidents (and the checks that raise them)
/// call: the path's policy lowers its rollout or trips its kill switch, with the same conditional
/// update, audit fields and webhook as a person's change, inside the caller's transaction.
/// </summary>
public static class Containment
{
    /// <summary>
    /// Contains the path unless it already is (never repeated while it stays contained). Returns the
    /// new config version and what was done, or null when nothing changed.
    /// </summary>
    public static async Task<(long Version, string Action)?> ApplyAsync(
        AppDbContext db, AuditedWrite write, OperatingPath path, string reason, string actor, long incidentId, DateTime now, CancellationToken ct)
    {
        var target = path.Drift.ContainToPercent;
        var version = target is { } percent
            ? await ControlsService.SetRolloutAsync(db, path.Id, p => p.RolloutPercent > percent, percent, now, ct)
            : await ControlsService.FlipKillSwitchAsync(db, path.Id, _ => true, true, reason, actor, now, ct);
        if (version is not { } v)
        {
            return null;
        }
        var action = target is null ? "kill switch on" : $"rollout lowered to {target} %";
        // The same before/after fields as a person's change, so the log and the dashboard's marks read both alike.
        if (target is { } lowered)
        {
            write.Record(AuditActor.System, "rollout.decrease", "path", path.Slug, path.Slug, new { rolloutPercent = path.RolloutPercent },
                new { rolloutPercent = lowered, automatic = true, incident = incidentId, action, configVersion = v });
        }
        else
        {
            write.Record(AuditActor.System, "path.kill", "path", path.Slug, path.Slug, new { killSwitch = false },
                new { killSwitch = true, automatic = true, incident = incidentId, action, configVersion = v });
        }
        Outbox.Add(db, path, WebhookEvents.KillSwitchChanged, new
        {
            killSwitch = target is null || path.KillSwitchOn,
            rolloutPercent = target ?? path.RolloutPercent,
            by = actor,
            automatic = true,
            incident = incidentId,
        }, now);
        return (v, action);
    }
}
