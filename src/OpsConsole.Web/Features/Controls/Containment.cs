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
    /// How to contain a path: lower its rollout to <paramref name="LowerToPercent"/>, or trip its kill
    /// switch when that is null; <paramref name="By"/> names what contained it for the decision's
    /// reason (<see cref="OpsConsole.Client.Containments"/>), null for the drift policy's containment.
    /// </summary>
    public sealed record Plan(int? LowerToPercent, string? By);

    /// <summary>The path's drift policy: the kill switch, or its rollout lowered to the policy's percentage.</summary>
    public static Plan PolicyOf(OperatingPath path) => new(path.Drift.ContainToPercent, null);

    /// <summary>
    /// Contains the path unless it already is (never repeated while it stays contained). Returns the
    /// new config version and what was done, or null when nothing changed.
    /// </summary>
    public static Task<(long Version, string Action)?> ApplyAsync(
        AppDbContext db, AuditedWrite write, OperatingPath path, string reason, string actor, long incidentId, DateTime now, CancellationToken ct) =>
        ApplyAsync(db, write, path, PolicyOf(path), reason, actor, incidentId, now, ct);

    /// <inheritdoc cref="ApplyAsync(AppDbContext, AuditedWrite, OperatingPath, string, string, long, DateTime, CancellationToken)"/>
    public static async Task<(long Version, string Action)?> ApplyAsync(
        AppDbContext db, AuditedWrite write, OperatingPath path, Plan plan, string reason, string actor, long incidentId, DateTime now, CancellationToken ct)
    {
        var target = plan.LowerToPercent;
        var version = target is { } percent
            ? await ControlsService.SetRolloutAsync(db, path.Id, p => p.RolloutPercent > percent, percent, now, ct, plan.By)
            : await ControlsService.FlipKillSwitchAsync(db, path.Id, _ => true, true, reason, actor, now, ct, plan.By);
        if (version is not { } v)
        {
            return null;
        }
        var action = target is null ? "kill switch on" : $"rollout lowered to {target} %";
        // The same before/after fields as a person's change, so the log and the dashboard's marks read both alike.
        if (target is { } lowered)
        {
            write.Record(AuditActor.System, "rollout.decrease", "path", path.Slug, path.Slug, new { rolloutPercent = path.RolloutPercent },
                new { rolloutPercent = lowered, automatic = true, incident = incidentId, action, reason, configVersion = v });
        }
        else
        {
            write.Record(AuditActor.System, "path.kill", "path", path.Slug, path.Slug, new { killSwitch = false },
                new { killSwitch = true, automatic = true, incident = incidentId, action, reason, configVersion = v });
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
