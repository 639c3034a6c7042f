using System.Net;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticAssets;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;

namespace OpsConsole.Tests.Security;

public enum Outcome
{
    /// <summary>2xx: the caller got the page or data.</summary>
    Ok,
    /// <summary>Sent to sign in (302 to /account/login) or 401.</summary>
    Login,
    /// <summary>403, or sent to the access-denied page.</summary>
    Forbidden,
    /// <summary>Authorization passed and the handler refused the request shape (400/404/405).</summary>
    Refused,
    /// <summary>Sent to the multi-factor enrolment page (a signed-in person who must enrol first).</summary>
    Enrol,
}

/// <summary>
/// Every route of the app's own route table × every role, against one expectation table. A route
/// added without a row fails <see cref="RouteTable_EveryRoute_HasARow"/>; a row that no longer
/// matches a route fails it too.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AuthorizationMatrixTests(AuthorizationMatrixTests.Fixture fx) : IClassFixture<AuthorizationMatrixTests.Fixture>
{
    public static readonly string[] Callers = ["anonymous", TestUsers.Admin, TestUsers.Owner, TestUsers.OnCall, TestUsers.Reviewer, TestUsers.Viewer];

    private const Outcome O = Outcome.Ok, L = Outcome.Login, F = Outcome.Forbidden, R = Outcome.Refused;

    /// <summary>Route key → (request to send, outcome per caller in <see cref="Callers"/> order).</summary>
    public static readonly Dictionary<string, (string Method, string Url, Outcome[] Expected)> Table = new()
    {
        //                                                                                   anon admin owner oncall reviewer viewer
        ["GET /"] = ("GET", "/", [L, O, O, O, O, O]),
        ["GET /paths"] = ("GET", "/paths", [L, O, O, O, O, O]),
        ["GET /paths/new"] = ("GET", "/paths/new", [L, O, F, F, F, F]),
        ["GET /paths/{slug}"] = ("GET", "/paths/support-reply-draft", [L, O, O, O, O, O]),
        ["GET /paths/{slug}/edit"] = ("GET", "/paths/support-reply-draft/edit", [L, O, O, F, F, F]),
        ["GET /paths/{slug}/dashboard"] = ("GET", "/paths/support-reply-draft/dashboard", [L, O, O, O, O, O]),
        ["GET /paths/{slug}/events"] = ("GET", "/paths/support-reply-draft/events", [L, O, O, O, O, O]),
        // Ids that no row has: past authorization, the page answers 404 (a real not-found page).
        ["GET /paths/{slug}/events/{id:long}"] = ("GET", "/paths/support-reply-draft/events/999999999", [L, R, R, R, R, R]),
        ["GET /paths/{slug}/drift/{id:long}"] = ("GET", "/paths/support-reply-draft/drift/999999999", [L, R, R, R, R, R]),
        // Golden sets and evaluation runs hold real inputs: the path's owners and admins (an unknown set or run says so, 200).
        ["GET /paths/{slug}/datasets"] = ("GET", "/paths/support-reply-draft/datasets", [L, O, O, F, F, F]),
        ["GET /paths/{slug}/datasets/{name}"] = ("GET", "/paths/support-reply-draft/datasets/none", [L, O, O, F, F, F]),
        ["GET /paths/{slug}/evaluations/{id:long}"] = ("GET", "/paths/support-reply-draft/evaluations/999999999", [L, O, O, F, F, F]),
        ["GET /paths/{slug}/quarantine"] = ("GET", "/paths/support-reply-draft/quarantine", [L, O, O, F, F, F]),
        ["GET /incidents"] = ("GET", "/incidents", [L, O, O, O, O, O]),
        ["GET /incidents/{id:long}"] = ("GET", "/incidents/1", [L, O, O, O, O, O]),
        ["GET /keys"] = ("GET", "/keys", [L, O, O, F, F, F]),
        // Search: every signed-in person; the results hold only what they may see (SearchTests).
        ["GET /search"] = ("GET", "/search?q=support", [L, O, O, O, O, O]),
        ["GET /review"] = ("GET", "/review", [L, O, O, F, O, F]),
        ["GET /review/{id:long}"] = ("GET", "/review/1", [L, O, O, F, O, F]),
        ["GET /review/pairwise"] = ("GET", "/review/pairwise", [L, O, O, F, O, F]),
        ["GET /review/stats"] = ("GET", "/review/stats", [L, O, O, F, O, F]),
        // Labels: owners of the path and admins (or a key with labels:read).
        ["GET /api/v1/paths/{slug}/labels"] = ("GET", "/api/v1/paths/support-reply-draft/labels", [L, O, O, F, F, F]),
        // Releases: listed by whoever may view the path; created by its owners and admins (or a key with releases:write).
        // The empty POST is past authorization for owners and admins: 415, it is not JSON.
        ["GET /api/v1/paths/{slug}/releases"] = ("GET", "/api/v1/paths/support-reply-draft/releases", [L, O, O, O, O, O]),
        ["POST /api/v1/paths/{slug}/releases"] = ("POST", "/api/v1/paths/support-reply-draft/releases", [L, R, R, F, F, F]),
        // Canary: a page per release (an id no release has: 404); the trial read by whoever may view (none yet: 404);
        // started and approved by owners and admins; rolled back and stable reverted by on-call too. Bodies are refused (415).
        ["GET /paths/{slug}/releases/{id}"] = ("GET", "/paths/support-reply-draft/releases/" + new string('0', 64), [L, R, R, R, R, R]),
        ["GET /api/v1/paths/{slug}/candidate"] = ("GET", "/api/v1/paths/support-reply-draft/candidate", [L, R, R, R, R, R]),
        ["POST /api/v1/paths/{slug}/candidate"] = ("POST", "/api/v1/paths/support-reply-draft/candidate", [L, R, R, F, F, F]),
        // No candidate in shadow on the demo path: past authorization, 409.
        ["POST /api/v1/paths/{slug}/candidate/start"] = ("POST", "/api/v1/paths/support-reply-draft/candidate/start", [L, R, R, F, F, F]),
        ["POST /api/v1/paths/{slug}/candidate/approve"] = ("POST", "/api/v1/paths/support-reply-draft/candidate/approve", [L, R, R, F, F, F]),
        ["POST /api/v1/paths/{slug}/candidate/rollback"] = ("POST", "/api/v1/paths/support-reply-draft/candidate/rollback", [L, R, R, R, F, F]),
        ["POST /api/v1/paths/{slug}/stable"] = ("POST", "/api/v1/paths/support-reply-draft/stable", [L, R, R, R, F, F]),
        // Budgets: whoever may see the path reads it; its owners and admins set it (the matrix's empty body is refused past the check).
        ["GET /api/v1/paths/{slug}/budget"] = ("GET", "/api/v1/paths/support-reply-draft/budget", [L, O, O, O, O, O]),
        ["PUT /api/v1/paths/{slug}/budget"] = ("PUT", "/api/v1/paths/support-reply-draft/budget", [L, R, R, F, F, F]),
        // Evaluation: golden sets and runs by owners and admins (or a key with evaluations:write); bodies refused (415), a version no set has: 404.
        ["POST /api/v1/paths/{slug}/datasets/{name}/versions"] = ("POST", "/api/v1/paths/support-reply-draft/datasets/golden/versions", [L, R, R, F, F, F]),
        ["GET /api/v1/paths/{slug}/datasets/{name}/versions/{version:int}"] = ("GET", "/api/v1/paths/support-reply-draft/datasets/golden/versions/1", [L, R, R, F, F, F]),
        ["POST /api/v1/paths/{slug}/evaluations"] = ("POST", "/api/v1/paths/support-reply-draft/evaluations", [L, R, R, F, F, F]),
        // The hub: signed-in users only; which path groups they may join is checked inside.
        ["ANY /hubs/ops/negotiate"] = ("POST", "/hubs/ops/negotiate?negotiateVersion=1", [L, O, O, O, O, O]),
        ["ANY /hubs/ops"] = ("GET", "/hubs/ops", [L, R, R, R, R, R]),
        ["GET /admin/quarantine"] = ("GET", "/admin/quarantine", [L, O, F, F, F, F]),
        ["GET /audit"] = ("GET", "/audit", [L, O, O, F, F, F]),
        ["GET /admin/users"] = ("GET", "/admin/users", [L, O, F, F, F, F]),
        ["GET /notifications"] = ("GET", "/notifications", [L, O, O, O, O, O]), // each person's own
        ["GET /settings"] = ("GET", "/settings", [L, O, O, O, O, O]), // each browser's own time setting
        ["GET /account/sessions"] = ("GET", "/account/sessions", [L, O, O, O, O, O]), // each person's own sign-ins
        ["GET /account/login"] = ("GET", "/account/login", [O, O, O, O, O, O]),
        // The second step exists only after a right password; anyone else is sent to sign in.
        ["GET /account/login-2fa"] = ("GET", "/account/login-2fa", [L, L, L, L, L, L]),
        // Each person's own authenticator (enrolment, recovery codes).
        ["GET /account/mfa"] = ("GET", "/account/mfa", [L, O, O, O, O, O]),
        ["GET /account/access-denied"] = ("GET", "/account/access-denied", [F, F, F, F, F, F]),
        ["POST /account/logout"] = ("POST", "/account/logout", [R, R, R, R, R, R]),
        // 404 while single sign-on is off, as here; with it on, anyone may start and complete one (SsoIntegrationTests).
        ["GET /account/sso"] = ("GET", "/account/sso", [R, R, R, R, R, R]),
        ["GET /account/sso/complete"] = ("GET", "/account/sso/complete", [R, R, R, R, R, R]),
        ["GET /error"] = ("GET", "/error", [O, O, O, O, O, O]),
        ["GET /not-found"] = ("GET", "/not-found", [O, O, O, O, O, O]),
        ["POST /api/v1/events"] = ("POST", "/api/v1/events", [L, L, L, L, L, L]), // a key, never a session
        ["POST /v1/traces"] = ("POST", "/v1/traces", [L, L, L, L, L, L]), // OTLP/HTTP: a key, never a session
        ["GET /api/v1/paths/{slug}/decision"] = ("GET", "/api/v1/paths/support-reply-draft/decision?unit=u", [L, L, L, L, L, L]), // a key, never a session
        ["GET /api/v1/config"] = ("GET", "/api/v1/config", [L, L, L, L, L, L]),
        // OFREP: a key, never a session (the empty form post is refused at the key check).
        ["POST /ofrep/v1/evaluate/flags/{key}"] = ("POST", "/ofrep/v1/evaluate/flags/support-reply-draft", [L, L, L, L, L, L]),
        ["POST /ofrep/v1/evaluate/flags"] = ("POST", "/ofrep/v1/evaluate/flags", [L, L, L, L, L, L]),
        ["GET /api/v1/ping"] = ("GET", "/api/v1/ping", [O, O, O, O, O, O]),
        ["ANY /hubs/config/negotiate"] = ("POST", "/hubs/config/negotiate?negotiateVersion=1", [L, L, L, L, L, L]),
        ["ANY /hubs/config"] = ("GET", "/hubs/config", [L, L, L, L, L, L]),
        ["GET /api/v1/audit/verify"] = ("GET", "/api/v1/audit/verify", [L, O, F, F, F, F]),
        ["ANY /hangfire/{**path}"] = ("GET", "/hangfire", [L, O, F, F, F, F]), // Hangfire's dashboard: admins only
        ["ANY /health/live"] = ("GET", "/health/live", [O, O, O, O, O, O]),
        ["ANY /health/ready"] = ("GET", "/health/ready", [O, O, O, O, O, O]),
        ["GET /openapi/{documentName}.json"] = ("GET", "/openapi/v1.json", [O, O, O, O, O, O]),
        // Blazor's own endpoints: the circuit is for signed-in users only.
        ["ANY /_blazor/negotiate"] = ("POST", "/_blazor/negotiate?negotiateVersion=1", [L, O, O, O, O, O]),
        ["ANY /_blazor"] = ("GET", "/_blazor", [L, R, R, R, R, R]),
        ["ANY /_blazor/disconnect/"] = ("POST", "/_blazor/disconnect/", [L, R, R, R, R, R]),
        ["ANY /_blazor/initializers/"] = ("GET", "/_blazor/initializers/", [L, O, O, O, O, O]),
        ["GET /_framework/opaque-redirect"] = ("GET", "/_framework/opaque-redirect", [L, R, R, R, R, R]),
        ["GET {**path:file}"] = ("GET", "/no-such-file.txt", [L, R, R, R, R, R]),
    };

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var key in Table.Keys)
        {
            for (var i = 0; i < Callers.Length; i++)
            {
                data.Add(key, i);
            }
        }
        return data;
    }

    [Fact]
    public void RouteTable_EveryRoute_HasARow()
    {
        var routes = RouteKeys(fx.Factory.Services).ToHashSet();
        Assert.Empty(routes.Except(Table.Keys).Order());
        Assert.Empty(Table.Keys.Except(routes).Order());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Route_Caller_GetsExpectedOutcome(string route, int caller)
    {
        var (method, url, expected) = Table[route];
        var client = await fx.ClientAsync(Callers[caller]);
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method == "POST")
        {
            request.Content = new FormUrlEncodedContent([]);
        }
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(expected[caller], Classify(response));
        if (response.StatusCode == HttpStatusCode.Unauthorized && url.StartsWith("/api/", StringComparison.Ordinal))
        {
            // RFC 9110: a 401 names how to authenticate; API clients send a key as a bearer token.
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        }
    }

    /// <summary>An Admin who has not enrolled an authenticator: see <see cref="WithoutMfa"/>.</summary>
    public const string AdminWithoutMfa = "admin-nomfa@opsconsole.test";

    /// <summary>
    /// The matrix's seventh caller, derived from the others so every route added later is covered too:
    /// an Admin without a second factor reaches nothing a signed-in person needs (pages send them to
    /// enrolment, APIs, hubs and the circuit answer 403), keeps what anyone may (sign-in, health, errors),
    /// and may open the enrolment page.
    /// </summary>
    public static Outcome WithoutMfa(string route)
    {
        var (_, url, expected) = Table[route];
        if (route == "GET /account/mfa")
        {
            return O;
        }
        return (expected[0], expected[1]) switch
        {
            (_, L) => L,
            (L, _) => url.StartsWith("/api/", StringComparison.Ordinal) || url.StartsWith("/hubs/", StringComparison.Ordinal) || url.StartsWith("/_blazor", StringComparison.Ordinal) ? F : Outcome.Enrol,
            (_, var admin) => admin,
        };
    }

    public static TheoryData<string> Routes() => new(Table.Keys);

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Route_AdminWithoutMfa_IsSentToEnrolment(string route)
    {
        var (method, url, _) = Table[route];
        var client = await fx.ClientAsync(AdminWithoutMfa);
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method == "POST")
        {
            request.Content = new FormUrlEncodedContent([]);
        }
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var expected = WithoutMfa(route);
        Assert.Equal(expected, Classify(response));
        if (expected == F && WithoutMfa(route) != Table[route].Expected[1])
        {
            // Refused for the missing factor, not for a missing role: the answer says what to do.
            Assert.Contains("enrol", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData("/api/v1/paths/support-reply-draft/labels")]
    [InlineData("/api/v1/audit/verify")]
    [InlineData("/api/v1/events")]
    [InlineData("/v1/traces")]
    [InlineData("/api/v1/config")]
    [InlineData("/api/v1/no-such-route")]
    public async Task ApiRoute_Anonymous_401WithBearerChallenge(string url)
    {
        var client = await fx.ClientAsync("anonymous");
        using var request = new HttpRequestMessage(url.EndsWith("/events") || url.EndsWith("/traces") ? HttpMethod.Post : HttpMethod.Get, url);
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task StaticAssets_Anonymous_AreServed()
    {
        var client = await fx.ClientAsync("anonymous");
        var response = await client.GetAsync("/_content/MudBlazor/MudBlazor.min.css", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    internal static IEnumerable<string> RouteKeys(IServiceProvider services) =>
        services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<StaticAssetDescriptor>() is null)
            .SelectMany(e =>
            {
                var pattern = e.RoutePattern.RawText ?? "";
                // Pages answer GET; their POST is the form post of the same page.
                if (e.Metadata.GetMetadata<ComponentTypeMetadata>() is not null)
                {
                    return [$"GET {pattern}"];
                }
                var methods = e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
                return methods.Count == 0 ? [$"ANY {pattern}"] : methods.Where(m => m != "HEAD").Select(m => $"{m} {pattern}");
            })
            .Distinct();

    private static Outcome Classify(HttpResponseMessage r)
    {
        var code = (int)r.StatusCode;
        if (code is 301 or 302 or 303 or 307)
        {
            var location = r.Headers.Location?.ToString() ?? "";
            if (location.Contains("/account/login", StringComparison.OrdinalIgnoreCase))
            {
                return Outcome.Login;
            }
            if (location.Contains("/account/access-denied", StringComparison.OrdinalIgnoreCase))
            {
                return Outcome.Forbidden;
            }
            if (location.Contains("/account/mfa", StringComparison.OrdinalIgnoreCase))
            {
                return Outcome.Enrol;
            }
            return Outcome.Ok;
        }
        return code switch
        {
            >= 200 and < 300 => Outcome.Ok,
            401 => Outcome.Login,
            403 => Outcome.Forbidden,
            _ => Outcome.Refused,
        };
    }

    [Trait("Category", "Integration")]
    public sealed class Fixture : IAsyncLifetime
    {
        private readonly Dictionary<string, HttpClient> _clients = new();
        private readonly SemaphoreSlim _gate = new(1, 1);

        public OpsConsoleFactory Factory { get; } = new();

        public async Task<HttpClient> ClientAsync(string caller)
        {
            await _gate.WaitAsync();
            try
            {
                if (!_clients.TryGetValue(caller, out var client))
                {
                    client = caller switch
                    {
                        "anonymous" => SignIn.Anonymous(Factory),
                        AdminWithoutMfa => await SignIn.PasswordOnlyAsync(Factory, caller),
                        _ => await SignIn.AsAsync(Factory, caller),
                    };
                    _clients[caller] = client;
                }
                return client;
            }
            finally
            {
                _gate.Release();
            }
        }

        public async ValueTask InitializeAsync()
        {
            Factory.CreateClient().Dispose();
            await using var scope = Factory.Services.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<OpsConsole.Web.Data.AppUser>>();
            var admin = new OpsConsole.Web.Data.AppUser { UserName = AdminWithoutMfa, Email = AdminWithoutMfa, EmailConfirmed = true, DisplayName = "Admin without MFA" };
            Assert.True((await users.CreateAsync(admin, TestUsers.Password)).Succeeded);
            Assert.True((await users.AddToRoleAsync(admin, OpsConsole.Web.Infrastructure.Security.AppRoles.Admin)).Succeeded);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var c in _clients.Values)
            {
                c.Dispose();
            }
            await Factory.DisposeAsync();
        }
    }
}
