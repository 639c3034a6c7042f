using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Search;
using OpsConsole.Web.Infrastructure.Security;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Tests.Features.Search;

/// <summary>The app bar's search: what it finds, and that it finds only what the person may see.</summary>
[Trait("Category", "Integration")]
public sealed class SearchTests : IntegrationTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SearchService Search => Factory.Services.GetRequiredService<SearchService>();

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var triage = Ingest.Event("evt-search-1", path: "ticket-triage");
        triage["traceId"] = "4bf92f3577b34da6a3ce929d0e0e4736";
        triage["unit"] = "ticket-88123";
        var draft = Ingest.Event("evt-search-2");
        draft["unit"] = "ticket-88123";
        await Ingest.PostOkAsync(Factory.CreateClient(), Ingest.Batch(triage, draft));
    }

    [Fact]
    public async Task Search_EventIdTraceIdOrUnit_FindsTheEventsAndSaysWhichMatched()
    {
        var admin = Principals.Admin("admin");

        var byId = await Search.SearchAsync(admin, "evt-search-1", Ct);
        var byTrace = await Search.SearchAsync(admin, "4bf92f3577b34da6a3ce929d0e0e4736", Ct);
        var byUnit = await Search.SearchAsync(admin, " ticket-88123 ", Ct);

        Assert.Equal(("ticket-triage", "event id"), (Assert.Single(byId.Events).PathSlug, byId.Events[0].MatchedOn));
        Assert.Equal(("evt-search-1", "trace id"), (Assert.Single(byTrace.Events).EventId, byTrace.Events[0].MatchedOn));
        Assert.Equal(["evt-search-1", "evt-search-2"], byUnit.Events.Select(e => e.EventId).Order());
        Assert.All(byUnit.Events, e => Assert.Equal("unit", e.MatchedOn));
    }

    [Fact]
    public async Task Search_PathNameAndIncidentTitleOrNumber_Found()
    {
        var pathId = await Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == "ticket-triage").Select(p => p.Id).SingleAsync(Ct));
        var opened = await Factory.Services.GetRequiredService<OpsConsole.Web.Features.Incidents.IncidentService>()
            .OpenAsync("ticket-triage", "Triage routes billing tickets to sales", "SEV2", Principals.Admin("admin"), Ct);
        Assert.Null(opened.Error);
        var incidentId = opened.Value;
        var admin = Principals.Admin("admin");

        var paths = await Search.SearchAsync(admin, "Triage", Ct);
        var byTitle = await Search.SearchAsync(admin, "billing tickets", Ct);
        var byNumber = await Search.SearchAsync(admin, "#" + incidentId, Ct);

        Assert.Contains(paths.Paths, p => p.Slug == "ticket-triage");
        Assert.Equal("ticket-triage", Assert.Single(byTitle.Incidents).PathSlug);
        Assert.Equal(incidentId, Assert.Single(byNumber.Incidents).Id);
        Assert.True(pathId > 0);
    }

    [Theory]
    [InlineData("%")]
    [InlineData("_")]
    [InlineData("")]
    [InlineData("   ")]
    public async Task Search_WildcardsOrNothing_MatchNothingByAccident(string query)
    {
        var results = await Search.SearchAsync(Principals.Admin("admin"), query, Ct);
        Assert.Empty(results.Incidents);
        Assert.Empty(results.Events);
    }

    [Fact]
    public async Task Search_HugeQuery_EmptyNotAnError()
    {
        var results = await Search.SearchAsync(Principals.Admin("admin"), new string('x', 100_000), Ct);
        Assert.True(results.IsEmpty);
    }

    [Fact]
    public async Task Search_ReviewerNotOnThePath_FindsNothingOfIt()
    {
        // A reviewer sees only the paths assigned to them: take ticket-triage's reviewers away.
        var reviewerId = await Db.QueryAsync(Factory, db => db.Users.Where(u => u.Email == TestUsers.Reviewer).Select(u => u.Id).SingleAsync(Ct));
        await Db.ExecuteAsync(Factory, $"DELETE FROM PathMembers WHERE UserId = '{reviewerId}' AND PathId = (SELECT Id FROM Paths WHERE Slug = 'ticket-triage')");
        await Db.ExecuteAsync(Factory, $"UPDATE Paths SET OnCallUserId = NULL WHERE Slug = 'ticket-triage' AND OnCallUserId = '{reviewerId}'");
        var reviewer = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
            [new(System.Security.Claims.ClaimTypes.NameIdentifier, reviewerId), new(System.Security.Claims.ClaimTypes.Role, AppRoles.Reviewer)], "test"));

        var hidden = await Search.SearchAsync(reviewer, "4bf92f3577b34da6a3ce929d0e0e4736", Ct);
        var shared = await Search.SearchAsync(reviewer, "ticket-88123", Ct);
        var paths = await Search.SearchAsync(reviewer, "ticket-triage", Ct);

        Assert.Empty(hidden.Events);
        Assert.Equal("evt-search-2", Assert.Single(shared.Events).EventId);
        Assert.Empty(paths.Paths);
    }

    [Fact]
    public async Task SearchPage_SignedIn_ShowsGroupedResultsWithLinks()
    {
        var viewer = await SignIn.AsAsync(Factory, TestUsers.Viewer);

        using var page = await viewer.GetAsync("/search?q=ticket-88123", Ct);
        var html = await page.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("data-testid=\"search-events\"", html);
        Assert.Contains("evt-search-1", html);
        Assert.Contains("/paths/ticket-triage/events/", html);
    }
}
