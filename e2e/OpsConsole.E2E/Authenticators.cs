using System.Collections.Concurrent;
using OpsConsole.Tests.Infrastructure;

namespace OpsConsole.E2E;

/// <summary>
/// The phone and the remembered browser of each person, per console process: the key read from the
/// enrolment page, the last step whose code was typed (a code works once), the recovery codes shown,
/// and the "remember this browser" cookie that lets later journeys skip the second step.
/// </summary>
public static class Authenticators
{
    private static readonly ConcurrentDictionary<(string BaseUrl, string Email), State> States = new();

    public sealed class State
    {
        public required string Key { get; init; }
        public long LastStep { get; set; }
        public IReadOnlyList<string> RecoveryCodes { get; set; } = [];
        public Cookie? Remembered { get; set; }
    }

    public static State? Of(string baseUrl, string email) => States.TryGetValue((baseUrl, email), out var s) ? s : null;

    public static State Enrolled(string baseUrl, string email, string key, long step, IReadOnlyList<string> codes) =>
        States[(baseUrl, email)] = new State { Key = key, LastStep = step, RecoveryCodes = codes };

    /// <summary>A code the console accepts now: the newest unused step within ±1; waits for the next step when those are spent.</summary>
    public static async Task<string> NextCodeAsync(State state)
    {
        while (true)
        {
            lock (state)
            {
                var now = TestTotp.StepAt(DateTimeOffset.UtcNow);
                var step = Math.Max(now, state.LastStep + 1);
                if (step <= now + 1)
                {
                    state.LastStep = step;
                    return TestTotp.CodeAt(state.Key, step);
                }
            }
            await Task.Delay(1000);
        }
    }
}
