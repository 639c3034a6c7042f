using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Components.Account;

public static class AccountEndpoints
{
    /// <summary>The account POSTs that are not forms of a page: sign-out.</summary>
    public static WebApplication MapAccount(this WebApplication app)
    {
        // Binding a form field makes the endpoint validate the antiforgery token: a cross-site
        // page cannot sign a user out.
        app.MapPost("/account/logout", async (SignInManager<AppUser> signIn, [FromForm] string? returnUrl) =>
        {
            await signIn.SignOutAsync();
            return TypedResults.LocalRedirect("~/account/login");
        }).AllowAnonymous();
        return app;
    }
}
