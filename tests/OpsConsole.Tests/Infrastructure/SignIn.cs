using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace OpsConsole.Tests.Infrastructure;

/// <summary>Signs in through the real sign-in form (antiforgery token included), as a browser does.</summary>
public static partial class SignIn
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

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

    public static async Task<HttpClient> AsAsync(OpsConsoleFactory factory, string email, string password = TestUsers.Password)
    {
        var client = Anonymous(factory);
        var response = await PostLoginAsync(client, email, password);
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            var body = await response.Content.ReadAsStringAsync();
            throw new InvalidOperationException($"Sign-in of {email} failed with {(int)response.StatusCode}: {body[..Math.Min(body.Length, 500)]}");
        }
        return client;
    }

    public static string AntiforgeryToken(string html)
    {
        var m = TokenPattern().Match(html);
        return m.Success ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException("No antiforgery token on the page.");
    }

    /// <summary>Signs in and returns the Cookie header a non-browser client (a SignalR connection) sends.</summary>
    public static Task<string> CookieHeaderAsync(OpsConsoleFactory factory, string email, string password = TestUsers.Password) =>
        CookieHeaderAsync(factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false }), email, password);

    /// <summary>The same through a client of one's own (a console on a real socket); it must not follow redirects or keep cookies.</summary>
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
