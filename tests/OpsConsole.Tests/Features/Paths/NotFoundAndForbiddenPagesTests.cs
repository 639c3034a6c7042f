using System.Net;
using System.Net.Http.Headers;
using OpsConsole.Tests.Infrastructure;

namespace OpsConsole.Tests.Features.Paths;

/// <summary>What a person gets at a wrong address or behind a wall: a real 404, and a 403 page inside the app.</summary>
[Trait("Category", "Integration")]
public sealed class NotFoundAndForbiddenPagesTests : IntegrationTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/paths/nope")]
    [InlineData("/paths/nope/dashboard")]
    [InlineData("/paths/nope/events")]
    [InlineData("/paths/nope/events/1")]
    [InlineData("/paths/nope/edit")]
    [InlineData("/paths/nope/quarantine")]
    [InlineData("/paths/nope/drift/1")]
    [InlineData("/paths/ticket-triage/events/999999999")]
    public async Task PathPages_UnknownPathOrItem_404NotFoundPage(string url)
    {
        var admin = await SignIn.AsAsync(Factory, TestUsers.Admin);

        var response = await admin.GetAsync(url, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Page not found", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task PathPage_KnownPath_200()
    {
        var viewer = await SignIn.AsAsync(Factory, TestUsers.Viewer);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/paths/ticket-triage", Ct)).StatusCode);
    }

    [Fact]
    public async Task AccessDeniedPage_SignedIn_403WithTheAppChrome()
    {
        var viewer = await SignIn.AsAsync(Factory, TestUsers.Viewer);
        var redirect = await viewer.GetAsync("/paths/ticket-triage/edit", Ct);

        var page = await viewer.GetAsync(redirect.Headers.Location, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        var html = WebUtility.HtmlDecode(await page.Content.ReadAsStringAsync(Ct));
        Assert.Contains("You do not have access (403)", html);
        // The app bar (who is signed in, sign-out) and the navigation, not a bare page.
        Assert.Contains("data-testid=\"signed-in-user\"", html);
        Assert.Contains("Sign out", html);
        Assert.Contains("mud-drawer", html);
    }

    [Fact]
    public async Task LabelsApi_ViewerInABrowser_SentToThe403Page()
    {
        var viewer = await SignIn.AsAsync(Factory, TestUsers.Viewer);
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/paths/ticket-triage/labels?all=true");
        // What Chromium sends when a link is opened.
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");

        var response = await viewer.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        Assert.StartsWith("/account/access-denied", location);
        Assert.Contains("policy=PathEdit", location);
        var page = await viewer.GetAsync(location, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        var html = WebUtility.HtmlDecode(await page.Content.ReadAsStringAsync(Ct));
        Assert.Contains("/api/v1/paths/ticket-triage/labels?all=true", html);
        Assert.Contains("PathOwner listed as an owner of this path", html);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("*/*")]
    [InlineData(null)]
    public async Task LabelsApi_ViewerAsAnApiClient_403ProblemDetails(string? accept)
    {
        var viewer = await SignIn.AsAsync(Factory, TestUsers.Viewer);
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/paths/ticket-triage/labels");
        if (accept is not null)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        }

        var response = await viewer.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
