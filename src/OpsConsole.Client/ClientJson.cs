using System.Text.Json;
using System.Text.Json.Serialization;

namespace OpsConsole.Client;

/// <summary>The events API's answer to a batch.</summary>
internal sealed record IngestResponse(int Accepted, int Duplicates, int Rejected, IReadOnlyList<IngestItemResult>? Results);

/// <summary>The events API's verdict on one item of a batch.</summary>
internal sealed record IngestItemResult(int Index, string? EventId, string? Status, string? Reason, string? Detail);

/// <summary>The parts of an RFC 9457 problem the client reports.</summary>
internal sealed record ProblemBody(string? Title, string? Detail);

/// <summary>A problem with field errors (a validation problem).</summary>
internal sealed record ValidationBody(string? Title, string? Detail, Dictionary<string, string[]>? Errors);

/// <summary>
/// Source-generated JSON for everything the client reads and writes: web defaults (camelCase) like
/// the console, nulls left out so events stay small, and no reflection at run time.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ConfigDocument))]
[JsonSerializable(typeof(InferenceEvent))]
[JsonSerializable(typeof(IngestResponse))]
[JsonSerializable(typeof(ProblemBody))]
[JsonSerializable(typeof(ValidationBody))]
[JsonSerializable(typeof(EvaluationRunRequest))]
[JsonSerializable(typeof(EvaluationResult))]
internal sealed partial class ClientJson : JsonSerializerContext;
