namespace OpsConsole.Web.Features.Events;

// The words an event's review is recorded in: why it was routed (stored on the event row) and
// what was decided. They live with the event vocabulary because Metrics counts them and Metrics
// lies below Review; Review owns the workflow that writes them.

/// <summary>Why an event was routed to review.</summary>
public static class ReviewReasons
{
    public const string LowConfidence = "low_confidence";
    public const string Error = "error";
    public const string QaSample = "qa_sample";
    public const string Manual = "manual";
}

/// <summary>Where a review item stands; the last three are decisions.</summary>
public static class ReviewStatuses
{
    public const string Pending = "pending";
    public const string Claimed = "claimed";
    public const string Approved = "approved";
    public const string Corrected = "corrected";
    public const string Rejected = "rejected";
    public const string Expired = "expired";

    public static bool IsDecided(string status) => status is Approved or Corrected or Rejected;
}

