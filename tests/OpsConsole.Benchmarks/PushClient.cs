using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace OpsConsole.Benchmarks;

/// <summary>One review change as the hub sends it (<c>ReviewChanged</c>, camelCase JSON).</summary>
public sealed class ReviewChangeMessage
{
    public int PathId { get; set; }
    public long ItemId { get; set; }
    public string Kind { get; set; } = "";
    public string Status { get; set; } = "";
    public string? ClaimedBy { get; set; }
    public DateTime? ClaimUntil { get; set; }
    public DateTime? At { get; set; }
}

/// <summary>One change as this client saw it: the server's commit time and the local receive time, both UTC.</summary>
public readonly record struct ReceivedChange(long ItemId, string Kind, DateTime At, DateTime ReceivedUtc);

/// <summary>
/// One reviewer's hub connection. The handler only stamps and stores what arrives, so the client's
/// own work adds as little as possible to the measured latency; everything else happens after the run.
/// </summary>
public sealed partial class PushClient : IAsyncDisposable
{
    private readonly HubConnection _connection;
    private readonly List<ReceivedChange> _received = new(4096);
    private volatile bool _stopping;

    private PushClient(int index, HubConnection connection)
    {
        Index = index;
        _connection = connection;
        _connection.On<ReviewChangeMessage[]>("ReviewChanged", OnChanged);
        _connection.Closed += ex =>
        {
            // Our own StopAsync also raises Closed; only a drop during the run is worth reporting.
            if (!_stopping)
            {
                ClosedReason = ex?.Message ?? "closed by the server";
            }
            return Task.CompletedTask;
        };
    }

    public int Index { get; }
    /// <summary>Why the connection ended during the run; null while it is up.</summary>
    public string? ClosedReason { get; private set; }

    /// <summary>Everything received so far (a copy).</summary>
    public ReceivedChange[] Received()
    {
        lock (_received)
        {
            return [.. _received];
        }
    }

    /// <summary>Connects over WebSockets with the sign-in cookie and joins the review group of <paramref name="pathSlug"/>.</summary>
    public static async Task<PushClient> ConnectAsync(int index, Uri hubUrl, string cookie, string pathSlug, CancellationToken ct)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(hubUrl, HttpTransportType.WebSockets, o =>
            {
                // The bare baseline server has no sign-in: no cookie then.
                if (cookie.Length > 0)
                {
                    o.Headers["Cookie"] = cookie;
                }
                // WebSockets only: the negotiate round trip would tell us nothing new on loopback.
                o.SkipNegotiation = true;
            })
            .Build();
        var client = new PushClient(index, connection);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            await connection.StartAsync(timeout.Token);
            var joined = await connection.InvokeAsync<bool>("JoinReview", pathSlug, timeout.Token);
            if (!joined)
            {
                throw new BenchmarkFailedException($"Hub client {index}: JoinReview(\"{pathSlug}\") answered false; the demo reviewer may not review that path.");
            }
            return client;
        }
        catch (Exception ex) when (ex is not BenchmarkFailedException && !ct.IsCancellationRequested)
        {
            await client.DisposeAsync();
            throw new BenchmarkFailedException($"Hub client {index} could not connect to {hubUrl}: {ex.GetType().Name}: {ex.Message}");
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    private void OnChanged(ReviewChangeMessage[] changes)
    {
        // Stamp first: anything done before this line would count as push latency.
        var now = DateTime.UtcNow;
        lock (_received)
        {
            foreach (var c in changes)
            {
                var at = c.At is { } a
                    ? a.Kind switch { DateTimeKind.Local => a.ToUniversalTime(), DateTimeKind.Unspecified => DateTime.SpecifyKind(a, DateTimeKind.Utc), _ => a }
                    : DateTime.MinValue;
                _received.Add(new ReceivedChange(c.ItemId, c.Kind, at, now));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        try
        {
            await _connection.DisposeAsync();
        }
        catch (Exception)
        {
            // The app may already be gone; there is nothing left to close cleanly.
        }
    }

    /// <summary>
    /// Signs in as <paramref name="email"/> through the login form (antiforgery cookie and token
    /// from the GET, then the form POST) and returns the <c>Cookie</c> header value of the
    /// authentication cookie, which every hub connection then sends.
    /// </summary>
    public static async Task<string> SignInAsync(Uri baseAddress, string email, string password, CancellationToken ct)
    {
        using var handler = new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, UseProxy = false };
        using var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

        using var page = await http.GetAsync("account/login", ct);
        var html = await page.Content.ReadAsStringAsync(ct);
        if (page.StatusCode != HttpStatusCode.OK)
        {
            throw new BenchmarkFailedException($"GET /account/login answered {(int)page.StatusCode} {page.ReasonPhrase}.");
        }
        var antiforgery = CookieHeader(page, _ => true);
        var match = TokenInput().Match(html);
        if (!match.Success || antiforgery.Length == 0)
        {
            throw new BenchmarkFailedException("The login page has no antiforgery token or cookie; the sign-in form may have changed.");
        }
        var token = WebUtility.HtmlDecode(match.Groups["v"].Value);

        using var request = new HttpRequestMessage(HttpMethod.Post, "account/login")
        {
            Content = new FormUrlEncodedContent(
            [
                new("_handler", "login"),
                new("__RequestVerificationToken", token),
                new("Input.Email", email),
                new("Input.Password", password),
            ]),
        };
        request.Headers.Add("Cookie", antiforgery);
        using var response = await http.SendAsync(request, ct);
        // The auth cookie may be split into chunks (opsconsole.auth, opsconsole.authC1, …); all are needed.
        var auth = CookieHeader(response, name => name.StartsWith("opsconsole.auth", StringComparison.Ordinal));
        if (response.StatusCode is not (HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.Redirect) || auth.Length == 0)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            throw new BenchmarkFailedException(
                $"Signing in as {email} failed: {(int)response.StatusCode} {response.ReasonPhrase}, " +
                $"{(auth.Length == 0 ? "no opsconsole.auth cookie" : "cookie set")}; body starts: {(body.Length > 300 ? body[..300] : body)}");
        }
        return auth;
    }

    private static string CookieHeader(HttpResponseMessage response, Func<string, bool> wanted)
    {
        if (!response.Headers.TryGetValues("Set-Cookie", out var values))
        {
            return "";
        }
        var pairs = values
            .Select(v => v.Split(';', 2)[0].Trim())
            // An empty value is a deletion (e.g. of an old chunk), not a cookie to send.
            .Where(p => p.Contains('=') && !p.EndsWith('='))
            .Where(p => wanted(p[..p.IndexOf('=')]));
        return string.Join("; ", pairs);
    }

    // Either attribute order, so a reordered Razor input does not break the sign-in.
    [GeneratedRegex(@"<input[^>]*name=""__RequestVerificationToken""[^>]*value=""(?<v>[^""]+)""|<input[^>]*value=""(?<v>[^""]+)""[^>]*name=""__RequestVerificationToken""")]
    private static partial Regex TokenInput();
}
