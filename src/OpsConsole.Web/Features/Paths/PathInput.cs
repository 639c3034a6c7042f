using System.Globalization;
using System.Text.RegularExpressions;

namespace OpsConsole.Web.Features.Paths;

/// <summary>
/// The editable settings of a path, as the create and edit forms hold them. Numbers are the text a
/// person typed: nothing reads, clamps or rescales them before <see cref="PathValidator"/> has checked
/// them, and a refused value stays in its field as typed. Shares are typed as percentages (85) and
/// stored as fractions (0.85); <see cref="From"/> and <see cref="ApplyTo"/> are the one place that
/// converts between the form and the stored path.
/// </summary>
public sealed class PathInput
{
    public string Slug { get; set; } = "";
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public List<string> OwnerIds { get; set; } = [];
    public string? OnCallUserId { get; set; }
    public List<string> ReviewerIds { get; set; } = [];
    /// <summary>A model score from 0 to 1, on the scale of the confidence the events carry (not a percentage).</summary>
    public string? ConfidenceThreshold { get; set; } = "0.7";
    public string? QaSamplePercent { get; set; } = "5";
    public string? ReviewSlaMinutes { get; set; } = "240";
    public int ReviewersPerItem { get; set; } = 1;
    public string ReviewGuidance { get; set; } = "";
    public FallbackMode FallbackMode { get; set; } = FallbackMode.Rules;
    public SloInput Slo { get; set; } = new();
    public PathBoundaries Boundaries { get; set; } = new();
    public List<ContextSourceInput> ContextSources { get; set; } = [];
    public GatesInput Gates { get; set; } = new();
    public List<string> ReasonTags { get; set; } = [];
    public PathRedaction Redaction { get; set; } = new();
    public string? BreakdownAttribute { get; set; }
    public DriftInput Drift { get; set; } = new();
    public string? WebhookUrl { get; set; }
    /// <summary>A new secret; empty on an edit keeps the stored one (which is never sent back to the form).</summary>
    public string? WebhookSecret { get; set; }
    /// <summary>Whether the path had a secret when the form was loaded (shown as "set"; the value stays on the server).</summary>
    public bool HasStoredWebhookSecret { get; set; }

    public static PathInput From(OperatingPathView p) => new()
    {
        Slug = p.Slug,
        Name = p.Name,
        Description = p.Description,
        OwnerIds = p.OwnerIds.Order().ToList(),
        ReviewerIds = p.ReviewerIds.Order().ToList(),
        OnCallUserId = p.OnCallUserId,
        ConfidenceThreshold = TypedNumber.Write(p.ConfidenceThreshold),
        QaSamplePercent = TypedNumber.Write(Percent.Of(p.QaSampleRate)),
        ReviewSlaMinutes = TypedNumber.Write(p.ReviewSlaMinutes),
        ReviewersPerItem = p.ReviewersPerItem,
        ReviewGuidance = p.ReviewGuidance,
        FallbackMode = p.FallbackMode,
        Slo = new()
        {
            P95LatencyMs = TypedNumber.Write(p.Slo.P95LatencyMs),
            CostPerRequestUsd = TypedNumber.Write(p.Slo.CostPerRequestUsd),
            QualityTargetPercent = TypedNumber.Write(Percent.Of(p.Slo.QualityTarget)),
            MaxErrorRatePercent = TypedNumber.Write(Percent.Of(p.Slo.MaxErrorRate)),
            MaxStaleContextRatePercent = TypedNumber.Write(Percent.Of(p.Slo.MaxStaleContextRate)),
        },
        Boundaries = new()
        {
            MayRead = [.. p.Boundaries.MayRead],
            MayWrite = [.. p.Boundaries.MayWrite],
            MayTrigger = [.. p.Boundaries.MayTrigger],
            NeedsHumanConfirmation = [.. p.Boundaries.NeedsHumanConfirmation],
        },
        ContextSources = p.ContextSources
            .Select(c => new ContextSourceInput { Name = c.Name, SystemOfRecord = c.SystemOfRecord, FreshnessSloMinutes = TypedNumber.Write(c.FreshnessSloMinutes) }).ToList(),
        Gates = new()
        {
            MinDecidedReviews = TypedNumber.Write(p.Gates.MinDecidedReviews),
            MinQualityPercent = TypedNumber.Write(Percent.Of(p.Gates.MinQuality)),
            MaxP95LatencyMs = TypedNumber.Write(p.Gates.MaxP95LatencyMs),
            MaxCostPerRequestUsd = TypedNumber.Write(p.Gates.MaxCostPerRequestUsd),
            MaxErrorRatePercent = TypedNumber.Write(Percent.Of(p.Gates.MaxErrorRate)),
            NoOpenSev1OrSev2 = p.Gates.NoOpenSev1OrSev2,
            LastDriftNotAlert = p.Gates.LastDriftNotAlert,
        },
        ReasonTags = [.. p.ReasonTags],
        BreakdownAttribute = p.BreakdownAttribute,
        Drift = new()
        {
            IntervalMinutes = p.Drift.IntervalMinutes,
            CurrentWindowHours = TypedNumber.Write(p.Drift.CurrentWindowHours),
            PinnedFrom = p.Drift.PinnedFrom,
            PinnedTo = p.Drift.PinnedTo,
            LatencyRatioAlert = TypedNumber.Write(p.Drift.LatencyRatioAlert),
            CostRatioAlert = TypedNumber.Write(p.Drift.CostRatioAlert),
            ContainOnDriftAlert = p.Drift.ContainOnDriftAlert,
            ContainOnErrorBreach = p.Drift.ContainOnErrorBreach,
            ContainToPercent = TypedNumber.Write(p.Drift.ContainToPercent),
        },
        WebhookUrl = p.WebhookUrl,
        HasStoredWebhookSecret = p.HasWebhookSecret,
        Redaction = new()
        {
            Emails = p.Redaction.Emails,
            CardNumbers = p.Redaction.CardNumbers,
            Phones = p.Redaction.Phones,
            CustomPatterns = [.. p.Redaction.CustomPatterns],
        },
    };

    /// <summary>
    /// Writes these settings onto the path. Only for input <see cref="PathValidator"/> accepted: every
    /// number is then readable and in range. Nested settings get new objects, never the form's own, so
    /// a snapshot taken of the path before stays what it was.
    /// </summary>
    public void ApplyTo(OperatingPath path)
    {
        path.Name = Name.Trim();
        path.Description = Description.Trim();
        path.OnCallUserId = OnCallUserId;
        path.ConfidenceThreshold = TypedNumber.Required(ConfidenceThreshold);
        path.QaSampleRate = Percent.ToFraction(TypedNumber.Required(QaSamplePercent, percent: true));
        path.ReviewSlaMinutes = (int)TypedNumber.Required(ReviewSlaMinutes);
        path.ReviewersPerItem = ReviewersPerItem;
        path.ReviewGuidance = ReviewGuidance;
        path.FallbackMode = FallbackMode;
        path.Slo = new()
        {
            P95LatencyMs = (int?)TypedNumber.Optional(Slo.P95LatencyMs),
            CostPerRequestUsd = TypedNumber.Optional(Slo.CostPerRequestUsd),
            QualityTarget = Percent.ToFraction(TypedNumber.Optional(Slo.QualityTargetPercent, percent: true)),
            MaxErrorRate = Percent.ToFraction(TypedNumber.Optional(Slo.MaxErrorRatePercent, percent: true)),
            MaxStaleContextRate = Percent.ToFraction(TypedNumber.Optional(Slo.MaxStaleContextRatePercent, percent: true)),
        };
        path.Boundaries = new()
        {
            MayRead = [.. Boundaries.MayRead],
            MayWrite = [.. Boundaries.MayWrite],
            MayTrigger = [.. Boundaries.MayTrigger],
            NeedsHumanConfirmation = [.. Boundaries.NeedsHumanConfirmation],
        };
        path.ContextSources = ContextSources
            .Select(c => new ContextSource { Name = c.Name, SystemOfRecord = c.SystemOfRecord, FreshnessSloMinutes = (int)TypedNumber.Required(c.FreshnessSloMinutes) }).ToList();
        path.Gates = new()
        {
            MinDecidedReviews = (int?)TypedNumber.Optional(Gates.MinDecidedReviews),
            MinQuality = Percent.ToFraction(TypedNumber.Optional(Gates.MinQualityPercent, percent: true)),
            MaxP95LatencyMs = (int?)TypedNumber.Optional(Gates.MaxP95LatencyMs),
            MaxCostPerRequestUsd = TypedNumber.Optional(Gates.MaxCostPerRequestUsd),
            MaxErrorRate = Percent.ToFraction(TypedNumber.Optional(Gates.MaxErrorRatePercent, percent: true)),
            NoOpenSev1OrSev2 = Gates.NoOpenSev1OrSev2,
            LastDriftNotAlert = Gates.LastDriftNotAlert,
        };
        path.ReasonTags = [.. ReasonTags];
        path.Redaction = new()
        {
            Emails = Redaction.Emails,
            CardNumbers = Redaction.CardNumbers,
            Phones = Redaction.Phones,
            CustomPatterns = [.. Redaction.CustomPatterns],
        };
        path.BreakdownAttribute = string.IsNullOrEmpty(BreakdownAttribute) ? null : BreakdownAttribute;
        path.Drift = new()
        {
            IntervalMinutes = Drift.IntervalMinutes,
            CurrentWindowHours = (int)TypedNumber.Required(Drift.CurrentWindowHours),
            PinnedFrom = Drift.PinnedFrom,
            PinnedTo = Drift.PinnedTo,
            LatencyRatioAlert = TypedNumber.Required(Drift.LatencyRatioAlert),
            CostRatioAlert = TypedNumber.Required(Drift.CostRatioAlert),
            ContainOnDriftAlert = Drift.ContainOnDriftAlert,
            ContainOnErrorBreach = Drift.ContainOnErrorBreach,
            ContainToPercent = (int?)TypedNumber.Optional(Drift.ContainToPercent, percent: true),
        };
        path.WebhookUrl = string.IsNullOrWhiteSpace(WebhookUrl) ? null : WebhookUrl.Trim();
        path.WebhookSecret = path.WebhookUrl is null ? null : string.IsNullOrEmpty(WebhookSecret) ? path.WebhookSecret : WebhookSecret;
        HasStoredWebhookSecret = path.WebhookSecret is not null;

        var wanted = OwnerIds.Distinct().Select(id => (id, PathMemberKind.Owner))
            .Concat(ReviewerIds.Distinct().Select(id => (id, PathMemberKind.Reviewer))).ToHashSet();
        path.Members.RemoveAll(m => !wanted.Contains((m.UserId, m.Kind)));
        foreach (var (id, kind) in wanted)
        {
            if (!path.Members.Any(m => m.UserId == id && m.Kind == kind))
            {
                path.Members.Add(new PathMember { UserId = id, Kind = kind });
            }
        }
    }
}

/// <summary>Service levels as typed; empty means no SLO.</summary>
public sealed class SloInput
{
    public string? P95LatencyMs { get; set; }
    public string? CostPerRequestUsd { get; set; }
    public string? QualityTargetPercent { get; set; }
    public string? MaxErrorRatePercent { get; set; }
    public string? MaxStaleContextRatePercent { get; set; }
}

/// <summary>Rollout gates as typed; an empty number skips that gate.</summary>
public sealed class GatesInput
{
    public string? MinDecidedReviews { get; set; }
    public string? MinQualityPercent { get; set; }
    public string? MaxP95LatencyMs { get; set; }
    public string? MaxCostPerRequestUsd { get; set; }
    public string? MaxErrorRatePercent { get; set; }
    public bool NoOpenSev1OrSev2 { get; set; } = true;
    public bool LastDriftNotAlert { get; set; } = true;
}

/// <summary>The drift policy as typed; defaults are those of <see cref="DriftPolicy"/>.</summary>
public sealed class DriftInput
{
    public int IntervalMinutes { get; set; } = 15;
    public string? CurrentWindowHours { get; set; } = "24";
    /// <summary>Set on the dashboard, not in the form: carried through an edit unchanged.</summary>
    public DateTime? PinnedFrom { get; set; }
    public DateTime? PinnedTo { get; set; }
    public string? LatencyRatioAlert { get; set; } = "1.5";
    public string? CostRatioAlert { get; set; } = "1.5";
    public bool ContainOnDriftAlert { get; set; }
    public bool ContainOnErrorBreach { get; set; }
    /// <summary>Empty: trip the kill switch; a whole percentage: lower the rollout to it.</summary>
    public string? ContainToPercent { get; set; }
}

public sealed class ContextSourceInput
{
    public string Name { get; set; } = "";
    public string SystemOfRecord { get; set; } = "";
    public string? FreshnessSloMinutes { get; set; } = "60";
}

/// <summary>Shares are stored as fractions (0.85) and typed and shown to people as percentages (85 %).</summary>
public static class Percent
{
    // Six decimals of a percentage are finer than any setting needs, and rounding to them drops the
    // binary noise of the product (0.85 × 100 is 85.00000000000001), so 85 reloads as 85.
    public static double Of(double fraction) => Math.Round(fraction * 100, 6);

    public static double? Of(double? fraction) => fraction is { } f ? Of(f) : null;

    public static double ToFraction(double percent) => percent / 100;

    public static double? ToFraction(double? percent) => percent / 100;

    /// <summary>A stored fraction as people read it: 0.855 → "85.5 %".</summary>
    public static string Show(double fraction) => $"{Of(fraction):0.######} %";
}

/// <summary>
/// Reads a number as typed, strictly: digits, at most one '.', an optional sign. Thousands separators,
/// exponents, "NaN" and "Infinity" are refused rather than guessed at ("1,5" would otherwise read as 15).
/// </summary>
public static partial class TypedNumber
{
    [GeneratedRegex(@"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")]
    private static partial Regex Plain();

    public static bool TryRead(string? text, bool percent, out double value)
    {
        value = 0;
        // U+2212 is the minus sign of typeset text ("−3"); read it as the hyphen-minus people mean.
        var t = text?.Trim().Replace('\u2212', '-');
        if (percent && t is not null && t.EndsWith('%'))
        {
            t = t[..^1].TrimEnd();
        }
        return t is not null && Plain().IsMatch(t)
            && double.TryParse(t, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value)
            && double.IsFinite(value);
    }

    public static double Required(string? text, bool percent = false) =>
        TryRead(text, percent, out var value) ? value : throw new FormatException($"'{text}' was not validated as a number.");

    public static double? Optional(string? text, bool percent = false) => string.IsNullOrWhiteSpace(text) ? null : Required(text, percent);

    // Fixed-point, so a small value never comes back to the form as "1E-05", which the reader refuses.
    public static string Write(double value) => value.ToString("0.###############", CultureInfo.InvariantCulture);

    public static string? Write(double? value) => value is { } v ? Write(v) : null;

    public static string Write(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string? Write(int? value) => value?.ToString(CultureInfo.InvariantCulture);
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
        // The message names the range: a value outside it is refused, never clamped to it.
        void Number(string? text, string field, Range range, string message) => Check(range.Accepts(text), field, message);

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
        Number(input.ConfidenceThreshold, nameof(PathInput.ConfidenceThreshold), Range.Score, "Confidence threshold must be a number from 0 to 1.");
        Number(input.QaSamplePercent, nameof(PathInput.QaSamplePercent), Range.Share, "QA sample rate must be a percentage from 0 to 100.");
        Number(input.ReviewSlaMinutes, nameof(PathInput.ReviewSlaMinutes), new(1, 43_200, Whole: true), "Review SLA must be a whole number of minutes from 1 to 43,200 (30 days).");
        Check(input.ReviewersPerItem is >= 1 and <= 3, nameof(PathInput.ReviewersPerItem), "Reviewers per item must be 1, 2 or 3.");
        Check(Enum.IsDefined(input.FallbackMode), nameof(PathInput.FallbackMode), "Choose a fallback mode.");

        Number(input.Slo.P95LatencyMs, "Slo.P95LatencyMs", Range.LatencyMs, "p95 latency SLO must be a whole number of milliseconds from 1 to 3,600,000, or empty.");
        Number(input.Slo.CostPerRequestUsd, "Slo.CostPerRequestUsd", Range.Usd, "Cost per request SLO must be an amount in USD from 0 to 1,000, or empty.");
        Number(input.Slo.QualityTargetPercent, "Slo.QualityTargetPercent", Range.Share with { Optional = true }, "Quality target must be a percentage from 0 to 100, or empty.");
        Number(input.Slo.MaxErrorRatePercent, "Slo.MaxErrorRatePercent", Range.Share with { Optional = true }, "Max error rate must be a percentage from 0 to 100, or empty.");
        Number(input.Slo.MaxStaleContextRatePercent, "Slo.MaxStaleContextRatePercent", Range.Share with { Optional = true }, "Max stale context rate must be a percentage from 0 to 100, or empty.");

        Number(input.Gates.MinDecidedReviews, "Gates.MinDecidedReviews", new(0, 1_000_000, Whole: true, Optional: true), "Minimum decided reviews must be a whole number from 0 to 1,000,000, or empty.");
        Number(input.Gates.MinQualityPercent, "Gates.MinQualityPercent", Range.Share with { Optional = true }, "Minimum quality must be a percentage from 0 to 100, or empty.");
        Number(input.Gates.MaxP95LatencyMs, "Gates.MaxP95LatencyMs", Range.LatencyMs, "Maximum p95 latency must be a whole number of milliseconds from 1 to 3,600,000, or empty.");
        Number(input.Gates.MaxCostPerRequestUsd, "Gates.MaxCostPerRequestUsd", Range.Usd, "Maximum cost per request must be an amount in USD from 0 to 1,000, or empty.");
        Number(input.Gates.MaxErrorRatePercent, "Gates.MaxErrorRatePercent", Range.Share with { Optional = true }, "Maximum error rate must be a percentage from 0 to 100, or empty.");

        CheckList(errors, input.Boundaries.MayRead, "Boundaries.MayRead");
        CheckList(errors, input.Boundaries.MayWrite, "Boundaries.MayWrite");
        CheckList(errors, input.Boundaries.MayTrigger, "Boundaries.MayTrigger");
        CheckList(errors, input.Boundaries.NeedsHumanConfirmation, "Boundaries.NeedsHumanConfirmation");
        CheckList(errors, input.ReasonTags, nameof(PathInput.ReasonTags));
        Check(DriftPolicy.Intervals.Contains(input.Drift.IntervalMinutes), "Drift.IntervalMinutes", "Drift checks run every 1, 5, 10, 15, 30 or 60 minutes.");
        Number(input.Drift.CurrentWindowHours, "Drift.CurrentWindowHours", new(1, 168, Whole: true), "The current window must be a whole number of hours from 1 to 168.");
        Number(input.Drift.LatencyRatioAlert, "Drift.LatencyRatioAlert", Range.Ratio, "The p95 ratio alert must be a number above 1 and at most 100.");
        Number(input.Drift.CostRatioAlert, "Drift.CostRatioAlert", Range.Ratio, "The cost ratio alert must be a number above 1 and at most 100.");
        Number(input.Drift.ContainToPercent, "Drift.ContainToPercent", new(0, 99, Whole: true, Optional: true, Percent: true),
            "Containment lowers the rollout to a whole percentage from 0 to 99; leave it empty to trip the kill switch.");
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
            if (Paths.Redactor.CheckPattern(input.Redaction.CustomPatterns[i]) is { } problem)
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
            Number(c.FreshnessSloMinutes, $"ContextSources[{i}].FreshnessSloMinutes", new(1, 525_600, Whole: true), "Freshness SLO must be a whole number of minutes from 1 to 525,600 (a year).");
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

    /// <summary>
    /// What a numeric setting accepts. <paramref name="AboveMin"/> excludes the minimum itself;
    /// <paramref name="Percent"/> also takes a trailing '%' (as <see cref="PathInput.ApplyTo"/> reads it).
    /// </summary>
    private readonly record struct Range(double Min, double Max, bool Whole = false, bool Optional = false, bool AboveMin = false, bool Percent = false)
    {
        public static readonly Range Score = new(0, 1);
        public static readonly Range Share = new(0, 100, Percent: true);
        public static readonly Range Ratio = new(1, 100, AboveMin: true);
        public static readonly Range LatencyMs = new(1, 3_600_000, Whole: true, Optional: true);
        public static readonly Range Usd = new(0, 1_000, Optional: true);

        public bool Accepts(string? text)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                return Optional;
            }
            return TypedNumber.TryRead(text, Percent, out var v)
                && (AboveMin ? v > Min : v >= Min) && v <= Max
                && (!Whole || v == Math.Floor(v));
        }
    }
}
