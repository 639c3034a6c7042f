using System.Net;

namespace OpsConsole.Tests.Infrastructure;

/// <summary>
/// What a person's phone and browser would remember across sign-ins to one app instance: the
/// authenticator key each test user enrolled, the last time step whose code was typed (a code works
/// once), and the "remember this browser" cookie that lets later sign-ins skip the second step.
/// </summary>
public sealed class TestAuthenticators
{
    private readonly Dictionary<string, Entry> _users = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();

    private sealed class Entry
    {
        public required string Key { get; init; }
        public long LastStep { get; set; }
        public IReadOnlyList<string> RecoveryCodes { get; set; } = [];
        public Cookie? Remembered { get; set; }
    }

    public void Enrolled(string email, string key, long step, IReadOnlyList<string> recoveryCodes)
    {
        lock (_gate)
        {
            _users[email] = new Entry { Key = key, LastStep = step, RecoveryCodes = recoveryCodes };
        }
    }

    public string? KeyOf(string email)
    {
        lock (_gate)
        {
            return _users.TryGetValue(email, out var e) ? e.Key : null;
        }
    }

    public IReadOnlyList<string> RecoveryCodesOf(string email)
    {
        lock (_gate)
        {
            return _users.TryGetValue(email, out var e) ? e.RecoveryCodes : [];
        }
    }

    /// <summary>
    /// A code the console accepts now: the newest step not yet used, within the ±1 window. When the
    /// window is used up (three sign-ins within a minute), waits for the next step as a person would.
    /// </summary>
    public async Task<string> NextCodeAsync(string email)
    {
        while (true)
        {
            lock (_gate)
            {
                var entry = _users[email];
                var now = TestTotp.StepAt(DateTimeOffset.UtcNow);
                // now - 1 may already have slipped out of the window by the time the server checks; start at now.
                var step = Math.Max(now, entry.LastStep + 1);
                if (step <= now + 1)
                {
                    entry.LastStep = step;
                    return TestTotp.CodeAt(entry.Key, step);
                }
            }
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    public void Remember(string email, Cookie? cookie)
    {
        lock (_gate)
        {
            if (cookie is not null && _users.TryGetValue(email, out var e))
            {
                e.Remembered = cookie;
            }
        }
    }

    public Cookie? RememberedCookie(string email)
    {
        lock (_gate)
        {
            return _users.TryGetValue(email, out var e) ? e.Remembered : null;
        }
    }
}
