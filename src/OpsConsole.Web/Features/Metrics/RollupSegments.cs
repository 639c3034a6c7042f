using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Features.Metrics;

/// <summary>
/// Segment buckets hold values of the old breakdown attribute; the new breakdown starts from now
/// (rebuild-rollups recomputes it over the stored events).
/// </summary>
public sealed class RollupSegments : IPathBreakdownHandler
{
    public Task OnBreakdownChangedAsync(AppDbContext db, int pathId, CancellationToken ct) =>
        db.PathRollups.Where(r => r.PathId == pathId && r.Segment != "").ExecuteDeleteAsync(ct);
}
