namespace OpsConsole.Client.Sample;

/// <summary>What a model call returned, in the terms the console records.</summary>
internal sealed record ModelAnswer(string? Output, double? Confidence, long InputTokens, long OutputTokens, double CostUsd, string Outcome, string? ErrorCode);

/// <summary>Stands in for an LLM: takes a little while, is mostly confident, and sometimes fails.</summary>
internal sealed class FakeModel
{
    public const string Version = "demo-llm-2026-11";

    public async Task<ModelAnswer> CallAsync(string input, CancellationToken ct)
    {
        await Task.Delay(Random.Shared.Next(15, 90), ct);
        var inputTokens = input.Length / 4 + 120;
        var roll = Random.Shared.NextDouble();
        if (roll < 0.02)
        {
            return new ModelAnswer(null, null, inputTokens, 0, inputTokens * 0.000002, Client.EventOutcomes.Timeout, "upstream_timeout");
        }
        if (roll < 0.05)
        {
            return new ModelAnswer(null, null, inputTokens, 0, inputTokens * 0.000002, Client.EventOutcomes.Error, "model_overloaded");
        }
        var outputTokens = Random.Shared.Next(40, 220);
        var confidence = Math.Round(0.55 + Random.Shared.NextDouble() * 0.44, 3);
        return new ModelAnswer("Thanks for reaching out! Your refund was issued and should arrive within 3–5 business days.",
            confidence, inputTokens, outputTokens, inputTokens * 0.000002 + outputTokens * 0.000008, Client.EventOutcomes.Ok, null);
    }
}

/// <summary>What the service does when the model path is off for a unit.</summary>
internal static class Fallback
{
    private const string RulesAnswer = "Thanks for your message. An agent will get back to you within one business day.";

    public static string? Run(string fallback, string input) => fallback switch
    {
        // Hand the request to people; nothing is answered automatically.
        "route-away" => null,
        // capture-only answers the old way too; the point is that the event is still recorded.
        "capture-only" => RulesAnswer,
        // "rules", and anything newer than this sample: the service's own rules, as before the model.
        _ => input.Length > 0 ? RulesAnswer : null,
    };
}
