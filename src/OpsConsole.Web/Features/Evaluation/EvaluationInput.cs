using System.Text.Json;

namespace OpsConsole.Web.Features.Evaluation;

/// <summary>A case result as CI sends it; every member checked per case (a bad case is rejected alone).</summary>
public sealed class CaseResultInput
{
    public JsonElement? CaseId { get; set; }
    public JsonElement? Pass { get; set; }
    public JsonElement? Score { get; set; }
    public JsonElement? Output { get; set; }
    public JsonElement? LatencyMs { get; set; }
    public JsonElement? CostUsd { get; set; }
}

/// <summary>An evaluation run as CI posts it.</summary>
public sealed class EvaluationInput
{
    public const int MaxRunIdLength = 200;
    public const int MaxCases = 10_000;

    public string? RunId { get; set; }
    public string? Release { get; set; }
    public string? Dataset { get; set; }
    public int? DatasetVersion { get; set; }
    public List<CaseResultInput?>? Cases { get; set; }
}

/// <summary>A case the run refused: its position in <c>cases</c>, its id when it had one, a code and why.</summary>
public sealed record RejectedCase(int Index, string? CaseId, string Code, string Message);

/// <summary>
/// Checks each case result on its own: a malformed one is rejected with its index and never changes how
/// another is read. Codes: <c>invalid_case</c> (not an object), <c>invalid_field:&lt;name&gt;</c>,
/// <c>unknown_case</c> (not in the dataset version), <c>duplicate_case</c> (the id came earlier in the run).
/// </summary>
public static class CaseResults
{
    public static (List<EvalCaseResult> Accepted, List<RejectedCase> Rejected) Check(IReadOnlyList<CaseResultInput?> cases, IReadOnlySet<string> known)
    {
        var accepted = new List<EvalCaseResult>();
        var rejected = new List<RejectedCase>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            if (c is null)
            {
                rejected.Add(new RejectedCase(i, null, "invalid_case", "A case result is an object."));
                continue;
            }
            if (c.CaseId is not { ValueKind: JsonValueKind.String } idElement || !DatasetJsonl.TryGetText(idElement, out var id) || id.Length is 0 or > DatasetJsonl.MaxCaseIdLength)
            {
                rejected.Add(new RejectedCase(i, null, "invalid_field:caseId", $"caseId is a string of 1–{DatasetJsonl.MaxCaseIdLength} characters."));
                continue;
            }
            if (!known.Contains(id))
            {
                rejected.Add(new RejectedCase(i, id, "unknown_case", $"The dataset version has no case '{Short(id)}'."));
                continue;
            }
            if (!seen.Add(id))
            {
                rejected.Add(new RejectedCase(i, id, "duplicate_case", $"Case '{Short(id)}' came earlier in this run."));
                continue;
            }
            if (c.Pass is not { ValueKind: JsonValueKind.True or JsonValueKind.False } pass)
            {
                seen.Remove(id);
                rejected.Add(new RejectedCase(i, id, "invalid_field:pass", "pass is true or false."));
                continue;
            }
            var (score, scoreError) = Number(c.Score, "score", 0, 1);
            var (latency, latencyError) = Number(c.LatencyMs, "latencyMs", 0, 86_400_000);
            var (cost, costError) = Number(c.CostUsd, "costUsd", 0, 1_000_000);
            string? output = null;
            string? outputError = null;
            if (c.Output is { ValueKind: not JsonValueKind.Null } o)
            {
                if (o.ValueKind != JsonValueKind.String || !DatasetJsonl.TryGetText(o, out var text) || text.Length > DatasetJsonl.MaxTextLength)
                {
                    outputError = $"output is a string of valid text, at most {DatasetJsonl.MaxTextLength:N0} characters.";
                }
                else
                {
                    output = text;
                }
            }
            var error = scoreError ?? latencyError ?? costError ?? (outputError is null ? null : ("output", outputError));
            if (error is { } e)
            {
                seen.Remove(id);
                rejected.Add(new RejectedCase(i, id, "invalid_field:" + e.Field, e.Message));
                continue;
            }
            accepted.Add(new EvalCaseResult { CaseId = id, Pass = pass.GetBoolean(), Score = score, LatencyMs = latency, CostUsd = cost, Output = output });
        }
        return (accepted, rejected);
    }

    private static (double? Value, (string Field, string Message)? Error) Number(JsonElement? element, string field, double min, double max)
    {
        if (element is not { ValueKind: not JsonValueKind.Null } e)
        {
            return (null, null);
        }
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out var v) || !double.IsFinite(v) || v < min || v > max)
        {
            return (null, (field, $"{field} is a finite number from {min} to {max:N0}."));
        }
        return (v, null);
    }

    private static string Short(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
