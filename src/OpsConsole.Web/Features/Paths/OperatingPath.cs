namespace OpsConsole.Web.Features.Paths;

public enum FallbackMode
{
    Rules,
    RouteAway,
    CaptureOnly,
}

public static class FallbackModes
{
    /// <summary>The mode as the decision API and the client library spell it.</summary>
    public static string Name(FallbackMode mode) => mode switch
    {
        FallbackMode.RouteAway => "route-away",
        FallbackMode.CaptureOnly => "capture-only",
        _ => "rules",
    };
}

public enum PathMemberKind
{
    Owner,
    Reviewer,
}

/// <summary>One production AI workflow with a visible owner and its controls.</summary>
public sealed class OperatingPath
{
    public int Id { get; set; }
    public string Slug { get; set; } = "";
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public string? OnCallUserId { get; set; }

    public double ConfidenceThreshold { get; set; }
    public double QaSampleRate { get; set; }
    public int ReviewSlaMinutes { get; set; }
    /// <summary>How many different reviewers must decide each item (1–3); above 1 agreement is measured.</summary>
    public int ReviewersPerItem { get; set; } = 1;
    public string ReviewGuidance { get; set; } = "";
    public FallbackMode FallbackMode { get; set; }

    public PathSlo Slo { get; set; } = new();
    public PathBoundaries Boundaries { get; set; } = new();
    public List<ContextSource> ContextSources { get; set; } = [];
    public RolloutGates Gates { get; set; } = new();
    public DriftPolicy Drift { get; set; } = new();
    /// <summary>Where incident and kill-switch events are POSTed (signed with <see cref="WebhookSecret"/>); none when null.</summary>
    public string? WebhookUrl { get; set; }
    /// <summary>
    /// The signing secret as stored: <see cref="Infrastructure.Security.SecretProtector"/> output ("dp1:…"),
    /// never plain text after start (see <see cref="WebhookSecrets"/>); never serialised.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? WebhookSecret { get; set; }
    public List<string> ReasonTags { get; set; } = [];
    /// <summary>The attribute (segment, tenant…) whose values dashboards break the path down by; none when null.</summary>
    public string? BreakdownAttribute { get; set; }
    public PathRedaction Redaction { get; set; } = new();

    public bool KillSwitchOn { get; set; }
    public string? KillSwitchReason { get; set; }
    public string? KillSwitchBy { get; set; }
    public DateTime? KillSwitchAt { get; set; }
    public int RolloutPercent { get; set; }
    /// <summary>When the percentage last changed: gates read metrics "at the current percentage" from here on.</summary>
    public DateTime? RolloutChangedAt { get; set; }

    /// <summary>The release units run outside the candidate's share; null until the path's first release.</summary>
    public string? StableReleaseId { get; set; }
    /// <summary>The release under trial, if any.</summary>
    public string? CandidateReleaseId { get; set; }
    /// <summary>Per mille (0–1000) of the units the path is on for that run the candidate.</summary>
    public int CandidateShare { get; set; }
    /// <summary>While the candidate is in shadow: per mille (0–1000) of the stable units also run on the candidate, its output kept from users.</summary>
    public int ShadowShare { get; set; }

    /// <summary>
    /// What contained the path by itself and still holds it (<c>budget</c>), so decisions can give the
    /// reason; cleared by the next change of the switch or the rollout by anyone else.
    /// </summary>
    public string? ContainedBy { get; set; }

    /// <summary>Bumps on every change that can alter a decision (kill switch, rollout, releases).</summary>
    public long ConfigVersion { get; set; } = 1;

    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    public List<PathMember> Members { get; set; } = [];
}

public sealed class PathMember
{
    public int PathId { get; set; }
    public string UserId { get; set; } = "";
    public PathMemberKind Kind { get; set; }
}

public sealed class PathSlo
{
    public int? P95LatencyMs { get; set; }
    public double? CostPerRequestUsd { get; set; }
    public double? QualityTarget { get; set; }
    public double? MaxErrorRate { get; set; }
    /// <summary>
    /// The share (0–1) of events built on stale context (a cited source older than its freshness SLO)
    /// the owners accept: the drift check's "stale context rate" statistic is held against it, and a
    /// breach on two consecutive checks opens a "stale context" SLO incident. Null: not measured against anything.
    /// </summary>
    public double? MaxStaleContextRate { get; set; }
}

/// <summary>How a path's drift is checked, and what the system may do by itself when it alerts.</summary>
public sealed class DriftPolicy
{
    /// <summary>The check intervals a path may choose, in minutes.</summary>
    public static readonly IReadOnlyList<int> Intervals = [1, 5, 10, 15, 30, 60];

    /// <summary>Minutes between checks: 1, 5, 10, 15 (default), 30 or 60; windows end on a boundary of it.</summary>
    public int IntervalMinutes { get; set; } = 15;
    public int CurrentWindowHours { get; set; } = 24;
    /// <summary>A baseline the owners chose ("use this period"); else the 7 days ending 24 h ago.</summary>
    public DateTime? PinnedFrom { get; set; }
    public DateTime? PinnedTo { get; set; }
    /// <summary>Current p95 ÷ reference p95 above this is an alert (80 % of it a warning).</summary>
    public double LatencyRatioAlert { get; set; } = 1.5;
    /// <summary>Current cost per request ÷ reference above this is an alert (80 % of it a warning).</summary>
    public double CostRatioAlert { get; set; } = 1.5;
    /// <summary>Automatic containment on a drift alert.</summary>
    public bool ContainOnDriftAlert { get; set; }
    /// <summary>Automatic containment when the error rate breaches the path's SLO.</summary>
    public bool ContainOnErrorBreach { get; set; }
    /// <summary>Null: trip the kill switch; a number: lower the rollout to it.</summary>
    public int? ContainToPercent { get; set; }
}

/// <summary>What the AI may touch, and which of its actions a person must confirm.</summary>
public sealed class PathBoundaries
{
    public List<string> MayRead { get; set; } = [];
    public List<string> MayWrite { get; set; } = [];
    public List<string> MayTrigger { get; set; } = [];
    public List<string> NeedsHumanConfirmation { get; set; } = [];
}

public sealed class ContextSource
{
    public string Name { get; set; } = "";
    public string SystemOfRecord { get; set; } = "";
    public int FreshnessSloMinutes { get; set; }
}

/// <summary>Conditions a rollout increase must meet, evaluated on live metrics.</summary>
public sealed class RolloutGates
{
    public int? MinDecidedReviews { get; set; }
    public double? MinQuality { get; set; }
    public int? MaxP95LatencyMs { get; set; }
    public double? MaxCostPerRequestUsd { get; set; }
    public double? MaxErrorRate { get; set; }
    public bool NoOpenSev1OrSev2 { get; set; } = true;
    public bool LastDriftNotAlert { get; set; } = true;
}

/// <summary>What is masked in an event's input and output before it is stored.</summary>
public sealed class PathRedaction
{
    public bool Emails { get; set; } = true;
    /// <summary>Digit runs of 13–19 digits that pass the Luhn check.</summary>
    public bool CardNumbers { get; set; } = true;
    public bool Phones { get; set; }
    /// <summary>.NET regular expressions; every match is replaced by "[redacted]".</summary>
    public List<string> CustomPatterns { get; set; } = [];
}
