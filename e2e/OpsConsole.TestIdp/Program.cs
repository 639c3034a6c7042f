using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

// A small OpenID Connect provider for the SSO tests, never deployed: authorization code + PKCE,
// a few fixed users with groups, ephemeral keys, an in-memory store, plain HTTP on 127.0.0.1.
// Settings (command line or environment): --urls, Idp:ClientId, Idp:ClientSecret, Idp:RedirectUri,
// and Idp:Issuer to advertise and sign with an issuer other than the address it serves (the
// "unexpected issuer" attack).
var builder = WebApplication.CreateBuilder(args);
var settings = builder.Configuration.GetSection("Idp");
var clientId = settings["ClientId"] ?? "opsconsole";
var clientSecret = settings["ClientSecret"] ?? "test-idp-secret";
var redirectUri = settings["RedirectUri"] ?? throw new InvalidOperationException("Idp:RedirectUri is required.");
var issuer = settings["Issuer"];
var ownUrl = (builder.Configuration["urls"] ?? "http://127.0.0.1:5099").Split(';')[0].TrimEnd('/');

// Kept open for the life of the process: an in-memory SQLite database lives as long as a connection to it.
var store = new SqliteConnection("Data Source=:memory:");
store.Open();
builder.Services.AddDbContext<IdpDb>(o =>
{
    o.UseSqlite(store);
    o.UseOpenIddict();
});
builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
    .AddCookie(o =>
    {
        o.LoginPath = "/login";
        o.Cookie.Name = "testidp.auth";
    });
builder.Services.AddOpenIddict()
    .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<IdpDb>())
    .AddServer(o =>
    {
        if (issuer is null)
        {
            o.SetAuthorizationEndpointUris("connect/authorize").SetTokenEndpointUris("connect/token");
        }
        else
        {
            // The endpoints stay where they are served; only the issuer differs.
            o.SetIssuer(new Uri(issuer));
            o.SetAuthorizationEndpointUris(new Uri(ownUrl + "/connect/authorize"))
                .SetTokenEndpointUris(new Uri(ownUrl + "/connect/token"))
                .SetConfigurationEndpointUris(new Uri(ownUrl + "/.well-known/openid-configuration"))
                .SetJsonWebKeySetEndpointUris(new Uri(ownUrl + "/.well-known/jwks"));
        }
        o.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
        o.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Email, "groups");
        o.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
        o.DisableAccessTokenEncryption();
        o.UseAspNetCore()
            .EnableAuthorizationEndpointPassthrough()
            .DisableTransportSecurityRequirement();
    });

var app = builder.Build();
await using (var scope = app.Services.CreateAsyncScope())
{
    await scope.ServiceProvider.GetRequiredService<IdpDb>().Database.EnsureCreatedAsync();
    var apps = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
    await apps.CreateAsync(new OpenIddictApplicationDescriptor
    {
        ClientId = clientId,
        ClientSecret = clientSecret,
        ClientType = ClientTypes.Confidential,
        RedirectUris = { new Uri(redirectUri) },
        Permissions =
        {
            Permissions.Endpoints.Authorization,
            Permissions.Endpoints.Token,
            Permissions.GrantTypes.AuthorizationCode,
            Permissions.ResponseTypes.Code,
            Permissions.Scopes.Email,
            Permissions.Scopes.Profile,
            Permissions.Prefixes.Scope + "groups",
        },
        Requirements = { Requirements.Features.ProofKeyForCodeExchange },
    });
}

app.UseAuthentication();

app.MapGet("/login", (string? returnUrl, string? error) => Results.Content(LoginForm(returnUrl ?? "/", error), "text/html"));
app.MapPost("/login", async (HttpContext http) =>
{
    var form = await http.Request.ReadFormAsync();
    var returnUrl = form["returnUrl"].ToString();
    if (!TestUser.All.TryGetValue(form["username"].ToString(), out var user) || form["password"] != TestUser.Password)
    {
        return Results.Redirect("/login?error=1&returnUrl=" + Uri.EscapeDataString(returnUrl));
    }
    var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user.UserName)], CookieAuthenticationDefaults.AuthenticationScheme);
    await http.SignInAsync(new ClaimsPrincipal(identity));
    return Results.Redirect(returnUrl.StartsWith('/') ? returnUrl : "/");
});

app.MapMethods("/connect/authorize", [HttpMethods.Get, HttpMethods.Post], async (HttpContext http) =>
{
    var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
    var signedIn = await http.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    if (!signedIn.Succeeded || !TestUser.All.TryGetValue(signedIn.Principal.Identity?.Name ?? "", out var user))
    {
        return Results.Redirect("/login?returnUrl=" + Uri.EscapeDataString(http.Request.Path + http.Request.QueryString));
    }
    var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
    identity.SetClaim(Claims.Subject, user.Subject)
        .SetClaim(Claims.Email, user.Email)
        .SetClaim(Claims.EmailVerified, user.EmailVerified)
        .SetClaim(Claims.Name, user.DisplayName)
        .SetClaims("groups", [.. user.Groups]);
    identity.SetScopes(request.GetScopes());
    // Everything goes into the id_token: the console reads its claims from there, not from userinfo.
    identity.SetDestinations(_ => [Destinations.IdentityToken, Destinations.AccessToken]);
    return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
});

app.Run();

static string LoginForm(string returnUrl, string? error) => $"""
    <!doctype html>
    <html><head><title>Test IdP sign-in</title></head>
    <body>
    <h1>Test identity provider</h1>
    {(error is null ? "" : "<p role=\"alert\">Unknown user or wrong password.</p>")}
    <form method="post" action="/login">
      <input type="hidden" name="returnUrl" value="{WebUtility.HtmlEncode(returnUrl)}">
      <label>User <input name="username" id="username"></label>
      <label>Password <input name="password" id="password" type="password"></label>
      <button type="submit" id="idp-submit">Sign in</button>
    </form>
    </body></html>
    """;

internal sealed record TestUser(string UserName, string Subject, string Email, string DisplayName, IReadOnlyList<string> Groups, bool EmailVerified = true)
{
    public const string Password = "idp-password";

    /// <summary>Who the SSO tests sign in as: one per case the console must tell apart.</summary>
    public static readonly IReadOnlyDictionary<string, TestUser> All = new[]
    {
        new TestUser("alice", "sub-alice", "alice@contoso.test", "Alice Oncall", ["ops-oncall", "staff"]),
        new TestUser("olga", "sub-olga", "olga@contoso.test", "Olga Owner", ["ops-owners"]),
        new TestUser("nina", "sub-nina", "nina@contoso.test", "Nina Nogroup", ["staff"]),
        new TestUser("eve", "sub-eve", "eve@elsewhere.test", "Eve Elsewhere", ["ops-oncall"]),
        // Addresses of accounts the console already has: one the provider verified, one it did not.
        new TestUser("rita", "sub-rita", "reviewer@opsconsole.local", "Rita from Contoso", ["ops-oncall"]),
        new TestUser("mallory", "sub-mallory", "owner@opsconsole.local", "Mallory", ["ops-owners"], EmailVerified: false),
    }.ToDictionary(u => u.UserName);
}

internal sealed class IdpDb(DbContextOptions<IdpDb> options) : DbContext(options);
