namespace OpsConsole.Web.Features.Events;

/// <summary>One stored event as the event page and the review view show it.</summary>
public sealed record EventView(
    long Id, int PathId, string EventId, DateTime OccurredAt, DateTime ReceivedAt, string? ModelVersion, string? PromptVersion, string? Unit,
    string? Input, string? Output, double? Confidence, double? LatencyMs, long? InputTokens, long? OutputTokens, double? CostUsd,
    string Outcome, string? ErrorCode, string? ErrorMessage, string? TraceId, string? SourcesJson, string? AttributesJson, int RedactedCount,
    string? ReviewReason)
{
    public static EventView From(InferenceEvent e) => new(
        e.Id, e.PathId, e.EventId, e.OccurredAt, e.ReceivedAt, e.ModelVersion, e.PromptVersion, e.Unit,
        e.Input, e.Output, e.Confidence, e.LatencyMs, e.InputTokens, e.OutputTokens, e.CostUsd,
        e.Outcome, e.ErrorCode, e.ErrorMessage, e.TraceId, e.SourcesJson, e.AttributesJson, e.RedactedCount,
        e.ReviewReason);
}
