using Microsoft.AspNetCore.Components;

namespace OpsConsole.Web.Components.Shared;

/// <summary>
/// The base of pages and components that load data. <see cref="Lifetime"/> is cancelled when the
/// component leaves (navigation, a closed tab), so its queries stop instead of running for nobody;
/// a load cancelled that way ends as a cancelled task, which Blazor does not show as an error.
/// <see cref="ReloadInBackground"/> runs the reloads a notifier or a timer asks for, which nobody
/// awaits, and logs their failures instead of losing them with the task.
/// </summary>
public abstract class OpsComponentBase : ComponentBase, IAsyncDisposable
{
    private readonly CancellationTokenSource _lifetime = new();
    private ILogger? _logger;
    private bool _disposed;

    protected OpsComponentBase() =>
        // Taken once: a load still running after disposal may read it, and the source's Token would throw then.
        Lifetime = _lifetime.Token;

    /// <summary>Cancelled when the component is disposed; pass it to every service call.</summary>
    protected CancellationToken Lifetime { get; }

    [Inject]
    private ILoggerFactory LoggerFactory { get; set; } = default!;

    /// <summary>Category: the page's own type, so a failure names the view it left stale.</summary>
    private ILogger Logger => _logger ??= LoggerFactory.CreateLogger(GetType());

    /// <summary>
    /// Runs <paramref name="reload"/> on the renderer, then renders. A failure is logged and the
    /// component keeps what it showed and stays live for the next change; once the component has
    /// left, the reload does not start, and a cancellation it meets on the way is no error.
    /// </summary>
    protected void ReloadInBackground(Func<Task> reload) => _ = RunInBackgroundAsync(reload);

    private async Task RunInBackgroundAsync(Func<Task> reload)
    {
        if (Lifetime.IsCancellationRequested)
        {
            return;
        }
        try
        {
            await InvokeAsync(async () =>
            {
                await reload();
                if (!Lifetime.IsCancellationRequested)
                {
                    StateHasChanged();
                }
            });
        }
        catch (OperationCanceledException) when (Lifetime.IsCancellationRequested)
        {
            Logger.LogDebug("A live reload stopped: the component was disposed");
        }
        catch (Exception ex)
        {
            Logger.LogError(ex, "A live reload failed; the view shows its previous state until the next change");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _lifetime.Cancel();
        try
        {
            DisposeCore();
            await DisposeAsyncCore();
        }
        finally
        {
            _lifetime.Dispose();
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs once when the component leaves, after <see cref="Lifetime"/> is cancelled: unsubscribe from notifiers here.</summary>
    protected virtual void DisposeCore()
    {
    }

    /// <summary>As <see cref="DisposeCore"/>, for what is released asynchronously (a JS module).</summary>
    protected virtual ValueTask DisposeAsyncCore() => ValueTask.CompletedTask;
}
