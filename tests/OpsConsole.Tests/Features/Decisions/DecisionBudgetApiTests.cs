using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Decisions;

namespace OpsConsole.Tests.Features.Decisions;

/// <summary>
/// Per-key decision budgets through HTTP on the real app: what a service over its budget sees, and
/// that keys without one, or other keys, do not notice. Each test makes keys of its own, so they
/// share one app.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DecisionBudgetApiTests(OpsConsoleFactory factory) : IClassFixture<OpsConsoleFactory>
{
    private const string PathSlug = "invoice-field-extraction";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<HttpClient> ClientWithKeyAsync(int? perMinute)
    {
        var created = await factory.Services.GetRequiredService<ApiKeyService>().CreateAsync(
            new ApiKeyInput
            {
                Name = "svc-" + Guid.NewGuid().ToString("N")[..6],
                Scopes = [ApiScopes.DecisionsRead],
                PathSlugs = [PathSlug],
                DecisionRequestsPerMinute = perMinute,
            },
            await Principals.ForAsync(factory, TestUsers.Admin), Ct);
        Assert.True(created.Succeeded, string.Join("; ", created.Problems.Values));
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Value!.Secret);
        return client;
    }

    private static Task<HttpResponseMessage> DecideAsync(HttpClient client) =>
        client.GetAsync($"/api/v1/paths/{PathSlug}/decision?unit=customer-1", Ct);

    private static async Task AssertBudgetExceededAsync(HttpResponseMessage response, int perMinute)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        // One request comes back every 60/perMinute seconds, so that is the longest wait.
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, Math.Max(1, 60 / perMinute));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(DecisionBudget.ExceededCode, problem.GetProperty("code").GetString());
        Assert.Contains($"{perMinute} decision API requests per minute", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Decision_BudgetFive_FiveAnsweredThen429WithRetryAfterAndCode()
    {
        var client = await ClientWithKeyAsync(5);
        for (var i = 0; i < 5; i++)
        {
            using var ok = await DecideAsync(client);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var refused = await DecideAsync(client);

        await AssertBudgetExceededAsync(refused, 5);
    }

    [Fact]
    public async Task Decision_KeyWithoutBudget_NeverRefused()
    {
        var limited = await ClientWithKeyAsync(1);
        (await DecideAsync(limited)).Dispose();
        using var refused = await DecideAsync(limited);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);

        var unlimited = await ClientWithKeyAsync(null);
        for (var i = 0; i < 50; i++)
        {
            using var ok = await DecideAsync(unlimited);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
    }

    [Fact]
    public async Task DecisionConfigAndOfrep_OneBudget_SharedAcrossTheDialects()
    {
        var client = await ClientWithKeyAsync(3);
        using var decision = await DecideAsync(client);
        using var config = await client.GetAsync("/api/v1/config", Ct);
        using var ofrep = await client.PostAsync($"/ofrep/v1/evaluate/flags/{PathSlug}",
            new StringContent("""{"context":{"targetingKey":"customer-1"}}""", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(new[] { HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK }, new[] { decision.StatusCode, config.StatusCode, ofrep.StatusCode });

        using var refusedOfrep = await client.PostAsync("/ofrep/v1/evaluate/flags",
            new StringContent("""{"context":{"targetingKey":"customer-1"}}""", Encoding.UTF8, "application/json"), Ct);
        using var refusedConfig = await client.GetAsync("/api/v1/config", Ct);

        await AssertBudgetExceededAsync(refusedOfrep, 3);
        await AssertBudgetExceededAsync(refusedConfig, 3);
    }

    [Fact]
    public async Task Decision_FiftyAtOnceWithBudgetTen_ExactlyTenAnswered()
    {
        var client = await ClientWithKeyAsync(10);
        // The first request loads the key into the cache; the rest race on the budget alone.
        (await DecideAsync(client)).Dispose();

        var statuses = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            using var response = await DecideAsync(client);
            return response.StatusCode;
        }));

        Assert.Equal(9, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(41, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task Decision_FiftyAtOnceOnAFreshKey_ExactlyTheBudgetAnswered()
    {
        var client = await ClientWithKeyAsync(10);

        var statuses = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            using var response = await DecideAsync(client);
            return response.StatusCode;
        }));

        Assert.Equal(10, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(40, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
    }
}
