using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace OpsConsole.Client;

/// <summary>One case's result in an evaluation run (<see cref="OpsConsoleClient.SubmitEvaluationAsync"/>).</summary>
public sealed record EvaluationCaseResult(string CaseId, bool Pass, double? Score = null, string? Output = null, double? LatencyMs = null, double? CostUsd = null);

/// <summary>An evaluation run as CI posts it: the release evaluated, the dataset version, a result per case; <see cref="RunId"/> makes a retry safe.</summary>
public sealed record EvaluationRunRequest(string RunId, string Release, string Dataset, int DatasetVersion, IReadOnlyList<EvaluationCaseResult> Cases);

/// <summary>A case the console refused, by its position in the run.</summary>
public sealed record EvaluationRejectedCase(int Index, string? CaseId, string Code, string Message);

/// <summary>The figures of the comparison with the baseline (absent for a run of the stable release or without a baseline).</summary>
public sealed record EvaluationComparison(
    string Verdict, int Cases, int Regressions, int Improvements, double BaselinePassRate, double CandidatePassRate, double Difference,
    double CiLow, double CiHigh, double Confidence, double POneSidedWorse, double POneSidedBetter, double PTwoSided,
    IReadOnlyList<string>? FailingCriticalCaseIds, IReadOnlyList<string>? MissingCaseIds);

/// <summary>
/// The console's verdict on a run: <c>regressed</c>, <c>improved</c>, <c>tied</c>, <c>incomplete</c> or
/// <c>baseline</c> (a run of the stable release). <see cref="FailCi"/> is what a CI step fails the build on.
/// </summary>
public sealed record EvaluationResult(
    long Id, string RunId, string Release, string Dataset, int DatasetVersion, string Verdict, bool FailCi, bool Complete, int Cases, int Passed,
    long? BaselineRunId, EvaluationComparison? Comparison, IReadOnlyList<EvaluationRejectedCase>? Rejected, bool Created, string? Note);

/// <summary>The console refused a run as a whole (400, 403, 404, 413): <see cref="Exception.Message"/> says why, <see cref="Errors"/> names the fields.</summary>
public sealed class EvaluationRefusedException(HttpStatusCode status, string message, IReadOnlyDictionary<string, string[]> errors) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}

public sealed partial class OpsConsoleClient
{
    /// <summary>
    /// Posts an evaluation run (needs a key with <c>evaluations:write</c> for the path) and returns the
    /// console's comparison with the baseline. The same <see cref="EvaluationRunRequest.RunId"/> again
    /// returns the stored run. Throws <see cref="EvaluationRefusedException"/> when the console refuses
    /// the run, <see cref="HttpRequestException"/> when it cannot be reached.
    /// </summary>
    public async Task<EvaluationResult> SubmitEvaluationAsync(string path, EvaluationRunRequest run, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(run);
        var uri = new Uri(_configUri, $"paths/{Uri.EscapeDataString(path)}/evaluations");
        using var response = await _http.PostAsJsonAsync(uri, run, ClientJson.Default.EvaluationRunRequest, ct).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created)
        {
            return await response.Content.ReadFromJsonAsync(ClientJson.Default.EvaluationResult, ct).ConfigureAwait(false)
                ?? throw new InvalidDataException("The console answered an empty evaluation result.");
        }
        ValidationBody? problem = null;
        try
        {
            problem = await response.Content.ReadFromJsonAsync(ClientJson.Default.ValidationBody, ct).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            // Not a problem document (a proxy's page): the status says enough.
        }
        var message = problem?.Detail ?? problem?.Title ?? $"The console refused the run with {(int)response.StatusCode} {response.StatusCode}.";
        var errors = problem?.Errors ?? new Dictionary<string, string[]>();
        if (errors.Count > 0)
        {
            message += " " + string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"));
        }
        throw new EvaluationRefusedException(response.StatusCode, message.Trim(), errors);
    }
}
