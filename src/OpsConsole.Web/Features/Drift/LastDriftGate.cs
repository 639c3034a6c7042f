using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Features.Drift;

/// <summary>The rollout gate "last drift check not alert".</summary>
public sealed class LastDriftGate : IRolloutGateSource
{
    public int Order => 20;

    /// <summary>
    /// The latest stored drift run of the path (the one its dashboard shows as latest): only an
    /// alert fails; with no run yet there is nothing to block on, and the gate says so.
    /// </summary>
    public async Task<GateResult?> CheckAsync(AppDbContext db, OperatingPath path, RolloutGates gates, CancellationToken ct)
    {
        if (!gates.LastDriftNotAlert)
        {
            return null;
        }
        const string gate = "last drift check not alert";
        var run = await db.DriftCheckRuns.AsNoTracking().Where(r => r.PathId == path.Id)
            .OrderByDescending(r => r.CurrentTo).ThenByDescending(r => r.Id)
            .Select(r => new { r.Id, r.Verdict, r.RanAt, r.CurrentFrom, r.CurrentTo }).FirstOrDefaultAsync(ct);
        if (run is null)
        {
            return new GateResult(gate, true, "no drift check has run yet", null, null, "latest run");
        }
        var alert = run.Verdict == DriftVerdicts.Alert;
        return new GateResult(gate, !alert, $"{run.Verdict.Replace('_', ' ')} at {run.RanAt:yyyy-MM-dd HH:mm} UTC", null, null,
            $"latest run, {run.CurrentFrom:MM-dd HH:mm}–{run.CurrentTo:MM-dd HH:mm} UTC")
        {
            Link = $"/paths/{path.Slug}/drift/{run.Id}",
        };
    }
}
