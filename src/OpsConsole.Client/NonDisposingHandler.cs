namespace OpsConsole.Client;

/// <summary>
/// Hands requests to a caller's handler without taking ownership: HttpClient and the SignalR
/// connection dispose their handler chain, and the caller's handler must outlive both.
/// </summary>
internal sealed class NonDisposingHandler(HttpMessageHandler inner) : HttpMessageHandler
{
    private readonly HttpMessageInvoker _invoker = new(inner, disposeHandler: false);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        _invoker.SendAsync(request, cancellationToken);
}
