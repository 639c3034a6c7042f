using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsConsole.Web.Features.Controls;

public static class RolloutRequestStates
{
    public const string Pending = "pending";
    /// <summary>Approved and applied in one step: the approval sets the percentage.</summary>
    public const string Applied = "applied";
    public const string Rejected = "rejected";
    public const string Cancelled = "cancelled";
}

/// <summary>One gate held against live metrics: what was measured, against what, over which window.</summary>
public sealed record GateResult(string Gate, bool Passed, string Evidence, double? Value, double? Threshold, string Window)
{
    /// <summary>Where the evidence can be looked at (the drift run a drift gate read), when it has a page.</summary>
    public string? Link { get; init; }

    /// <summary>Set when the percentage changed so recently that this gate has no data yet: shown as waiting, not failed.</summary>
    public DateTime? CollectingSince { get; init; }
}

/// <summary>A request to raise a path's rollout, approved by a second person when its gates pass (DESIGN.md "Rollout").</summary>
public sealed class RolloutRequest
{
    public long Id { get; set; }
    public int PathId { get; set; }
    public int FromPercent { get; set; }
    public int ToPercent { get; set; }
    public string Justification { get; set; } = "";
    public string RequestedById { get; set; } = "";
    public string RequestedByName { get; set; } = "";
    public DateTime RequestedAt { get; set; }
    public string State { get; set; } = RolloutRequestStates.Pending;
    /// <summary>The gates as the requester saw them.</summary>
    public List<GateResult> GatesAtRequest { get; set; } = [];
    /// <summary>The gates re-evaluated when it was approved or rejected.</summary>
    public List<GateResult> GatesAtDecision { get; set; } = [];
    public string? DecidedById { get; set; }
    public string? DecidedByName { get; set; }
    public DateTime? DecidedAt { get; set; }
    public string? DecisionComment { get; set; }
    /// <summary>An admin's written reason for approving over failing gates.</summary>
    public string? OverrideReason { get; set; }
}

internal sealed class RolloutRequestConfiguration : IEntityTypeConfiguration<RolloutRequest>
{
    public void Configure(EntityTypeBuilder<RolloutRequest> b)
    {
        b.ToTable("RolloutRequests");
        b.Property(r => r.Justification).HasMaxLength(2000);
        b.Property(r => r.RequestedById).HasMaxLength(450);
        b.Property(r => r.RequestedByName).HasMaxLength(256);
        b.Property(r => r.State).HasMaxLength(20);
        b.Property(r => r.DecidedByName).HasMaxLength(256);
        b.Property(r => r.DecisionComment).HasMaxLength(2000);
        b.Property(r => r.OverrideReason).HasMaxLength(2000);
        // A gate's link is for the live view; the stored gates keep its evidence, which names the run's time.
        // Whether a gate was still collecting is in its stored evidence text; the flag is for the live view.
        b.OwnsMany(r => r.GatesAtRequest, o => o.ToJson().Ignore(g => g.Link).Ignore(g => g.CollectingSince));
        b.OwnsMany(r => r.GatesAtDecision, o => o.ToJson().Ignore(g => g.Link).Ignore(g => g.CollectingSince));
        b.HasIndex(r => new { r.PathId, r.State });
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(r => r.PathId).OnDelete(DeleteBehavior.Cascade);
    }
}
