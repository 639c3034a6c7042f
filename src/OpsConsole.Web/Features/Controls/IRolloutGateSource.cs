using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Features.Controls;

/// <summary>
/// A rollout gate on another feature's state. Incidents and Drift lie above Controls (they contain a
/// path through it), so they bring their gates here instead of Controls reading their rows.
/// </summary>
public interface IRolloutGateSource
{
    /// <summary>Where the gate stands in the list a person reads (lower first).</summary>
    int Order { get; }

    /// <summary>The gate's result, or null when the path does not use this gate.</summary>
    Task<GateResult?> CheckAsync(AppDbContext db, OperatingPath path, RolloutGates gates, CancellationToken ct);
}
