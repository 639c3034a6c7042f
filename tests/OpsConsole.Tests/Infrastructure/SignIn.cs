using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Infrastructure;

/// <summary>
/// Signs in through the real sign-in form (antiforgery token included), as a browser does; for a
/// user whose role needs a second factor also through the real second step: the first sign-in on
/// an app instance enrols an authenticator on the enrolment page (the key read from the page, the
/// code computed by <see cref="TestTotp"/>), later ones type a fresh code or bring the
/// "remember this browser" cookie, as a person's browser would.
/// </summary>
public static partial class SignIn
{
    private static readonly Uri Localhost = new("http://localhost");

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    [GeneratedRegex("data-testid=\"mfa-key\"[^>]*>([^<]+)<")]
    private static partial Regex KeyPattern();

    [GeneratedRegex("data-testid=\"recovery-code\"[^>]*>([^<]+)<")]
    private static partial Regex RecoveryCodePattern();

    public static HttpClient Anonymous(OpsConsoleFactory factory) =>
        factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    /// <summary>A browser at another network address (see <see cref="TestClientAddress"/>).</summary>
    public static HttpClient Anonymous(OpsConsoleFactory factory, string remoteAddress)
    {
        var client = Anonymous(factory);
        client.DefaultRequestHeaders.Add(TestClientAddress.Header, remoteAddress);
        return client;
    }

    public static async Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string email, string password)
    {
        var form = await client.GetStringAsync("/account/login");
        var token = AntiforgeryToken(form);
        return await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = token,
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
    }

    public static async Task<HttpClient> AsAsync(OpsConsoleFactory factory, string email, string password = TestUsers.Password) =>
        (await SignedInAsync(factory, email, password)).Client;

    /// <summary>The password step only: a user who must enrol is left signed in but sent to the enrolment page for everything.</summary>
    public static async Task<HttpClient> PasswordOnlyAsync(OpsConsoleFactory factory, string email, string password = TestUsers.Password)
    {
        var (client, _) = NewClient(factory);
        await ExpectRedirectAsync(await PostLoginAsync(client, email, password), email);
        return client;
    }

    /// <summary>A browser with its own cookie jar, which the sign-in can fill with a remembered-browser cookie.</summary>
    public static (HttpClient Client, CookieContainer Cookies) NewClient(OpsConsoleFactory factory)
    {
        var cookies = new CookieContainer();
        return (factory.CreateDefaultClient(Localhost, new CookieContainerHandler(cookies)), cookies);
    }

    private static async Task<(HttpClient Client, CookieContainer Cookies)> SignedInAsync(OpsConsoleFactory factory, string email, string password)
    {
        var (client, cookies) = NewClient(factory);
        if (factory.Authenticators.RememberedCookie(email) is { } remembered)
        {
            cookies.Add(remembered);
        }
        var location = await ExpectRedirectAsync(await PostLoginAsync(client, email, password), email);
        if (location.AbsolutePath == "/account/login-2fa")
        {
            await SecondStepAsync(factory, client, cookies, email, location.PathAndQuery);
        }
        else if (await MustEnrolAsync(factory, email))
        {
            await EnrolAsync(factory, client, email);
        }
        return (client, cookies);
    }

    private static async Task<Uri> ExpectRedirectAsync(HttpResponseMessage response, string email)
    {
        if (response.StatusCode != HttpStatusCode.Redirect || response.Headers.Location is null)
        {
            var body = await response.Content.ReadAsStringAsync();
            throw new InvalidOperationException($"Sign-in of {email} failed with {(int)response.StatusCode}: {body[..Math.Min(body.Length, 500)]}");
        }
        var location = response.Headers.Location;
        return location.IsAbsoluteUri ? location : new Uri(Localhost, location);
    }

    private static async Task<bool> MustEnrolAsync(OpsConsoleFactory factory, string email) =>
        factory.Services.GetRequiredService<MfaSettings>().MustEnrol(await Principals.ForAsync(factory, email));

    /// <summary>Sets up an authenticator on the enrolment page, as a person with a phone does; returns the recovery codes shown.</summary>
    public static async Task<IReadOnlyList<string>> EnrolAsync(OpsConsoleFactory factory, HttpClient client, string email)
    {
        var page = await client.GetStringAsync("/account/mfa");
        var keyMatch = KeyPattern().Match(page);
        if (!keyMatch.Success)
        {
            throw new InvalidOperationException($"The enrolment page showed {email} no key: {page[..Math.Min(page.Length, 500)]}");
        }
        var key = WebUtility.HtmlDecode(keyMatch.Groups[1].Value).Replace(" ", "", StringComparison.Ordinal);
        var step = TestTotp.StepAt(DateTimeOffset.UtcNow);
        var response = await client.PostAsync("/account/mfa", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "enable",
            ["__RequestVerificationToken"] = AntiforgeryToken(page),
            ["Enable.Code"] = TestTotp.CodeAt(key, step),
        }));
        var html = await response.Content.ReadAsStringAsync();
        var codes = RecoveryCodePattern().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();
        if (codes.Count == 0)
        {
            throw new InvalidOperationException($"Enrolment of {email} showed no recovery codes ({(int)response.StatusCode}).");
        }
        factory.Authenticators.Enrolled(email, key, step, codes);
        return codes;
    }

    private static async Task SecondStepAsync(OpsConsoleFactory factory, HttpClient client, CookieContainer cookies, string email, string url)
    {
        if (factory.Authenticators.KeyOf(email) is null)
        {
            throw new InvalidOperationException($"{email} has an authenticator these tests did not enrol, so no code can be made for it.");
        }
        var page = await client.GetStringAsync(url);
        var response = await client.PostAsync(url, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "second-step",
            ["__RequestVerificationToken"] = AntiforgeryToken(page),
            ["Input.Code"] = await factory.Authenticators.NextCodeAsync(email),
            ["Input.RememberBrowser"] = "true",
        }));
        await ExpectRedirectAsync(response, email);
        factory.Authenticators.Remember(email, cookies.GetCookies(Localhost)["opsconsole.mfa-remember"]);
    }

    public static string AntiforgeryToken(string html)
    {
        var m = TokenPattern().Match(html);
        return m.Success ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException("No antiforgery token on the page.");
    }

    /// <summary>Signs in (second step included) and returns the Cookie header a non-browser client (a SignalR connection) sends.</summary>
    public static async Task<string> CookieHeaderAsync(OpsConsoleFactory factory, string email, string password = TestUsers.Password)
    {
        var (client, cookies) = await SignedInAsync(factory, email, password);
        client.Dispose();
        var auth = cookies.GetCookies(Localhost).Where(c => c.Name.StartsWith("opsconsole.auth", StringComparison.Ordinal)).Select(c => $"{c.Name}={c.Value}").ToList();
        return auth.Count > 0 ? string.Join("; ", auth) : throw new InvalidOperationException($"Sign-in of {email} set no auth cookie.");
    }

    /// <summary>The same through a client of one's own (a console on a real socket); it must not follow redirects or keep cookies. Password step only: for users without a second factor.</summary>
    public static async Task<string> CookieHeaderAsync(HttpClient client, string email, string password = TestUsers.Password)
    {
        var form = await client.GetAsync("/account/login");
        var cookies = Cookies(form);
        var request = new HttpRequestMessage(HttpMethod.Post, "/account/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "login",
                ["__RequestVerificationToken"] = AntiforgeryToken(await form.Content.ReadAsStringAsync()),
                ["Input.Email"] = email,
                ["Input.Password"] = password,
            }),
        };
        request.Headers.Add("Cookie", string.Join("; ", cookies));
        var response = await client.SendAsync(request);
        var auth = Cookies(response).Where(c => c.StartsWith("opsconsole.auth", StringComparison.Ordinal)).ToList();
        if (auth.Count == 0)
        {
            throw new InvalidOperationException($"Sign-in of {email} set no auth cookie ({(int)response.StatusCode}).");
        }
        return string.Join("; ", auth);
    }

    private static IEnumerable<string> Cookies(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values.Select(v => v.Split(';')[0]) : [];
}
