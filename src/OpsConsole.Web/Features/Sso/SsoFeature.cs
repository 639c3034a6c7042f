using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using OpsConsole.Web.Data;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Sso;

/// <summary>
/// Single sign-on with OpenID Connect (authorization code + PKCE). The provider's answer lands in
/// Identity's external cookie; <c>/account/sso/complete</c> turns it into a console account
/// (<see cref="SsoAccounts"/>) and signs in through Identity's external-login path, so everything
/// that applies to a sign-in (lockout, two-factor) applies to SSO users too.
/// </summary>
public static class SsoFeature
{
    public const string ProtectSecretCommand = "protect-secret";
    public const string ChallengePath = "/account/sso";
    public const string CompletePath = "/account/sso/complete";
    public const string CallbackPath = "/signin-oidc";
    /// <summary>The two-factor step of a sign-in, for an account that needs one.</summary>
    public const string TwoFactorPath = "/account/login-2fa";

    /// <summary>Values of the sign-in page's <c>sso</c> query parameter: why a sign-in did not complete.</summary>
    public static class Outcome
    {
        public const string Failed = "failed";
        public const string EmailNotAllowed = "domain";
        public const string NoRole = "no-role";
        public const string Locked = "locked";
        public const string NotForSso = "not-sso";
        public const string EmailNotVerified = "unverified";
    }

    public static WebApplicationBuilder AddSso(this WebApplicationBuilder builder)
    {
        // Checked now, so a wrong setting stops the start with its message. The protected client
        // secret is opened later, once Data Protection's key ring exists (see SsoSettings below).
        var early = SsoSettings.From(builder.Configuration, s => s, new List<string>());
        var services = builder.Services;
        services.AddSingleton(sp =>
        {
            var protector = sp.GetRequiredService<SecretProtector>();
            var warnings = new List<string>();
            var settings = SsoSettings.From(sp.GetRequiredService<IConfiguration>(), s => protector.Unprotect(SecretKind.OidcClientSecret, s), warnings);
            var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger("OpsConsole.Sso");
            foreach (var warning in warnings)
            {
                log.LogWarning("{Warning}", warning);
            }
            return settings;
        });
        services.AddSingleton<SsoAccounts>();
        if (!early.Enabled)
        {
            return builder;
        }
        services.AddAuthentication().AddOpenIdConnect(SsoSettings.Scheme, early.DisplayName, _ => { });
        services.AddOptions<OpenIdConnectOptions>(SsoSettings.Scheme).Configure<SsoSettings>(Configure);
        return builder;
    }

    private static void Configure(OpenIdConnectOptions o, SsoSettings s)
    {
        o.SignInScheme = IdentityConstants.ExternalScheme;
        o.Authority = s.Authority!.AbsoluteUri;
        o.RequireHttpsMetadata = s.RequireHttpsMetadata;
        o.ClientId = s.ClientId;
        o.ClientSecret = s.ClientSecret;
        o.ResponseType = OpenIdConnectResponseType.Code;
        // The code comes back in the query of a top-level GET, so the correlation and nonce cookies
        // can be SameSite=Lax: a form_post callback needs SameSite=None, which browsers drop without HTTPS.
        o.ResponseMode = OpenIdConnectResponseMode.Query;
        o.UsePkce = true;
        o.CallbackPath = CallbackPath;
        o.CorrelationCookie.SameSite = SameSiteMode.Lax;
        o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        o.NonceCookie.SameSite = SameSiteMode.Lax;
        o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        o.Scope.Clear();
        foreach (var scope in s.Scopes)
        {
            o.Scope.Add(scope);
        }
        // Claims keep the provider's names (sub, email, groups); the groups claim is read from the id_token.
        o.MapInboundClaims = false;
        o.GetClaimsFromUserInfoEndpoint = false;
        o.SaveTokens = false;
        o.TokenValidationParameters.NameClaimType = "name";
        // The handler adds whatever issuer the discovery document names to the valid ones, so a
        // provider answering as another issuer would pass. The issuer must be the configured
        // authority itself (OpenID Connect Discovery 1.0, section 4.3).
        o.TokenValidationParameters.IssuerValidator = (issuer, _, _) => s.ValidIssuers.Contains(issuer, StringComparer.Ordinal)
            ? issuer
            : throw new SecurityTokenInvalidIssuerException($"Unexpected issuer '{issuer}': tokens must come from the configured authority {s.Authority}.") { InvalidIssuer = issuer };
        o.Events.OnRemoteFailure = ctx =>
        {
            // A wrong state, a missing or wrong nonce, an unexpected issuer, an error from the
            // provider: never a 500, the same short message for the person, the reason in the log.
            Log(ctx.HttpContext).LogWarning("Single sign-on callback refused: {Reason}", ctx.Failure?.Message ?? "unknown");
            ctx.Response.Redirect(LoginPageWith(Outcome.Failed));
            ctx.HandleResponse();
            return Task.CompletedTask;
        };
    }

    public static WebApplication MapSso(this WebApplication app)
    {
        app.MapGet(ChallengePath, async (HttpContext http, SsoSettings settings, SignInManager<AppUser> signIn, string? returnUrl) =>
        {
            if (!settings.Enabled)
            {
                return Results.NotFound();
            }
            var complete = CompletePath + "?returnUrl=" + Uri.EscapeDataString(SafeReturnUrl(returnUrl));
            var properties = signIn.ConfigureExternalAuthenticationProperties(SsoSettings.Scheme, complete);
            try
            {
                // Run here rather than as a result, so a provider that cannot be reached is a message, not a 500.
                await http.ChallengeAsync(SsoSettings.Scheme, properties);
                return Results.Empty;
            }
            catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or IOException)
            {
                Log(http).LogWarning(ex, "Single sign-on could not start: the provider's metadata at {Authority} could not be read", settings.Authority);
                return Results.LocalRedirect(LoginPageWith(Outcome.Failed));
            }
        }).AllowAnonymous();

        app.MapGet(CompletePath, CompleteAsync).AllowAnonymous();
        return app;
    }

    private static async Task<IResult> CompleteAsync(HttpContext http, SsoSettings settings, SsoAccounts accounts, SignInManager<AppUser> signIn, string? returnUrl, CancellationToken ct)
    {
        if (!settings.Enabled)
        {
            return Results.NotFound();
        }
        var external = await http.AuthenticateAsync(IdentityConstants.ExternalScheme);
        // The provider's answer is needed only for this request.
        await http.SignOutAsync(IdentityConstants.ExternalScheme);
        if (!external.Succeeded)
        {
            Log(http).LogWarning("Single sign-on completion without a provider sign-in");
            return Results.LocalRedirect(LoginPageWith(Outcome.Failed));
        }
        if (SsoIdentity.From(external.Principal, settings.GroupsClaim) is not { } id)
        {
            Log(http).LogWarning("Single sign-on refused: the provider sent no subject or no e-mail claim (request the 'email' scope)");
            return Results.LocalRedirect(LoginPageWith(Outcome.Failed));
        }
        var provisioned = await accounts.ProvisionAsync(id, ct);
        if (provisioned.UserId is null)
        {
            return Results.LocalRedirect(LoginPageWith(provisioned.Refusal switch
            {
                SsoRefusal.EmailNotAllowed => Outcome.EmailNotAllowed,
                SsoRefusal.NoMappedGroup => Outcome.NoRole,
                SsoRefusal.Locked => Outcome.Locked,
                SsoRefusal.NotForSso => Outcome.NotForSso,
                SsoRefusal.EmailNotVerified => Outcome.EmailNotVerified,
                _ => Outcome.Failed,
            }));
        }
        var target = SafeReturnUrl(returnUrl);
        var result = await signIn.ExternalLoginSignInAsync(SsoSettings.Scheme, id.Subject, isPersistent: false, bypassTwoFactor: false);
        if (result.Succeeded)
        {
            Log(http).LogInformation("{Email} signed in by single sign-on", id.Email);
            return Results.LocalRedirect(target);
        }
        if (result.RequiresTwoFactor)
        {
            return Results.LocalRedirect(TwoFactorPath + "?returnUrl=" + Uri.EscapeDataString(target));
        }
        Log(http).LogWarning("Single sign-on for {Email} refused by the account checks (locked: {Locked})", id.Email, result.IsLockedOut);
        return Results.LocalRedirect(LoginPageWith(result.IsLockedOut ? Outcome.Locked : Outcome.Failed));
    }

    /// <summary>
    /// <c>protect-secret oidc</c>: reads a secret from standard input and prints it protected for
    /// <see cref="SsoOptions.ProtectedClientSecret"/>, with this console's Data Protection keys.
    /// </summary>
    public static async Task<int> ProtectSecretAsync(IServiceProvider services, string? kind, TextReader input, TextWriter output, TextWriter error)
    {
        if (kind != "oidc")
        {
            await error.WriteLineAsync("usage: protect-secret oidc   (reads the OpenID Connect client secret from standard input)");
            return 2;
        }
        var secret = (await input.ReadToEndAsync()).TrimEnd('\r', '\n');
        if (secret.Length == 0)
        {
            await error.WriteLineAsync("No secret on standard input. Example: printf '%s' \"$SECRET\" | dotnet OpsConsole.Web.dll protect-secret oidc");
            return 2;
        }
        await output.WriteLineAsync(services.GetRequiredService<SecretProtector>().Protect(SecretKind.OidcClientSecret, secret));
        return 0;
    }

    private static string LoginPageWith(string outcome) => "/account/login?sso=" + outcome;

    /// <summary>Only local paths: an open redirect would let a phishing link borrow our sign-in.</summary>
    internal static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//") && !returnUrl.StartsWith("/\\")
            ? returnUrl
            : "/";

    private static ILogger Log(HttpContext http) => http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("OpsConsole.Sso");
}
