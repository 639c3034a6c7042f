using System.Text.RegularExpressions;

namespace OpsConsole.Web.Features.Paths;

/// <summary>The editable settings of a path, as the create and edit forms hold them.</summary>
public sealed class PathInput
{
    public string Slug { get; set; } = "";
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public List<string> OwnerIds { get; set; } = [];
    public string? OnCallUserId { get; set; }
    public List<string> ReviewerIds { get; set; } = [];
    public double ConfidenceThreshold { get; set; } = 0.7;
    public double QaSampleRate { get; set; } = 0.05;
    public int ReviewSlaMinutes { get; set; } = 240;
    public int ReviewersPerItem { get; set; } = 1;
    public string ReviewGuidance { get; set; } = "";
    public FallbackMode FallbackMode { get; set; } = FallbackMode.Rules;
    public PathSlo Slo { get; set; } = new();
    public PathBoundaries Boundaries { get; set; } = new();
    public List<ContextSource> ContextSources { get; set; } = [];
    public RolloutGates Gates { get; set; } = new();
    public List<string> ReasonTags { get; set; } = [];
    public PathRedaction Redaction { get; set; } = new();
    public string? BreakdownAttribute { get; set; }
    public DriftPolicy Drift { get; set; } = new();
    public string? WebhookUrl { get; set; }
    /// <summary>A new secret; empty on an edit keeps the stored one (which is never sent back to the form).</summary>
    public string? WebhookSecret { get; set; }
    /// <summary>Whether the path had a secret when the form was loaded (shown as "set"; the value stays on the server).</summary>
    public bool HasStoredWebhookSecret { get; set; }

    public static PathInput From(OperatingPath p) => new()
    {
        Slug = p.Slug,
        Name = p.Name,
        Description = p.Description,
        OwnerIds = p.Members.Where(m => m.Kind == PathMemberKind.Owner).Select(m => m.UserId).Order().ToList(),
        ReviewerIds = p.Members.Where(m => m.Kind == PathMemberKind.Reviewer).Select(m => m.UserId).Order().ToList(),
        OnCallUserId = p.OnCallUserId,
        ConfidenceThreshold = p.ConfidenceThreshold,
        QaSampleRate = p.QaSampleRate,
        ReviewSlaMinutes = p.ReviewSlaMinutes,
        ReviewersPerItem = p.ReviewersPerItem,
        ReviewGuidance = p.ReviewGuidance,
        FallbackMode = p.FallbackMode,
        Slo = new() { P95LatencyMs = p.Slo.P95LatencyMs, CostPerRequestUsd = p.Slo.CostPerRequestUsd, QualityTarget = p.Slo.QualityTarget, MaxErrorRate = p.Slo.MaxErrorRate },
        Boundaries = new()
        {
            MayRead = [.. p.Boundaries.MayRead],
            MayWrite = [.. p.Boundaries.MayWrite],
            MayTrigger = [.. p.Boundaries.MayTrigger],
            NeedsHumanConfirmation = [.. p.Boundaries.NeedsHumanConfirmation],
        },
        ContextSources = p.ContextSources.Select(c => new ContextSource { Name = c.Name, SystemOfRecord = c.SystemOfRecord, FreshnessSloMinutes = c.FreshnessSloMinutes }).ToList(),
        Gates = new()
        {
            MinDecidedReviews = p.Gates.MinDecidedReviews,
            MinQuality = p.Gates.MinQuality,
            MaxP95LatencyMs = p.Gates.MaxP95LatencyMs,
            MaxCostPerRequestUsd = p.Gates.MaxCostPerRequestUsd,
            MaxErrorRate = p.Gates.MaxErrorRate,
            NoOpenSev1OrSev2 = p.Gates.NoOpenSev1OrSev2,
            LastDriftNotAlert = p.Gates.LastDriftNotAlert,
        },
        ReasonTags = [.. p.ReasonTags],
        BreakdownAttribute = p.BreakdownAttribute,
        Drift = new()
        {
            IntervalMinutes = p.Drift.IntervalMinutes, CurrentWindowHours = p.Drift.CurrentWindowHours, PinnedFrom = p.Drift.PinnedFrom, PinnedTo = p.Drift.PinnedTo,
            LatencyRatioAlert = p.Drift.LatencyRatioAlert, CostRatioAlert = p.Drift.CostRatioAlert, ContainOnDriftAlert = p.Drift.ContainOnDriftAlert,
            ContainOnErrorBreach = p.Drift.ContainOnErrorBreach, ContainToPercent = p.Drift.ContainToPercent,
        },
        WebhookUrl = p.WebhookUrl,
        HasStoredWebhookSecret = !string.IsNullOrEmpty(p.WebhookSecret),
        Redaction = new()
        {
            Emails = p.Redaction.Emails,
            CardNumbers = p.Redaction.CardNumbers,
            Phones = p.Redaction.Phones,
            CustomPatterns = [.. p.Redaction.CustomPatterns],
        },
    };
}

/// <summary>Rules for a path's settings. The forms and the service use the same rules.</summary>
public static partial class PathValidator
{
    public const int MaxListItems = 50;
    public const int MaxItemLength = 200;

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex AttributeName();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,62}$")]
    private static partial Regex SlugPattern();

    // "new" is the create page's address, /paths/new.
    public static bool IsValidSlug(string? slug) => slug is not null && slug != "new" && SlugPattern().IsMatch(slug);

    /// <summary>Returns the problems keyed by field name; empty when the input is valid.</summary>
    public const string WebhookSecretMessage = "A webhook needs a secret of 16–200 characters: receivers check the signature with it.";

    public static Dictionary<string, string> Validate(PathInput input, bool isNew)
    {
        var errors = new Dictionary<string, string>();
        void Check(bool ok, string field, string message)
        {
            if (!ok)
            {
                errors.TryAdd(field, message);
            }
        }

        if (isNew)
        {
            Check(IsValidSlug(input.Slug), nameof(PathInput.Slug),
                "Slug must be 2–63 characters: lowercase letters, digits and hyphens, starting with a letter or digit (and not \"new\").");
        }
        Check(!string.IsNullOrWhiteSpace(input.Name), nameof(PathInput.Name), "Name is required.");
        Check(input.Name.Length <= 200, nameof(PathInput.Name), "Name must be at most 200 characters.");
        Check(input.Description.Length <= 4000, nameof(PathInput.Description), "Description must be at most 4,000 characters.");
        Check(input.ReviewGuidance.Length <= 8000, nameof(PathInput.ReviewGuidance), "Review guidance must be at most 8,000 characters.");
        Check(input.OwnerIds.Count > 0, nameof(PathInput.OwnerIds), "A path needs at least one owner.");
        Check(IsFraction(input.ConfidenceThreshold), nameof(PathInput.ConfidenceThreshold), "Confidence threshold must be between 0 and 1.");
        Check(IsFraction(input.QaSampleRate), nameof(PathInput.QaSampleRate), "QA sample rate must be between 0 and 1.");
        Check(input.ReviewSlaMinutes is >= 1 and <= 43_200, nameof(PathInput.ReviewSlaMinutes), "Review SLA must be between 1 minute and 30 days.");
        Check(input.ReviewersPerItem is >= 1 and <= 3, nameof(PathInput.ReviewersPerItem), "Reviewers per item must be 1, 2 or 3.");
        Check(Enum.IsDefined(input.FallbackMode), nameof(PathInput.FallbackMode), "Choose a fallback mode.");

        Check(input.Slo.P95LatencyMs is null or > 0, "Slo.P95LatencyMs", "p95 latency SLO must be a positive number of milliseconds.");
        Check(input.Slo.CostPerRequestUsd is null || IsNonNegative(input.Slo.CostPerRequestUsd.Value), "Slo.CostPerRequestUsd", "Cost per request SLO must be zero or more.");
        Check(input.Slo.QualityTarget is null || IsFraction(input.Slo.QualityTarget.Value), "Slo.QualityTarget", "Quality target must be between 0 and 1.");
        Check(input.Slo.MaxErrorRate is null || IsFraction(input.Slo.MaxErrorRate.Value), "Slo.MaxErrorRate", "Error rate SLO must be between 0 and 1.");

        Check(input.Gates.MinDecidedReviews is null or >= 0, "Gates.MinDecidedReviews", "Minimum decided reviews must be zero or more.");
        Check(input.Gates.MinQuality is null || IsFraction(input.Gates.MinQuality.Value), "Gates.MinQuality", "Minimum quality must be between 0 and 1.");
        Check(input.Gates.MaxP95LatencyMs is null or > 0, "Gates.MaxP95LatencyMs", "Maximum p95 latency must be a positive number of milliseconds.");
        Check(input.Gates.MaxCostPerRequestUsd is null || IsNonNegative(input.Gates.MaxCostPerRequestUsd.Value), "Gates.MaxCostPerRequestUsd", "Maximum cost per request must be zero or more.");
        Check(input.Gates.MaxErrorRate is null || IsFraction(input.Gates.MaxErrorRate.Value), "Gates.MaxErrorRate", "Maximum error rate must be between 0 and 1.");

        CheckList(errors, input.Boundaries.MayRead, "Boundaries.MayRead");
        CheckList(errors, input.Boundaries.MayWrite, "Boundaries.MayWrite");
        CheckList(errors, input.Boundaries.MayTrigger, "Boundaries.MayTrigger");
        CheckList(errors, input.Boundaries.NeedsHumanConfirmation, "Boundaries.NeedsHumanConfirmation");
        CheckList(errors, input.ReasonTags, nameof(PathInput.ReasonTags));
        Check(Drift.DriftSchedule.Intervals.Contains(input.Drift.IntervalMinutes), "Drift.IntervalMinutes", "Drift checks run every 1, 5, 10, 15, 30 or 60 minutes.");
        Check(input.Drift.CurrentWindowHours is >= 1 and <= 168, "Drift.CurrentWindowHours", "The current window must be 1 to 168 hours.");
        Check(input.Drift.LatencyRatioAlert is > 1 and <= 100, "Drift.LatencyRatioAlert", "The p95 ratio alert must be above 1.");
        Check(input.Drift.CostRatioAlert is > 1 and <= 100, "Drift.CostRatioAlert", "The cost ratio alert must be above 1.");
        Check(input.Drift.ContainToPercent is null or >= 0 and < 100, "Drift.ContainToPercent", "Containment lowers the rollout to 0–99 %; leave it empty to trip the kill switch.");
        Check(string.IsNullOrWhiteSpace(input.WebhookUrl) || (Uri.TryCreate(input.WebhookUrl.Trim(), UriKind.Absolute, out var hook) && hook.Scheme is "https" or "http" && input.WebhookUrl.Length <= 2000),
            nameof(PathInput.WebhookUrl), "Webhook URL must be an absolute http(s) address.");
        // On an edit an empty secret keeps the stored one; the service checks there is one.
        Check(string.IsNullOrWhiteSpace(input.WebhookUrl) || input.WebhookSecret is { Length: >= 16 and <= 200 } || (!isNew && string.IsNullOrEmpty(input.WebhookSecret)),
            nameof(PathInput.WebhookSecret), WebhookSecretMessage);
        Check(string.IsNullOrEmpty(input.BreakdownAttribute) || AttributeName().IsMatch(input.BreakdownAttribute), nameof(PathInput.BreakdownAttribute),
            "Breakdown attribute must be an attribute name of at most 64 letters, digits, '_', '-' or '.'.");

        CheckList(errors, input.Redaction.CustomPatterns, "Redaction.CustomPatterns");
        for (var i = 0; i < input.Redaction.CustomPatterns.Count && !errors.ContainsKey("Redaction.CustomPatterns"); i++)
        {
            if (Ingestion.Redactor.CheckPattern(input.Redaction.CustomPatterns[i]) is { } problem)
            {
                errors["Redaction.CustomPatterns"] = $"Pattern {i + 1}: {problem}";
            }
        }

        Check(input.ContextSources.Count <= MaxListItems, nameof(PathInput.ContextSources), $"At most {MaxListItems} context sources.");
        for (var i = 0; i < input.ContextSources.Count; i++)
        {
            var c = input.ContextSources[i];
            Check(!string.IsNullOrWhiteSpace(c.Name) && c.Name.Length <= MaxItemLength, $"ContextSources[{i}].Name", "Each context source needs a name (at most 200 characters).");
            Check(!string.IsNullOrWhiteSpace(c.SystemOfRecord) && c.SystemOfRecord.Length <= MaxItemLength, $"ContextSources[{i}].SystemOfRecord", "Each context source needs its system of record.");
            Check(c.FreshnessSloMinutes is >= 1 and <= 525_600, $"ContextSources[{i}].FreshnessSloMinutes", "Freshness SLO must be between 1 minute and 1 year.");
        }
        return errors;
    }

    private static void CheckList(Dictionary<string, string> errors, List<string> items, string field)
    {
        if (items.Count > MaxListItems)
        {
            errors.TryAdd(field, $"At most {MaxListItems} entries.");
        }
        else if (items.Any(string.IsNullOrWhiteSpace))
        {
            errors.TryAdd(field, "Entries cannot be empty.");
        }
        else if (items.Any(i => i.Length > MaxItemLength))
        {
            errors.TryAdd(field, $"Each entry must be at most {MaxItemLength} characters.");
        }
        else if (items.Distinct(StringComparer.OrdinalIgnoreCase).Count() != items.Count)
        {
            errors.TryAdd(field, "Entries must be unique.");
        }
    }

    private static bool IsFraction(double v) => double.IsFinite(v) && v is >= 0 and <= 1;
    private static bool IsNonNegative(double v) => double.IsFinite(v) && v >= 0;
}
