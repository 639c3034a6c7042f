using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Tests.Features.Paths;

/// <summary>Every number of the path settings, by the key its error is reported under, with values each must refuse.</summary>
public static class PathNumberCases
{
    public static readonly IReadOnlyDictionary<string, Action<PathInput, string?>> Fields = new Dictionary<string, Action<PathInput, string?>>
    {
        [nameof(PathInput.ConfidenceThreshold)] = (i, v) => i.ConfidenceThreshold = v,
        [nameof(PathInput.QaSamplePercent)] = (i, v) => i.QaSamplePercent = v,
        [nameof(PathInput.ReviewSlaMinutes)] = (i, v) => i.ReviewSlaMinutes = v,
        ["Drift.CurrentWindowHours"] = (i, v) => i.Drift.CurrentWindowHours = v,
        ["Drift.LatencyRatioAlert"] = (i, v) => i.Drift.LatencyRatioAlert = v,
        ["Drift.CostRatioAlert"] = (i, v) => i.Drift.CostRatioAlert = v,
        ["Drift.ContainToPercent"] = (i, v) => i.Drift.ContainToPercent = v,
        ["Slo.P95LatencyMs"] = (i, v) => i.Slo.P95LatencyMs = v,
        ["Slo.CostPerRequestUsd"] = (i, v) => i.Slo.CostPerRequestUsd = v,
        ["Slo.QualityTargetPercent"] = (i, v) => i.Slo.QualityTargetPercent = v,
        ["Slo.MaxErrorRatePercent"] = (i, v) => i.Slo.MaxErrorRatePercent = v,
        ["Slo.MaxStaleContextRatePercent"] = (i, v) => i.Slo.MaxStaleContextRatePercent = v,
        ["Gates.MinDecidedReviews"] = (i, v) => i.Gates.MinDecidedReviews = v,
        ["Gates.MinQualityPercent"] = (i, v) => i.Gates.MinQualityPercent = v,
        ["Gates.MaxP95LatencyMs"] = (i, v) => i.Gates.MaxP95LatencyMs = v,
        ["Gates.MaxCostPerRequestUsd"] = (i, v) => i.Gates.MaxCostPerRequestUsd = v,
        ["Gates.MaxErrorRatePercent"] = (i, v) => i.Gates.MaxErrorRatePercent = v,
        ["ContextSources[0].FreshnessSloMinutes"] = (i, v) => i.ContextSources[0].FreshnessSloMinutes = v,
    };

    /// <summary>Field key, text, the part of the message that names the range.</summary>
    public static TheoryData<string, string?, string> Refused()
    {
        var data = new TheoryData<string, string?, string>();
        foreach (var (field, text, range) in RefusedCases())
        {
            data.Add(field, text, range);
        }
        return data;
    }

    public static List<(string Field, string? Text, string Range)> RefusedCases()
    {
        var data = new List<(string, string?, string)>();
        void Add(string field, string range, params string?[] values) => data.AddRange(values.Select(v => (field, v, range)));
        // Common to all: not a number as written, or not a finite one.
        string?[] junk = ["abc", "1,5", "1e2", "NaN", "Infinity", "1.2.3"];
        Add(nameof(PathInput.ConfidenceThreshold), "from 0 to 1", ["1.5", "85", "-0.1", "−3", "", null, .. junk]);
        Add(nameof(PathInput.QaSamplePercent), "from 0 to 100", ["150", "100.01", "-3", "", .. junk]);
        Add(nameof(PathInput.ReviewSlaMinutes), "from 1 to 43,200", ["0", "-3", "1.5", "43201", "", .. junk]);
        Add("Drift.CurrentWindowHours", "from 1 to 168", ["0", "-3", "1.5", "169", "", .. junk]);
        Add("Drift.LatencyRatioAlert", "above 1", ["1", "0", "-3", "100.5", "", .. junk]);
        Add("Drift.CostRatioAlert", "above 1", ["1", "0.5", "-3", "101", "", .. junk]);
        Add("Drift.ContainToPercent", "from 0 to 99", ["100", "-3", "1.5", "5 minutes", .. junk]);
        Add("Slo.P95LatencyMs", "from 1 to 3,600,000", ["0", "-3", "1.5", "3600001", .. junk]);
        Add("Slo.CostPerRequestUsd", "from 0 to 1,000", ["-0.01", "1000.01", .. junk]);
        Add("Slo.QualityTargetPercent", "from 0 to 100", ["150", "-3", "0,85", .. junk]);
        Add("Slo.MaxErrorRatePercent", "from 0 to 100", ["101", "-1", .. junk]);
        Add("Slo.MaxStaleContextRatePercent", "from 0 to 100", ["100.01", "-1", "1e400", .. junk]);
        Add("Gates.MinDecidedReviews", "from 0 to 1,000,000", ["-1", "1.5", "1000001", .. junk]);
        Add("Gates.MinQualityPercent", "from 0 to 100", ["150", "-3", .. junk]);
        Add("Gates.MaxP95LatencyMs", "from 1 to 3,600,000", ["0", "-5", "2.5", .. junk]);
        Add("Gates.MaxCostPerRequestUsd", "from 0 to 1,000", ["-1", "2000", .. junk]);
        Add("Gates.MaxErrorRatePercent", "from 0 to 100", ["101", "-0.5", .. junk]);
        Add("ContextSources[0].FreshnessSloMinutes", "from 1 to 525,600", ["0", "-3", "1.5", "525601", "", .. junk]);
        return data;
    }

    /// <summary>A path input every rule accepts, with one context source.</summary>
    public static PathInput Valid() => new()
    {
        Slug = "numbers",
        Name = "Numbers",
        OwnerIds = ["u1"],
        ContextSources = [new() { Name = "CRM", SystemOfRecord = "Salesforce" }],
    };
}
