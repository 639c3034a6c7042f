using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Features.Incidents;

/// <summary>The rollout gate "no open SEV1/SEV2 incident" on the path.</summary>
public sealed class OpenIncidentGate : IRolloutGateSource
{
    public int Order => 10;

    public async Task<GateResult?> CheckAsync(AppDbContext db, OperatingPath path, RolloutGates gates, CancellationToken ct)
    {
        if (!gates.NoOpenSev1OrSev2)
        {
            return null;
        }
        var open = await db.Incidents.AsNoTracking()
            .Where(i => i.PathId == path.Id && i.Status != IncidentStatuses.Resolved && (i.Severity == IncidentSeverities.Sev1 || i.Severity == IncidentSeverities.Sev2))
            .Select(i => i.Severity + " " + i.Title).ToListAsync(ct);
        return new GateResult("no open SEV1/SEV2 incident", open.Count == 0,
            open.Count == 0 ? "none open" : string.Join("; ", open), open.Count, 0, "now");
    }
}
