using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Paths;

/// <summary>
/// Told after a path is created or edited. Features above Paths that keep per-path state outside
/// the database (drift's recurring check jobs) implement it, so Paths need not know them.
/// </summary>
public interface IPathSavedHandler
{
    void OnSaved(OperatingPath path);
}

/// <summary>
/// Told, inside the edit, when a path's breakdown attribute changes: the rollups kept per value of
/// the old attribute (Metrics) no longer mean anything.
/// </summary>
public interface IPathBreakdownHandler
{
    Task OnBreakdownChangedAsync(AppDbContext db, int pathId, CancellationToken ct);
}

/// <summary>
/// Pushes a path's new decision config to connected clients (Realtime's config hub implements it),
/// so editing a path's fallback reaches the services at once without Paths knowing the hub.
/// </summary>
public interface IPathConfigPublisher
{
    void Publish(string slug, long configVersion, bool decisionChanged = true);
}
