using OpsConsole.Web.Features.Events;

namespace OpsConsole.Web.Features.Evaluation;

/// <summary>Which labels a golden set is grown from: decided in [From, To), of one release, carrying one reason tag (each optional).</summary>
public sealed record LabelFilter(DateTime? From = null, DateTime? To = null, string? Release = null, string? ReasonTag = null);

/// <summary>A label with what its event said: what <see cref="DatasetFromLabels.Build"/> reads.</summary>
public sealed record LabelSource(
    long LabelId, string EventId, string? Input, string? Output, string Decision, string? CorrectedOutput,
    IReadOnlyList<string> ReasonTags, DateTime DecidedAt);

/// <summary>What a build from labels made and what it left out, and why.</summary>
public sealed record LabelBuild(IReadOnlyList<DatasetCase> Cases, int Labels, int Collapsed, int WithoutInput, int TooLong, int Truncated)
{
    public int Approved => Cases.Count(c => c.Tags.Contains(DatasetFromLabels.ApprovedTag));
    public int Corrected => Cases.Count(c => c.Tags.Contains(DatasetFromLabels.CorrectedTag));
    public int Negative => Cases.Count(c => c.Tags.Contains(DatasetFromLabels.NegativeTag));
}

/// <summary>
/// Grows a golden set from reviewers' decisions. Each case is an event's input; an approved output
/// becomes the expected output, a corrected one's correction does (the reviewer's text wins over the
/// model's), a rejected one becomes a negative case (no expected output) tagged <c>negative</c> and
/// with its reason tags. Several labels on the same input (ordinal text) collapse to the latest
/// decision; at the same instant a correction wins over an approval, an approval over a rejection.
/// Inputs too long for a case are left out and counted; above <see cref="DatasetJsonl.MaxCases"/>
/// the newest cases are kept.
/// </summary>
public static class DatasetFromLabels
{
    public const string ApprovedTag = "approved";
    public const string CorrectedTag = "corrected";
    public const string NegativeTag = "negative";

    public static LabelBuild Build(IEnumerable<LabelSource> labels)
    {
        var count = 0;
        var withoutInput = 0;
        var tooLong = 0;
        var latest = new Dictionary<string, LabelSource>(StringComparer.Ordinal);
        foreach (var label in labels)
        {
            count++;
            if (string.IsNullOrEmpty(label.Input))
            {
                withoutInput++;
                continue;
            }
            if (label.Input.Length > DatasetJsonl.MaxTextLength || Expected(label)?.Length > DatasetJsonl.MaxTextLength)
            {
                tooLong++;
                continue;
            }
            if (!latest.TryGetValue(label.Input, out var held) || Later(label, held))
            {
                latest[label.Input] = label;
            }
        }
        var kept = latest.Values.OrderBy(l => l.DecidedAt).ThenBy(l => l.LabelId).ToList();
        var truncated = Math.Max(0, kept.Count - DatasetJsonl.MaxCases);
        var cases = kept.Skip(truncated).Select(ToCase).ToList();
        var usable = count - withoutInput - tooLong;
        return new LabelBuild(cases, count, usable - kept.Count, withoutInput, tooLong, truncated);
    }

    private static int Rank(string decision) => decision switch
    {
        ReviewStatuses.Corrected => 2,
        ReviewStatuses.Approved => 1,
        _ => 0,
    };

    private static bool Later(LabelSource a, LabelSource b) =>
        a.DecidedAt != b.DecidedAt ? a.DecidedAt > b.DecidedAt
        : Rank(a.Decision) != Rank(b.Decision) ? Rank(a.Decision) > Rank(b.Decision)
        : a.LabelId > b.LabelId;

    private static string? Expected(LabelSource label) => label.Decision switch
    {
        ReviewStatuses.Approved => label.Output,
        ReviewStatuses.Corrected => label.CorrectedOutput ?? label.Output,
        _ => null,
    };

    private static DatasetCase ToCase(LabelSource label)
    {
        var tags = new List<string>
        {
            label.Decision switch
            {
                ReviewStatuses.Approved => ApprovedTag,
                ReviewStatuses.Corrected => CorrectedTag,
                _ => NegativeTag,
            },
        };
        foreach (var tag in label.ReasonTags)
        {
            var t = tag.Trim();
            if (tags.Count < DatasetJsonl.MaxTags && t.Length is > 0 and <= DatasetJsonl.MaxTagLength && !t.Any(char.IsControl) && !tags.Contains(t, StringComparer.Ordinal))
            {
                tags.Add(t);
            }
        }
        var caseId = label.EventId.Length <= DatasetJsonl.MaxCaseIdLength ? label.EventId : label.EventId[..DatasetJsonl.MaxCaseIdLength];
        return new DatasetCase(caseId, label.Input!, Expected(label), false, tags);
    }
}
