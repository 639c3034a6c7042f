using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Realtime;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Tests.Features.Review;

[Trait("Category", "Integration")]
public sealed class LabelsAndHubTests : IntegrationTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private ReviewQueueService Queue => Factory.Services.GetRequiredService<ReviewQueueService>();

    private async Task<List<long>> NewItemsAsync(int count, string path = "support-reply-draft")
    {
        var ids = Enumerable.Range(0, count).Select(_ => "lb-" + Guid.NewGuid().ToString("N")).ToArray();
        await Ingest.PostOkAsync(Factory.CreateClient(), Ingest.Batch(ids.Select(i => (System.Text.Json.Nodes.JsonNode)Ingest.Event(i, path: path, confidence: 0.1)).ToArray()));
        return await Db.QueryAsync(Factory, db => db.ReviewItems.Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => new { r.Id, e.EventId })
            .Where(x => ids.Contains(x.EventId)).Select(x => x.Id).ToListAsync(Ct));
    }

    private async Task DecideAsync(long item, string who = "alice")
    {
        Assert.True((await Queue.ClaimAsync(item, Principals.Admin(who), Ct)).Succeeded);
        Assert.True((await Queue.DecideAsync(item, new DecisionInput(ReviewDecision.Approve), Principals.Admin(who), Ct)).Succeeded);
    }

    private static async Task<(List<string> Lines, string? Next)> PageAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync("/api/v1/paths/support-reply-draft/labels" + query, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(Ct);
        var next = response.Headers.TryGetValues("X-Next-Cursor", out var v) ? v.Single() : null;
        return (body.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList(), next);
    }

    [Fact]
    public async Task Labels_PagedWhileNewOnesAreWritten_EveryLabelExactlyOnce()
    {
        var items = await NewItemsAsync(60);
        foreach (var item in items.Take(25))
        {
            await DecideAsync(item);
        }
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", Ingest.DemoKey);

        var writing = Task.Run(async () =>
        {
            foreach (var item in items.Skip(25))
            {
                await DecideAsync(item, "bob");
            }
        }, Ct);
        var seen = new List<long>();
        string? cursor = null;
        // Page until the writer is done and a page comes back empty. Bounded by time, not by a count of
        // pages: a count ran out while a slow writer was still deciding, and the labels it wrote after
        // that were never paged (CI, 2026-12-02). A bug still cannot hang the run.
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            var (lines, next) = await PageAsync(client, $"?limit=7{(cursor is null ? "" : "&after=" + cursor)}");
            if (lines.Count == 0)
            {
                await Task.Delay(5, Ct);
            }
            seen.AddRange(lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("labelId").GetInt64()));
            cursor = next ?? (seen.Count > 0 ? seen[^1].ToString() : null);
            if (next is null && writing.IsCompleted)
            {
                var (rest, _) = await PageAsync(client, $"?limit=7{(cursor is null ? "" : "&after=" + cursor)}");
                if (rest.Count == 0)
                {
                    break;
                }
            }
        }
        await writing;
        Assert.Equal(seen.Count, seen.Distinct().Count());
        var all = await Db.QueryAsync(Factory, db => db.Labels.Where(l => items.Contains(l.ReviewItemId)).Select(l => l.Id).ToListAsync(Ct));
        Assert.Equal(60, all.Count);
        Assert.Subset(seen.ToHashSet(), all.ToHashSet());
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First < p.Second), "labels come in id order");
    }

    [Fact]
    public async Task Reopen_DecidedAgain_NewLabelSupersedesOldAndBothKept()
    {
        var item = (await NewItemsAsync(1)).Single();
        await DecideAsync(item, "alice");
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);

        Assert.True((await Queue.ReopenAsync(item, owner, Ct)).Succeeded);
        Assert.Equal(ReviewStatuses.Pending, await Db.QueryAsync(Factory, db => db.ReviewItems.Where(r => r.Id == item).Select(r => r.Status).SingleAsync(Ct)));
        Assert.True((await Queue.ClaimAsync(item, Principals.Admin("bob"), Ct)).Succeeded);
        Assert.True((await Queue.DecideAsync(item, new DecisionInput(ReviewDecision.Reject, null, ["hallucination"]), Principals.Admin("bob"), Ct)).Succeeded);

        var labels = await Db.QueryAsync(Factory, db => db.Labels.Where(l => l.ReviewItemId == item).OrderBy(l => l.Id).ToListAsync(Ct));
        Assert.Equal(2, labels.Count);
        Assert.Equal(labels[1].Id, labels[0].SupersededByLabelId);
        Assert.Null(labels[1].SupersededByLabelId);
        Assert.Equal(("approved", "rejected"), (labels[0].Decision, labels[1].Decision));
    }

    [Theory]
    [InlineData(TestUsers.Reviewer)]
    [InlineData(TestUsers.Viewer)]
    public async Task Reopen_ByNonOwner_Refused(string email)
    {
        var item = (await NewItemsAsync(1)).Single();
        await DecideAsync(item);
        Assert.False((await Queue.ReopenAsync(item, await Principals.ForAsync(Factory, email), Ct)).Succeeded);
    }

    [Fact]
    public async Task Labels_KeyWithoutLabelsScope_403AndCsvNeutralisesFormulas()
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var writeOnly = await Factory.Services.GetRequiredService<ApiKeyService>().CreateAsync(
            new ApiKeyInput { Name = "writer", PathSlugs = ["support-reply-draft"] }, admin, Ct);
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", writeOnly.Value!.Secret);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/paths/support-reply-draft/labels", Ct)).StatusCode);

        var item = (await NewItemsAsync(1)).Single();
        Assert.True((await Queue.ClaimAsync(item, Principals.Admin("alice"), Ct)).Succeeded);
        Assert.True((await Queue.DecideAsync(item, new DecisionInput(ReviewDecision.Correct, "=HYPERLINK(\"http://evil\")"), Principals.Admin("alice"), Ct)).Succeeded);
        var owner = await SignIn.AsAsync(Factory, TestUsers.Owner);
        var csv = await owner.GetStringAsync("/api/v1/paths/support-reply-draft/labels?format=csv&all=true", Ct);
        Assert.StartsWith("label_id,event_id,path,decision", csv);
        Assert.Contains("\"'=HYPERLINK(\"\"http://evil\"\")\"", csv);
    }

    private HubConnection Connect(string cookie) => new HubConnectionBuilder()
        .WithUrl(new Uri(Factory.Server.BaseAddress, OpsHub.Path), o =>
        {
            o.Transports = HttpTransportType.LongPolling;
            o.HttpMessageHandlerFactory = _ => Factory.Server.CreateHandler();
            o.Headers["Cookie"] = cookie;
        })
        .Build();

    [Fact]
    public async Task Hub_AssignedReviewerJoinsAndGetsNewItems_OthersRefused()
    {
        await using var reviewer = Connect(await SignIn.CookieHeaderAsync(Factory, TestUsers.Reviewer));
        var received = new ConcurrentQueue<ReviewChange>();
        reviewer.On<IReadOnlyList<ReviewChange>>(nameof(IOpsClient.ReviewChanged), changes =>
        {
            foreach (var c in changes)
            {
                received.Enqueue(c);
            }
        });
        await reviewer.StartAsync(Ct);
        Assert.True(await reviewer.InvokeAsync<bool>(nameof(OpsHub.JoinReview), "support-reply-draft", Ct));

        await using var viewer = Connect(await SignIn.CookieHeaderAsync(Factory, TestUsers.Viewer));
        await viewer.StartAsync(Ct);
        Assert.False(await viewer.InvokeAsync<bool>(nameof(OpsHub.JoinReview), "support-reply-draft", Ct));
        Assert.False(await viewer.InvokeAsync<bool>(nameof(OpsHub.JoinReview), "no-such-path", Ct));

        var item = (await NewItemsAsync(1)).Single();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!received.Any(c => c.ItemId == item && c.Kind == ReviewChange.Added) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Ct);
        }
        Assert.Contains(received, c => c.ItemId == item && c.Kind == ReviewChange.Added);
    }

    [Fact]
    public async Task Hub_Anonymous_CannotConnect()
    {
        await using var anonymous = Connect("");
        await Assert.ThrowsAnyAsync<Exception>(() => anonymous.StartAsync(Ct));
    }
}
