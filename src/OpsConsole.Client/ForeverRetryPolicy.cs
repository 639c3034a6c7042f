using Microsoft.AspNetCore.SignalR.Client;

namespace OpsConsole.Client;

/// <summary>
/// Reconnects the push channel for as long as the client lives: the first retry at once, then
/// back-off up to a cap. Returning null would end reconnecting, so it never does.
/// </summary>
internal sealed class ForeverRetryPolicy(TimeSpan initial, TimeSpan max) : IRetryPolicy
{
    public TimeSpan? NextRetryDelay(RetryContext retryContext) =>
        retryContext.PreviousRetryCount == 0 ? TimeSpan.Zero : Backoff.EqualJitter((int)Math.Min(retryContext.PreviousRetryCount - 1, 30), initial, max);
}
