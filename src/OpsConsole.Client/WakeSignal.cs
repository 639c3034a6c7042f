namespace OpsConsole.Client;

/// <summary>
/// Lets a background loop sleep until a deadline or until someone has work for it. A wake-up that
/// arrives while the loop is busy is kept, so the next wait returns at once and nothing is missed.
/// </summary>
internal sealed class WakeSignal
{
    private TaskCompletionSource _pending = New();

    public void Set() => Volatile.Read(ref _pending).TrySetResult();

    /// <summary>Returns when woken or after <paramref name="timeout"/>; throws only when <paramref name="ct"/> is cancelled.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        var pending = Volatile.Read(ref _pending);
        if (!pending.Task.IsCompleted)
        {
            try
            {
                await pending.Task.WaitAsync(timeout, time, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }
        if (pending.Task.IsCompleted)
        {
            // Consumed: the caller looks at the state after waking, which covers any Set racing with this.
            Interlocked.CompareExchange(ref _pending, New(), pending);
        }
    }

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
