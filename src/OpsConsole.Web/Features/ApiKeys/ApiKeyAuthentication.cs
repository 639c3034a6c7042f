using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace OpsConsole.Web.Features.ApiKeys;

/// <summary>
/// Authenticates AI services by <c>Authorization: Bearer &lt;key&gt;</c>. Only endpoints whose
/// policy names this scheme use it; people keep their cookie.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyStore store)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string ScopeClaim = "scope";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        string? secret = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
        // WebSocket clients cannot always send headers; SignalR passes the key as access_token on hub URLs only.
        if (secret is null && Request.Path.StartsWithSegments("/hubs") && Request.Query["access_token"].ToString() is { Length: > 0 } token)
        {
            secret = token;
        }
        if (secret is null)
        {
            return AuthenticateResult.NoResult();
        }
        var (caller, ended) = await store.LookupAsync(secret, Context.RequestAborted);
        if (ended is { } end)
        {
            _ended = end;
            return AuthenticateResult.Fail(end.Detail);
        }
        if (caller is null)
        {
            return AuthenticateResult.Fail("Unknown or revoked API key.");
        }
        Context.Features.Set(caller);
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, "apikey:" + caller.KeyId), new(ClaimTypes.Name, caller.Name) };
        claims.AddRange(caller.Scopes.Select(s => new Claim(ScopeClaim, s)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    // Set when the key is known but stopped by time: the challenge then says when, not just "required".
    private KeyEnded? _ended;

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        await HandleAuthenticateOnceSafeAsync();
        await (_ended is { } end
            ? WriteProblemAsync(StatusCodes.Status401Unauthorized, "API key expired", end.Detail)
            : WriteProblemAsync(StatusCodes.Status401Unauthorized, "API key required",
                "Send a valid, unrevoked key as 'Authorization: Bearer <key>'. Keys are created on the Keys page."));
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status403Forbidden, "Scope missing", "This API key does not have the scope this endpoint needs.");

    private Task WriteProblemAsync(int status, string title, string detail)
    {
        Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized)
        {
            Response.Headers.WWWAuthenticate = "Bearer";
        }
        return Results.Problem(statusCode: status, title: title, detail: detail).ExecuteAsync(Context);
    }
}
