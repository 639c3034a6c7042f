using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Infrastructure.Security;

public static class SecurityFeature
{
    public static WebApplicationBuilder AddSecurity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var signIn = SignInLimits.From(builder.Configuration);
        services.AddSingleton(signIn);
        var mfa = MfaSettings.From(builder.Configuration);
        services.AddSingleton(mfa);
        services.AddSingleton<MfaSignIn>();
        services.AddScoped<MfaEnrolment>();
        services.AddSingleton<IAuthorizationHandler, MfaEnrolmentHandler>();
        services.AddSingleton<SignInGuard>();
        services.AddSingleton<SecretProtector>();
        services.AddRateLimiter(o => o.AddPolicy<string, SignInRateLimitPolicy>(SignInRateLimitPolicy.Name));
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, RevalidatingAuthStateProvider>();
        services.AddAuthentication(IdentityConstants.ApplicationScheme).AddIdentityCookies();
        services.AddIdentityCore<AppUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.SignIn.RequireConfirmedAccount = false;
                o.Password.RequiredLength = MaxLengthPasswordValidator.MinLength;
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequiredUniqueChars = 1;
                // Account-wide, and so high that only guessing spread over many addresses reaches it:
                // a few failures lock an account for the failing address only (SignInGuard).
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = signIn.AccountLockoutFailures;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(signIn.AccountLockoutMinutes);
                // ±1 step and single use, on TimeProvider (Identity's own allows ±2 steps and reuse).
                o.Tokens.AuthenticatorTokenProvider = AuthenticatorCodeProvider.Name;
                o.Tokens.AuthenticatorIssuer = mfa.Issuer;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<AppDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders()
            .AddTokenProvider<AuthenticatorCodeProvider>(AuthenticatorCodeProvider.Name)
            .AddUserStore<AppUserStore>()
            .AddClaimsPrincipalFactory<AppClaimsPrincipalFactory>()
            .AddPasswordValidator<MaxLengthPasswordValidator>()
            .AddPasswordValidator<CommonPasswordValidator>();

        // Role changes and locks reach signed-in users within a minute, not at cookie expiry.
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromMinutes(1));
        services.Configure<CookieAuthenticationOptions>(IdentityConstants.TwoFactorRememberMeScheme, o =>
        {
            o.Cookie.Name = "opsconsole.mfa-remember";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.ExpireTimeSpan = TimeSpan.FromDays(Math.Max(mfa.RememberBrowserDays, 1));
            o.SlidingExpiration = false;
            if (mfa.RememberBrowserDays == 0)
            {
                // Off: a browser remembered while it was on is asked for a code again.
                o.Events.OnValidatePrincipal = ctx =>
                {
                    ctx.RejectPrincipal();
                    return Task.CompletedTask;
                };
            }
        });
        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/account/login";
            o.LogoutPath = "/account/logout";
            o.AccessDeniedPath = "/account/access-denied";
            o.Cookie.Name = "opsconsole.auth";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = TimeSpan.FromHours(10);
            o.SlidingExpiration = true;
            o.Events.OnRedirectToLogin = ctx => Redirect(ctx, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = ctx =>
            {
                if (mfa.MustEnrol(ctx.HttpContext.User))
                {
                    return ToEnrolment(ctx);
                }
                // Tell the 403 page which policy refused, so it can say which role is needed.
                var policy = ctx.HttpContext.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>()
                    .Select(a => a.Policy).LastOrDefault(p => p is not null);
                if (policy is not null)
                {
                    ctx.RedirectUri += "&policy=" + Uri.EscapeDataString(policy);
                }
                return Redirect(ctx, StatusCodes.Status403Forbidden);
            };
        });
        services.AddAuthorization(Policies.Configure);
        services.AddSingleton<PathAccess>();
        services.AddSingleton<Permissions>();
        services.AddScoped<IAuthorizationHandler, PathAuthorizationHandler>();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "opsconsole.af";
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        return builder;
    }

    /// <summary>A person who must enrol first: pages send them to the enrolment page, APIs and hubs say why in a 403.</summary>
    private static Task ToEnrolment(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> ctx)
    {
        var request = ctx.Request;
        if (request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/hubs") || request.Path.StartsWithSegments("/_blazor"))
        {
            return TypedResults.Problem(detail: MfaEnrolmentHandler.Reason, statusCode: StatusCodes.Status403Forbidden,
                title: "Multi-factor enrolment required").ExecuteAsync(ctx.HttpContext);
        }
        var back = request.PathBase + request.Path + request.QueryString;
        ctx.Response.Redirect(MfaSettings.EnrolPath + "?returnUrl=" + Uri.EscapeDataString(back));
        return Task.CompletedTask;
    }

    /// <summary>APIs answer with a status code; browsers are sent to the sign-in or 403 page.</summary>
    private static Task Redirect(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> ctx, int apiStatus)
    {
        if (ctx.Request.Path.StartsWithSegments("/api") || ctx.Request.Path.StartsWithSegments("/hubs"))
        {
            ctx.Response.StatusCode = apiStatus;
            // A 401 must say how to authenticate (RFC 9110 11.6.1); the API's way is a key as a bearer token.
            if (apiStatus == StatusCodes.Status401Unauthorized && ctx.Request.Path.StartsWithSegments("/api"))
            {
                ctx.Response.Headers.WWWAuthenticate = "Bearer";
            }
        }
        else
        {
            ctx.Response.Redirect(ctx.RedirectUri);
        }
        return Task.CompletedTask;
    }
}
