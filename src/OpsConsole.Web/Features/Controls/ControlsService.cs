using System.Linq.Expressions;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Infrastructure.Security;
using OpsConsole.Web.Realtime;
using OpsConsole.Web.Features.Drift;
// An approval answers with the gates that failed: why it was refused, or what an admin overrode.
using ApprovalResult = OpsConsole.Web.Infrastructure.CommandResult<System.Collections.Generic.IReadOnlyList<OpsConsole.Web.Features.Controls.GateResult>>;
using OpsConsole.Web.Features.Decisions;

namespace OpsConsole.Web.Features.Controls;

/// <summary>What one user may do to one path right now.</summary>
public sealed record ControlPermissions(bool MayControl, bool MayRequest, bool MayApprove);

/// <summary>The path as its controls panel shows it: the switch, the rollout, and how decisions fall back.</summary>
public sealed record PathControlState(
    int Id, string Slug, string Name, bool KillSwitchOn, string? KillSwitchReason, string? KillSwitchBy, DateTime? KillSwitchAt,
    int RolloutPercent, DateTime? RolloutChangedAt, long ConfigVersion, FallbackMode FallbackMode)
{
    public static PathControlState From(OperatingPath p) => new(
        p.Id, p.Slug, p.Name, p.KillSwitchOn, p.KillSwitchReason, p.KillSwitchBy, p.KillSwitchAt, p.RolloutPercent, p.RolloutChangedAt, p.ConfigVersion, p.FallbackMode);
}

/// <summary>A rollout request as the controls panel lists it.</summary>
public sealed record RolloutRequestView(
    long Id, int FromPercent, int ToPercent, string Justification, string RequestedById, string RequestedByName, DateTime RequestedAt, string State,
    IReadOnlyList<GateResult> GatesAtRequest, string? DecidedByName, DateTime? DecidedAt, string? DecisionComment, string? OverrideReason)
{
    public static RolloutRequestView From(RolloutRequest r) => new(
        r.Id, r.FromPercent, r.ToPercent, r.Justification, r.RequestedById, r.RequestedByName, r.RequestedAt, r.State,
        r.GatesAtRequest, r.DecidedByName, r.DecidedAt, r.DecisionComment, r.OverrideReason);
}

/// <summary>The controls panel of a path: switch state, rollout, gates, requests, and the user's rights.</summary>
public sealed record ControlsView(
    PathControlState Path, ControlPermissions Permissions, long EventsLastHour,
    IReadOnlyList<GateResult> Gates, IReadOnlyList<RolloutRequestView> Requests);

/// <summary>
/// Kill switch, rollout decreases and gated rollout increases with four-eyes approval. Every
/// change bumps the path's config version in the same audited transaction, and is then pushed
/// to decision clients and open views (<see cref="ConfigChangeNotifier"/>).
/// </summary>
public sealed class ControlsService(
    IDbContextFactory<AppDbContext> dbFactory, AuditLog audit, PathAccess access, Permissions permissions, Metrics.MetricsQueries dashboard,
    ConfigChangeNotifier notifier, IEnumerable<IRolloutGateSource> gateSources, TimeProvider time)
{
    public const int MaxReasonLength = 1000;
    /// <summary>Gates read at most this much history at the current percentage.</summary>
    public static readonly TimeSpan GateWindow = TimeSpan.FromHours(24);

    public async Task<ControlPermissions> PermissionsAsync(ClaimsPrincipal user, string slug, CancellationToken ct)
    {
        var m = await access.GetAsync(user.UserId(), slug, ct);
        return new ControlPermissions(Permissions.May(user, PathAction.Contain, m),
            Permissions.May(user, PathAction.RequestRollout, m), Permissions.May(user, PathAction.DecideRollout, m));
    }

    /// <summary>
    /// The paths whose kill switch the user may flip, in one query (the overview's rows); null means
    /// every path (admins). The same rule as <see cref="PermissionsAsync"/>'s MayControl.
    /// </summary>
    public async Task<IReadOnlySet<string>?> ControllableSlugsAsync(ClaimsPrincipal user, CancellationToken ct) =>
        await permissions.SlugsAsync(user, PathAction.Contain, ct);

    public async Task<ControlsView?> GetAsync(string slug, ClaimsPrincipal user, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var path = await db.Paths.AsNoTracking().FirstOrDefaultAsync(p => p.Slug == slug, ct);
        if (path is null)
        {
            return null;
        }
        var now = time.GetUtcNow().UtcDateTime;
        var lastHour = await dashboard.MetricsAsync(path.Id, now.AddHours(-1), now.AddMinutes(1), null, ct);
        var requests = await db.RolloutRequests.AsNoTracking().Where(r => r.PathId == path.Id)
            .OrderByDescending(r => r.Id).Take(20).ToListAsync(ct);
        return new ControlsView(PathControlState.From(path), await PermissionsAsync(user, slug, ct), lastHour.Volume, await EvaluateGatesAsync(db, path, ct),
            [.. requests.Select(RolloutRequestView.From)]);
    }

    /// <summary>
    /// Turns the path off (<paramref name="on"/>) or restores it, as a person asked from what they
    /// saw: the switch the other way, last flipped at <paramref name="lastFlipSeen"/> (null: never).
    /// If it flipped since, nothing changes and the refusal says who flipped it and when; a
    /// confirmation acts on what its person asked for, never on whatever the state is at the click.
    /// </summary>
    public async Task<CommandResult> SetKillSwitchAsync(string slug, bool on, DateTime? lastFlipSeen, string? reason, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!(await PermissionsAsync(user, slug, ct)).MayControl)
        {
            return CommandResult.Fail("Only the path's on-call person, its owners and admins can flip its kill switch.");
        }
        if (CheckReason(reason, "a reason") is { } problem)
        {
            return CommandResult.Fail(problem);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var write = await audit.BeginAsync(db, ct);
        if (await db.Paths.Where(p => p.Slug == slug).Select(p => (int?)p.Id).FirstOrDefaultAsync(ct) is not { } pathId)
        {
            return CommandResult.Fail($"Path '{slug}' no longer exists.");
        }
        var now = time.GetUtcNow().UtcDateTime;
        var actor = AuditActor.From(user);
        // Two people confirming from the same view give one change, and the other is told by whom.
        if (await FlipKillSwitchAsync(db, pathId, p => p.KillSwitchAt == lastFlipSeen, on, reason!.Trim(), actor.Name, now, ct) is not { } version)
        {
            var current = await db.Paths.Where(p => p.Id == pathId).Select(p => new { p.KillSwitchOn, p.KillSwitchBy, p.KillSwitchAt }).FirstAsync(ct);
            var flip = $"{(current.KillSwitchOn ? "turned off" : "restored")} by {current.KillSwitchBy ?? "someone"}{At(current.KillSwitchAt)}";
            return CommandResult.Outdated(current.KillSwitchOn == on
                ? $"Already {flip}; nothing changed."
                : $"The path was {flip} since you looked; nothing changed. Look at it again and decide.");
        }
        write.Record(actor, on ? "path.kill" : "path.restore", "path", slug, slug, new { killSwitch = !on }, new { killSwitch = on, reason = reason!.Trim(), configVersion = version });
        var changedPath = await db.Paths.AsNoTracking().FirstAsync(p => p.Slug == slug, ct);
        Webhooks.Outbox.Add(db, changedPath, Webhooks.WebhookEvents.KillSwitchChanged, new { killSwitch = on, reason = reason!.Trim(), by = actor.Name, configVersion = version }, now);
        await write.CommitAsync(ct);
        notifier.Publish(slug, version);
        return CommandResult.Ok();
    }

    /// <summary>
    /// The kill switch's one conditional update of path <paramref name="pathId"/>, inside the
    /// caller's audited write, made only if <paramref name="onlyIf"/> holds (a person's flip here:
    /// the switch as they saw it; automatic containment in <see cref="IncidentService"/> acts on the
    /// current state) and the switch is not already so: the new config version, or null.
    /// </summary>
    /// <param name="containedBy">What contains the path by this change (<see cref="OpsConsole.Client.Containments"/>); any other change clears it.</param>
    internal static async Task<long?> FlipKillSwitchAsync(AppDbContext db, int pathId, Expression<Func<OperatingPath, bool>> onlyIf, bool on, string reason, string by, DateTime now, CancellationToken ct, string? containedBy = null)
    {
        var changed = await db.Paths.Where(p => p.Id == pathId).Where(onlyIf).Where(p => p.KillSwitchOn != on).ExecuteUpdateAsync(s => s
            .SetProperty(p => p.KillSwitchOn, on)
            .SetProperty(p => p.ContainedBy, containedBy)
            .SetProperty(p => p.KillSwitchReason, reason)
            .SetProperty(p => p.KillSwitchBy, by)
            .SetProperty(p => p.KillSwitchAt, now)
            .SetProperty(p => p.ConfigVersion, p => p.ConfigVersion + 1)
            .SetProperty(p => p.UpdatedAt, now), ct);
        return changed == 0 ? null : await db.Paths.Where(p => p.Id == pathId).Select(p => p.ConfigVersion).FirstAsync(ct);
    }

    /// <summary>
    /// The rollout's one conditional update of path <paramref name="pathId"/>, made only if
    /// <paramref name="onlyIf"/> holds (the percentage the caller saw, or "above the containment
    /// target"): the new config version, or null when it did not.
    /// </summary>
    internal static async Task<long?> SetRolloutAsync(AppDbContext db, int pathId, Expression<Func<OperatingPath, bool>> onlyIf, int to, DateTime now, CancellationToken ct, string? containedBy = null)
    {
        var changed = await db.Paths.Where(p => p.Id == pathId).Where(onlyIf).ExecuteUpdateAsync(s => s
            .SetProperty(p => p.RolloutPercent, to)
            .SetProperty(p => p.ContainedBy, containedBy)
            .SetProperty(p => p.RolloutChangedAt, now)
            .SetProperty(p => p.ConfigVersion, p => p.ConfigVersion + 1)
            .SetProperty(p => p.UpdatedAt, now), ct);
        return changed == 0 ? null : await db.Paths.Where(p => p.Id == pathId).Select(p => p.ConfigVersion).FirstAsync(ct);
    }

    /// <summary>
    /// Lowers the percentage at once (to 0 included): no approval, a reason. Only from
    /// <paramref name="from"/>, the percentage the person saw; if it changed since, nothing changes
    /// and the refusal says who changed it and when.
    /// </summary>
    public async Task<CommandResult> DecreaseRolloutAsync(string slug, int from, int to, string? reason, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!(await PermissionsAsync(user, slug, ct)).MayControl)
        {
            return CommandResult.Fail("Only the path's on-call person, its owners and admins can lower its rollout.");
        }
        if (CheckReason(reason, "a reason") is { } problem)
        {
            return CommandResult.Fail(problem);
        }
        if (to is < 0 or > 100)
        {
            return CommandResult.Fail("The percentage must be between 0 and 100.");
        }
        if (to >= from)
        {
            return CommandResult.Fail($"The rollout is at {from} %; a decrease must go below it. Increases need a rollout request.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var write = await audit.BeginAsync(db, ct);
        if (await db.Paths.Where(p => p.Slug == slug).Select(p => (int?)p.Id).FirstOrDefaultAsync(ct) is not { } pathId)
        {
            return CommandResult.Fail($"Path '{slug}' no longer exists.");
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (await SetRolloutAsync(db, pathId, p => p.RolloutPercent == from, to, now, ct) is not { } version)
        {
            return await RolloutChangedAsync(db, slug, from, ct);
        }
        write.Record(AuditActor.From(user), "rollout.decrease", "path", slug, slug,
            new { rolloutPercent = from }, new { rolloutPercent = to, reason = reason!.Trim(), configVersion = version });
        await write.CommitAsync(ct);
        notifier.Publish(slug, version);
        return CommandResult.Ok();
    }

    /// <summary>Asks to raise the percentage; the gates are evaluated now and kept with the request.</summary>
    public async Task<CommandResult<long>> RequestIncreaseAsync(string slug, int to, string? justification, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!(await PermissionsAsync(user, slug, ct)).MayRequest)
        {
            return CommandResult<long>.Fail("Only the path's owners and admins can request a rollout increase.");
        }
        if (CheckReason(justification, "a justification") is { } problem)
        {
            return CommandResult<long>.Fail(problem);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var write = await audit.BeginAsync(db, ct);
        var path = await db.Paths.AsNoTracking().FirstOrDefaultAsync(p => p.Slug == slug, ct);
        if (path is null)
        {
            return CommandResult<long>.Fail($"Path '{slug}' no longer exists.");
        }
        if (to <= path.RolloutPercent || to > 100)
        {
            return CommandResult<long>.Fail($"The rollout is at {path.RolloutPercent} %; an increase must go above it, to at most 100 %.");
        }
        if (await db.RolloutRequests.AnyAsync(r => r.PathId == path.Id && r.State == RolloutRequestStates.Pending, ct))
        {
            return CommandResult<long>.Fail("This path already has a pending rollout request; it must be decided or cancelled first.");
        }
        var request = new RolloutRequest
        {
            PathId = path.Id,
            FromPercent = path.RolloutPercent,
            ToPercent = to,
            Justification = justification!.Trim(),
            RequestedById = user.UserId() ?? "",
            RequestedByName = AuditActor.From(user).Name,
            RequestedAt = time.GetUtcNow().UtcDateTime,
            GatesAtRequest = [.. await EvaluateGatesAsync(db, path, ct)],
        };
        db.RolloutRequests.Add(request);
        await db.SaveChangesAsync(ct);
        write.Record(AuditActor.From(user), "rollout.request", "rollout-request", request.Id.ToString(), slug, null,
            new { from = request.FromPercent, to, justification = request.Justification, gatesPassing = request.GatesAtRequest.All(g => g.Passed) });
        await write.CommitAsync(ct);
        notifier.Publish(slug, path.ConfigVersion, decisionChanged: false);
        return CommandResult<long>.Ok(request.Id);
    }

    /// <summary>
    /// Approves and applies a pending request: an owner of the path or an admin who is not the
    /// requester. Gates are evaluated again; a failing gate blocks unless an admin writes an override.
    /// The approver saw the request pending and the path at <paramref name="seenPercent"/>; if either
    /// changed since, nothing changes and the refusal says who changed it and when.
    /// </summary>
    public async Task<ApprovalResult> ApproveAsync(long requestId, int seenPercent, string? comment, string? overrideReason, ClaimsPrincipal user, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (request, path, refusal) = await PendingAsync(db, requestId, user, ct);
        if (refusal is not null)
        {
            return ApprovalResult.From(refusal);
        }
        if (path!.RolloutPercent != seenPercent)
        {
            return ApprovalResult.From(await RolloutChangedAsync(db, path.Slug, seenPercent, ct));
        }
        if (path.RolloutPercent != request!.FromPercent)
        {
            return ApprovalResult.Fail($"The rollout moved to {path.RolloutPercent} % after this request was made from {request.FromPercent} %; reject it and request again.");
        }
        var gates = await EvaluateGatesAsync(db, path, ct);
        var failing = gates.Where(g => !g.Passed).ToList();
        var overriding = !string.IsNullOrWhiteSpace(overrideReason);
        if (failing.Count > 0 && !overriding)
        {
            return ApprovalResult.Fail($"{failing.Count} gate{(failing.Count == 1 ? "" : "s")} fail{(failing.Count == 1 ? "s" : "")}: {string.Join(", ", failing.Select(g => g.Gate))}. " +
                (Permissions.May(user, ConsoleAction.OverrideGates) ? "An admin may override with a written reason." : "Only an admin may override failing gates."), failing);
        }
        if (overriding && !Permissions.May(user, ConsoleAction.OverrideGates))
        {
            return ApprovalResult.Fail("Only an admin may override failing gates.");
        }
        if (overriding && CheckReason(overrideReason, "an override reason") is { } problem)
        {
            return ApprovalResult.Fail(problem);
        }
        await using var write = await audit.BeginAsync(db, ct);
        var now = time.GetUtcNow().UtcDateTime;
        // Checked again inside the write: someone may have decided or moved it since the checks above.
        if (await SetRolloutAsync(db, path.Id, p => p.RolloutPercent == request.FromPercent, request.ToPercent, now, ct) is not { } version)
        {
            return ApprovalResult.From(await RolloutChangedAsync(db, path.Slug, seenPercent, ct));
        }
        if (await Decide(db, requestId, RolloutRequestStates.Applied, gates, comment, failing.Count > 0 ? overrideReason!.Trim() : null, user, ct) == 0)
        {
            return ApprovalResult.From(await RequestDecidedAsync(db, requestId, ct));
        }
        // The week before the increase becomes the drift baseline: drift is then measured against what was approved.
        var pinned = await db.Paths.FirstAsync(p => p.Id == path.Id, ct);
        pinned.Drift.PinnedFrom = now.AddDays(-7);
        pinned.Drift.PinnedTo = now;
        await db.SaveChangesAsync(ct);
        var actor = AuditActor.From(user);
        write.Record(actor, "rollout.approve", "rollout-request", requestId.ToString(), path.Slug,
            new { rolloutPercent = request.FromPercent, state = RolloutRequestStates.Pending },
            new { rolloutPercent = request.ToPercent, state = RolloutRequestStates.Applied, comment, requestedBy = request.RequestedByName, configVersion = version });
        if (failing.Count > 0)
        {
            write.Record(actor, "rollout.override", "rollout-request", requestId.ToString(), path.Slug, null,
                new { reason = overrideReason!.Trim(), failingGates = failing.Select(g => new { g.Gate, g.Evidence }) });
        }
        await write.CommitAsync(ct);
        notifier.Publish(path.Slug, version);
        return ApprovalResult.Ok(failing);
    }

    public async Task<CommandResult> RejectAsync(long requestId, string? comment, ClaimsPrincipal user, CancellationToken ct)
    {
        if (CheckReason(comment, "a comment") is { } problem)
        {
            return CommandResult.Fail(problem);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (request, path, refusal) = await PendingAsync(db, requestId, user, ct);
        if (refusal is not null)
        {
            return refusal;
        }
        await using var write = await audit.BeginAsync(db, ct);
        var gates = await EvaluateGatesAsync(db, path!, ct);
        if (await Decide(db, requestId, RolloutRequestStates.Rejected, gates, comment, null, user, ct) == 0)
        {
            return await RequestDecidedAsync(db, requestId, ct);
        }
        write.Record(AuditActor.From(user), "rollout.reject", "rollout-request", requestId.ToString(), path!.Slug,
            new { state = RolloutRequestStates.Pending }, new { state = RolloutRequestStates.Rejected, comment = comment!.Trim(), from = request!.FromPercent, to = request.ToPercent });
        await write.CommitAsync(ct);
        notifier.Publish(path.Slug, path.ConfigVersion, decisionChanged: false);
        return CommandResult.Ok();
    }

    /// <summary>The requester (or an admin) withdraws a pending request.</summary>
    public async Task<CommandResult> CancelAsync(long requestId, ClaimsPrincipal user, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var request = await db.RolloutRequests.AsNoTracking().FirstOrDefaultAsync(r => r.Id == requestId, ct);
        if (request is null || (request.RequestedById != user.UserId() && !Permissions.May(user, ConsoleAction.Administer)))
        {
            return CommandResult.Fail("Only the requester or an admin can cancel a rollout request.");
        }
        var slug = await db.Paths.Where(p => p.Id == request.PathId).Select(p => p.Slug).FirstAsync(ct);
        await using var write = await audit.BeginAsync(db, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var actor = AuditActor.From(user);
        var cancelled = await db.RolloutRequests.Where(r => r.Id == requestId && r.State == RolloutRequestStates.Pending).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.State, RolloutRequestStates.Cancelled)
            .SetProperty(r => r.DecidedById, user.UserId())
            .SetProperty(r => r.DecidedByName, actor.Name)
            .SetProperty(r => r.DecidedAt, now), ct);
        if (cancelled == 0)
        {
            return CommandResult.Fail($"The request is {request.State}; only a pending request can be cancelled.");
        }
        write.Record(actor, "rollout.cancel", "rollout-request", requestId.ToString(), slug, new { state = RolloutRequestStates.Pending }, new { state = RolloutRequestStates.Cancelled });
        await write.CommitAsync(ct);
        notifier.Publish(slug, 0, decisionChanged: false);
        return CommandResult.Ok();
    }

    /// <summary>
    /// The path's gates on live metrics at the current percentage: the last 24 hours, or the time
    /// since the percentage last changed when that is shorter. An unset threshold is not a gate.
    /// </summary>
    public async Task<IReadOnlyList<GateResult>> EvaluateGatesAsync(AppDbContext db, OperatingPath path, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var from = path.RolloutChangedAt is { } changed && changed > now - GateWindow ? changed : now - GateWindow;
        var window = $"{from:MM-dd HH:mm}–{now:MM-dd HH:mm} UTC at {path.RolloutPercent} %";
        var m = await dashboard.MetricsAsync(path.Id, from, now.AddMinutes(1), null, ct);
        // Right after a change there is nothing to measure yet: that is not a failure to show in
        // red, but the gate cannot pass on no evidence either, so it stays not passed.
        DateTime? collectingSince = path.RolloutChangedAt is { } since && since == from ? since : null;
        var g = path.Gates;
        var results = new List<GateResult>();
        void Add(string gate, double? value, double t, bool passes, string needs, Func<double, string> format)
        {
            if (value is null && collectingSince is { } c)
            {
                results.Add(new GateResult(gate, false, $"collecting data since {c:yyyy-MM-dd HH:mm} UTC ({needs} {format(t)})", null, t, window) { CollectingSince = c });
                return;
            }
            results.Add(new GateResult(gate, passes, $"{(value is { } x ? format(x) : "no data")} ({needs} {format(t)})", value, t, window));
        }
        void AtLeast(string gate, double? value, double? threshold, Func<double, string> format)
        {
            if (threshold is { } t)
            {
                Add(gate, value, t, value is { } v && v >= t, "needs ≥", format);
            }
        }
        void AtMost(string gate, double? value, double? threshold, Func<double, string> format)
        {
            if (threshold is { } t)
            {
                Add(gate, value, t, value is { } v && v <= t, "needs ≤", format);
            }
        }
        // A count of nothing decided since the change is "no data yet", not a measured zero.
        AtLeast("decided reviews", m.Decided == 0 && collectingSince is not null ? null : m.Decided, g.MinDecidedReviews, v => v.ToString("N0"));
        AtLeast("quality", m.Quality, g.MinQuality, v => v.ToString("P1"));
        AtMost("p95 latency", m.LatencyP95, g.MaxP95LatencyMs, v => $"{v:N0} ms");
        AtMost("cost per request", m.CostPerRequest, g.MaxCostPerRequestUsd, v => $"${v:0.0000}");
        AtMost("error rate", m.ErrorRate, g.MaxErrorRate, v => v.ToString("P2"));
        // Gates on other features' state (open incidents, the last drift check) come from those
        // features, which lie above Controls: they contain paths through it.
        foreach (var source in gateSources.OrderBy(x => x.Order))
        {
            if (await source.CheckAsync(db, path, g, ct) is { } result)
            {
                results.Add(result);
            }
        }
        return results;
    }

    private async Task<(RolloutRequest? Request, OperatingPath? Path, CommandResult? Refusal)> PendingAsync(AppDbContext db, long requestId, ClaimsPrincipal user, CancellationToken ct)
    {
        var request = await db.RolloutRequests.AsNoTracking().FirstOrDefaultAsync(r => r.Id == requestId, ct);
        if (request is null)
        {
            return (null, null, CommandResult.Fail("There is no such rollout request."));
        }
        var path = await db.Paths.AsNoTracking().FirstAsync(p => p.Id == request.PathId, ct);
        if (!(await PermissionsAsync(user, path.Slug, ct)).MayApprove)
        {
            return (null, null, CommandResult.Fail("Only an owner of this path or an admin can decide its rollout requests."));
        }
        if (request.RequestedById == user.UserId())
        {
            return (null, null, CommandResult.Fail("You made this request; a second owner or an admin must decide it."));
        }
        if (request.State != RolloutRequestStates.Pending)
        {
            return (null, null, Decided(request));
        }
        return (request, path, null);
    }

    private static async Task<CommandResult> RequestDecidedAsync(AppDbContext db, long requestId, CancellationToken ct) =>
        Decided(await db.RolloutRequests.AsNoTracking().FirstAsync(r => r.Id == requestId, ct));

    private static CommandResult Decided(RolloutRequest request) =>
        CommandResult.Outdated($"Already {request.State}{(request.DecidedByName is { } by ? " by " + by : "")}{At(request.DecidedAt)}; nothing changed.");

    /// <summary>
    /// The refusal when the rollout is no longer at <paramref name="seen"/>: its percentage now, and
    /// who set it and when (the latest decrease, automatic ones included, or approval in the audit log).
    /// </summary>
    private static async Task<CommandResult> RolloutChangedAsync(AppDbContext db, string slug, int seen, CancellationToken ct)
    {
        var current = await db.Paths.Where(p => p.Slug == slug).Select(p => new { p.RolloutPercent, p.RolloutChangedAt }).FirstAsync(ct);
        var by = await db.AuditEntries.Where(a => a.PathSlug == slug && (a.Action == "rollout.decrease" || a.Action == "rollout.approve"))
            .OrderByDescending(a => a.Id).Select(a => a.ActorName).FirstOrDefaultAsync(ct);
        return CommandResult.Outdated($"The rollout was set to {current.RolloutPercent} %{(by is null ? "" : " by " + by)}{At(current.RolloutChangedAt)} " +
            $"since you saw it at {seen} %; nothing changed. Look at it again and decide.");
    }

    private static string At(DateTime? at) => at is { } t ? $" at {t:yyyy-MM-dd HH:mm:ss} UTC" : "";

    private async Task<int> Decide(AppDbContext db, long requestId, string state, IReadOnlyList<GateResult> gates, string? comment, string? overrideReason, ClaimsPrincipal user, CancellationToken ct)
    {
        var request = await db.RolloutRequests.FirstAsync(r => r.Id == requestId, ct);
        if (request.State != RolloutRequestStates.Pending)
        {
            return 0;
        }
        request.State = state;
        request.GatesAtDecision = [.. gates];
        request.DecidedById = user.UserId();
        request.DecidedByName = AuditActor.From(user).Name;
        request.DecidedAt = time.GetUtcNow().UtcDateTime;
        request.DecisionComment = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();
        request.OverrideReason = overrideReason;
        return await db.SaveChangesAsync(ct);
    }

    /// <summary>Why an audited text (a reason, a justification) is refused, or null: required, at most <see cref="MaxReasonLength"/> characters.</summary>
    public static string? CheckReason(string? text, string what) =>
        string.IsNullOrWhiteSpace(text) ? $"Write {what}: it goes into the audit log and tells the next person what happened."
        : text.Trim().Length > MaxReasonLength ? $"Keep {what} under {MaxReasonLength:N0} characters." : null;
}
