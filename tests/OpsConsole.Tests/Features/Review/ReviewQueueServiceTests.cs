using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Notifications;
using OpsConsole.Web.Features.Reviewers;
using OpsConsole.Web.Infrastructure;

namespace OpsConsole.Tests.Features.Review;

/// <summary>The app with a clock the test moves: lease expiry without waiting.</summary>
[Trait("Category", "Integration")]
public sealed class FakeClockFactory(string? existingDatabase) : OpsConsoleFactory(existingDatabase)
{
    public FakeClockFactory()
        : this(null)
    {
    }

    // Whole seconds: PostgreSQL keeps microseconds, and tests compare the times they read back with the clock's.
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

    protected override void ConfigureTestServices(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock));
}

[Trait("Category", "Integration")]
public sealed class ReviewQueueServiceTests : IAsyncLifetime
{
    private readonly FakeClockFactory _factory = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private ReviewQueueService Queue => _factory.Services.GetRequiredService<ReviewQueueService>();

    public ValueTask InitializeAsync()
    {
        _factory.CreateClient().Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private async Task<long> NewItemAsync(string path = "support-reply-draft")
    {
        var id = "rv-" + Guid.NewGuid().ToString("N");
        var e = Ingest.Event(id, path: path, confidence: 0.1, output: "Original draft");
        e["occurredAt"] = _factory.Clock.GetUtcNow().UtcDateTime.AddSeconds(-5).ToString("O");
        Assert.Equal(1, (await Ingest.PostOkAsync(_factory.CreateClient(), Ingest.Batch(e))).Accepted);
        return await Db.QueryAsync(_factory, db => db.ReviewItems
            .Join(db.InferenceEvents, r => r.EventRowId, ev => ev.Id, (r, ev) => new { r.Id, ev.EventId })
            .Where(x => x.EventId == id).Select(x => x.Id).SingleAsync(Ct));
    }

    [Fact]
    public async Task Claim_TwentyParallelClaimers_ExactlyOneWins()
    {
        var item = await NewItemAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => Queue.ClaimAsync(item, Principals.Admin("r" + i), Ct), Ct)));

        Assert.Single(results, r => r.Succeeded);
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.StartsWith("Claimed by r", r.Error));
        var holder = await Db.QueryAsync(_factory, db => db.ReviewItems.Where(r => r.Id == item).Select(r => r.ClaimedByName).SingleAsync(Ct));
        Assert.Contains(holder, results.Select((r, i) => r.Succeeded ? "r" + i : null));
    }

    [Fact]
    public async Task Decide_TwentyParallelDeciders_ExactlyOneDecisionAndLabel()
    {
        var item = await NewItemAsync();
        var holder = Principals.Admin("holder");
        Assert.True((await Queue.ClaimAsync(item, holder, Ct)).Succeeded);
        var deciders = Enumerable.Range(0, 19).Select(i => Principals.Admin("d" + i)).Append(holder).ToArray();

        var results = await Task.WhenAll(deciders.Select(d => Task.Run(() => Queue.DecideAsync(item, new DecisionInput(ReviewDecision.Approve), d, Ct), Ct)));

        Assert.Single(results, r => r.Succeeded);
        Assert.Equal(1, await Db.QueryAsync(_factory, db => db.Labels.CountAsync(l => l.ReviewItemId == item, Ct)));
        var label = await Db.QueryAsync(_factory, db => db.Labels.SingleAsync(l => l.ReviewItemId == item, Ct));
        Assert.Equal(("approved", "holder", "Original draft", "low_confidence"), (label.Decision, label.ReviewerName, label.OriginalOutput, label.ReviewReason));
    }

    [Fact]
    public async Task Lease_Expired_ItemFreeAgainAndOldHolderRefused()
    {
        var item = await NewItemAsync();
        var (a, b) = (Principals.Admin("alice"), Principals.Admin("bob"));
        Assert.True((await Queue.ClaimAsync(item, a, Ct)).Succeeded);
        Assert.StartsWith("Claimed by alice until", (await Queue.ClaimAsync(item, b, Ct)).Error);

        _factory.Clock.Advance(ReviewQueueService.Lease + TimeSpan.FromSeconds(1));

        Assert.True((await Queue.ClaimAsync(item, b, Ct)).Succeeded);
        var late = await Queue.DecideAsync(item, new DecisionInput(ReviewDecision.Approve), a, Ct);
        Assert.StartsWith("Claimed by bob until", late.Error);
    }

    [Fact]
    public async Task Lease_RenewedWhileWorking_StaysWithHolder()
    {
        var item = await NewItemAsync();
        var (a, b) = (Principals.Admin("alice"), Principals.Admin("bob"));
        Assert.True((await Queue.ClaimAsync(item, a, Ct)).Succeeded);
        _factory.Clock.Advance(TimeSpan.FromMinutes(4));
        Assert.True((await Queue.RenewAsync(item, a, Ct)).Succeeded);
        _factory.Clock.Advance(TimeSpan.FromMinutes(4));

        Assert.False((await Queue.ClaimAsync(item, b, Ct)).Succeeded);
        Assert.True((await Queue.DecideAsync(item, new DecisionInput(ReviewDecision.Approve), a, Ct)).Succeeded);
    }

    [Fact]
    public async Task Release_ItemBackInQueue()
    {
        var item = await NewItemAsync();
        await Queue.ClaimAsync(item, Principals.Admin("alice"), Ct);
        await Queue.ReleaseAsync(item, Principals.Admin("alice"), Ct);
        Assert.True((await Queue.ClaimAsync(item, Principals.Admin("bob"), Ct)).Succeeded);
    }

    [Fact]
    public async Task Decide_AfterSomeoneElseDecided_SaysWhoAndWhen()
    {
        var item = await NewItemAsync();
        await Queue.ClaimAsync(item, Principals.Admin("alice"), Ct);
        Assert.True((await Queue.DecideAsync(item, new DecisionInput(ReviewDecision.Approve), Principals.Admin("alice"), Ct)).Succeeded);

        Assert.StartsWith("Already approved by alice at", (await Queue.ClaimAsync(item, Principals.Admin("bob"), Ct)).Error);
        Assert.StartsWith("Already approved by alice at", (await Queue.DecideAsync(item, new DecisionInput(ReviewDecision.Approve), Principals.Admin("bob"), Ct)).Error);
    }

    [Fact]
    public async Task Decide_WithoutClaim_Refused()
    {
        var item = await NewItemAsync();
        var result = await Queue.DecideAsync(item, new DecisionInput(ReviewDecision.Approve), Principals.Admin("alice"), Ct);
        Assert.False(result.Succeeded);
        Assert.Equal(0, await Db.QueryAsync(_factory, db => db.Labels.CountAsync(l => l.ReviewItemId == item, Ct)));
    }

    [Theory]
    [InlineData(ReviewDecision.Reject, null, null, "Choose at least one reason tag")]
    [InlineData(ReviewDecision.Reject, null, "made-up-tag", "'made-up-tag' is not one of this path's reason tags")]
    [InlineData(ReviewDecision.Correct, "", null, "A correction needs the corrected output.")]
    [InlineData(ReviewDecision.Correct, "Original draft", null, "The corrected output is the same as the original")]
    public async Task Decide_InvalidDecision_RefusedAndClaimKept(ReviewDecision decision, string? corrected, string? tag, string message)
    {
        var item = await NewItemAsync();
        var a = Principals.Admin("alice");
        await Queue.ClaimAsync(item, a, Ct);
        var result = await Queue.DecideAsync(item, new DecisionInput(decision, corrected, tag is null ? null : [tag]), a, Ct);
        Assert.StartsWith(message, result.Error);
        Assert.Equal(ReviewStatuses.Claimed, await Db.QueryAsync(_factory, db => db.ReviewItems.Where(r => r.Id == item).Select(r => r.Status).SingleAsync(Ct)));
    }

    [Fact]
    public async Task Decide_CorrectAndReject_LabelsCarryTheDetail()
    {
        var (one, two) = (await NewItemAsync(), await NewItemAsync());
        var a = Principals.Admin("alice");
        await Queue.ClaimAsync(one, a, Ct);
        await Queue.ClaimAsync(two, a, Ct);
        Assert.True((await Queue.DecideAsync(one, new DecisionInput(ReviewDecision.Correct, "Better draft"), a, Ct)).Succeeded);
        Assert.True((await Queue.DecideAsync(two, new DecisionInput(ReviewDecision.Reject, null, ["hallucination", "wrong-tone"], "Invents a refund policy."), a, Ct)).Succeeded);

        var labels = await Db.QueryAsync(_factory, db => db.Labels.Where(l => l.ReviewItemId == one || l.ReviewItemId == two).OrderBy(l => l.Id).ToListAsync(Ct));
        Assert.Equal(("corrected", "Original draft", "Better draft"), (labels[0].Decision, labels[0].OriginalOutput, labels[0].CorrectedOutput));
        Assert.Equal(("rejected", "Invents a refund policy."), (labels[1].Decision, labels[1].Note));
        Assert.Equal(["hallucination", "wrong-tone"], labels[1].ReasonTags);
        Assert.Equal("review.decide", (await Db.QueryAsync(_factory, db => db.AuditEntries.OrderByDescending(e => e.Id).FirstAsync(Ct))).Action);
    }

    [Fact]
    public async Task Claim_ReviewerNotAssignedToPath_Refused()
    {
        var admin = await Principals.ForAsync(_factory, TestUsers.Admin);
        var created = await _factory.Services.GetRequiredService<PathService>().CreateAsync(new PathInput
        {
            Slug = "unreviewed",
            Name = "Unreviewed",
            OwnerIds = [await Principals.IdOfAsync(_factory, TestUsers.Owner2)],
        }, admin, Ct);
        Assert.True(created.Succeeded);
        var key = await _factory.Services.GetRequiredService<ApiKeyService>().CreateAsync(new ApiKeyInput { Name = "all", AllPaths = true }, admin, Ct);
        var e = Ingest.Event("unassigned-1", path: "unreviewed", confidence: 0.1);
        e["occurredAt"] = _factory.Clock.GetUtcNow().UtcDateTime.AddSeconds(-5).ToString("O");
        await Ingest.PostOkAsync(_factory.CreateClient(), Ingest.Batch(e), key.Value!.Secret);
        var item = await Db.QueryAsync(_factory, db => db.ReviewItems.Join(db.InferenceEvents, r => r.EventRowId, ev => ev.Id, (r, ev) => new { r.Id, ev.EventId })
            .Where(x => x.EventId == "unassigned-1").Select(x => x.Id).SingleAsync(Ct));

        foreach (var email in new[] { TestUsers.Reviewer, TestUsers.Owner, TestUsers.Viewer, TestUsers.OnCall })
        {
            var user = await Principals.ForAsync(_factory, email);
            Assert.False((await Queue.ClaimAsync(item, user, Ct)).Succeeded, email);
            Assert.False((await Queue.DecideAsync(item, new DecisionInput(ReviewDecision.Approve), user, Ct)).Succeeded, email);
        }
        Assert.True((await Queue.ClaimAsync(item, await Principals.ForAsync(_factory, TestUsers.Owner2), Ct)).Succeeded);
    }

    [Fact]
    public async Task ClaimNext_TwelveReviewersAtOnce_EachGetsADifferentItem()
    {
        // Twelve people press "n" in the same moment (on one or several consoles): nobody is told
        // "try again" while free items are left, and no item is handed to two of them.
        var at = _factory.Clock.GetUtcNow().UtcDateTime.AddSeconds(-5).ToString("O");
        await Ingest.PostOkAsync(_factory.CreateClient(), Ingest.Batch([.. Enumerable.Range(0, 30).Select(i =>
        {
            var e = Ingest.Event($"next-{i:00}-{Guid.NewGuid():N}", confidence: 0.05);
            e["occurredAt"] = at;
            return e;
        })]));
        var queries = _factory.Services.GetRequiredService<ReviewQueries>();
        using var start = new ManualResetEventSlim();

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(async () =>
        {
            start.Wait(Ct);
            return await Queue.ClaimNextAsync(queries, Principals.Admin($"reviewer-{i}"), null, Ct);
        })).Append(Task.Run(() =>
        {
            start.Set();
            return CommandResult<long>.Ok(-1);
        })));

        Assert.All(results, r => Assert.True(r.Succeeded, r.Error));
        var claimed = results.Select(r => r.Value).Where(v => v > 0).ToList();
        Assert.Equal(12, claimed.Count);
        Assert.Equal(12, claimed.Distinct().Count());
    }

    [Fact]
    public async Task ClaimNext_TopTwoHundredHeldByOthers_ClaimsTheFreeItemBelowThem()
    {
        var at = _factory.Clock.GetUtcNow().UtcDateTime.AddSeconds(-5).ToString("O");
        var events = Enumerable.Range(0, ReviewQueries.PageSize).Select(i => Ingest.Event($"held-{i}-{Guid.NewGuid():N}", confidence: 0.05))
            .Append(Ingest.Event("free-below", confidence: 0.5)).Select(e =>
            {
                e["occurredAt"] = at;
                return e;
            }).ToArray();
        await Ingest.PostOkAsync(_factory.CreateClient(), Ingest.Batch(events));
        var until = _factory.Clock.GetUtcNow().UtcDateTime.AddMinutes(5).ToString("yyyy-MM-dd HH:mm:ss");
        await Db.ExecuteAsync(_factory, $"UPDATE ReviewItems SET Status = 'claimed', ClaimedById = 'id-colleague', ClaimedByName = 'colleague', ClaimUntil = '{until}' "
            + "WHERE EventRowId IN (SELECT Id FROM InferenceEvents WHERE EventId LIKE 'held-%')");
        var free = await Db.QueryAsync(_factory, db => db.ReviewItems.Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => new { r.Id, e.EventId })
            .Where(x => x.EventId == "free-below").Select(x => x.Id).SingleAsync(Ct));

        var result = await Queue.ClaimNextAsync(_factory.Services.GetRequiredService<ReviewQueries>(), Principals.Admin("bob"), null, Ct);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(free, result.Value);
    }

    [Fact]
    public async Task OpenItems_PagedInEachOrder_EveryItemOnceAndTheTotal()
    {
        var at = _factory.Clock.GetUtcNow().UtcDateTime;
        var events = Enumerable.Range(0, 450).Select(i =>
        {
            var e = Ingest.Event($"page-{i:000}", confidence: i % 7 / 10.0);
            e["occurredAt"] = at.AddSeconds(-5).ToString("O");
            return e;
        }).ToArray();
        await Ingest.PostOkAsync(_factory.CreateClient(), Ingest.Batch(events));
        var queries = _factory.Services.GetRequiredService<ReviewQueries>();
        var admin = Principals.Admin("alice");

        foreach (var sort in Enum.GetValues<QueueSort>())
        {
            var seen = new List<long>();
            for (var offset = 0; offset < 450; offset += ReviewQueries.PageSize)
            {
                var page = await queries.OpenItemsAsync(admin, new QueueFilter(Sort: sort), offset, Ct);
                Assert.Equal((450, offset), (page.Total, page.Offset));
                seen.AddRange(page.Rows.Select(r => r.Id));
            }
            Assert.Equal(450, seen.Distinct().Count());
        }
        var last = await queries.OpenItemsAsync(admin, new QueueFilter(), 10_000, Ct);
        Assert.Equal((400, 50), (last.Offset, last.Rows.Count));
    }

    [Fact]
    public async Task SlaJob_PastDueItem_OnCallToldOnceAndQueueFlagsIt()
    {
        var item = await NewItemAsync();
        var job = _factory.Services.GetRequiredService<ReviewSlaJob>();
        Assert.Equal(0, await job.RunAsync(Ct)); // not due yet: support-reply-draft's SLA is 60 minutes

        _factory.Clock.Advance(TimeSpan.FromMinutes(61));
        var told = await job.RunAsync(Ct);
        var again = await job.RunAsync(Ct);

        Assert.True(told >= 1);
        Assert.Equal(0, again);
        var onCall = await Principals.IdOfAsync(_factory, TestUsers.OnCall);
        var notes = await Db.QueryAsync(_factory, db => db.Notifications.Where(n => n.UserId == onCall && n.Kind == "review-sla").ToListAsync(Ct));
        Assert.Single(notes);
        Assert.Contains("past due on support-reply-draft", notes[0].Title);
        var row = (await _factory.Services.GetRequiredService<ReviewQueries>().OpenItemsAsync(Principals.Admin("alice"), new QueueFilter(), 0, Ct)).Rows.Single(r => r.Id == item);
        Assert.True(row.IsOverdue(_factory.Clock.GetUtcNow().UtcDateTime));
    }

    [Fact]
    public async Task Stats_PerReviewer_SharesMedianAndVisibility()
    {
        var (one, two, three) = (await NewItemAsync(), await NewItemAsync(), await NewItemAsync());
        var alice = Principals.Admin("alice");
        await Queue.ClaimAsync(one, alice, Ct);
        _factory.Clock.Advance(TimeSpan.FromSeconds(30));
        await Queue.DecideAsync(one, new DecisionInput(ReviewDecision.Approve), alice, Ct);
        await Queue.ClaimAsync(two, alice, Ct);
        _factory.Clock.Advance(TimeSpan.FromSeconds(90));
        await Queue.DecideAsync(two, new DecisionInput(ReviewDecision.Reject, null, ["wrong-tone"]), alice, Ct);
        var reviewer = await Principals.ForAsync(_factory, TestUsers.Reviewer);
        await Queue.ClaimAsync(three, reviewer, Ct);
        Assert.True((await Queue.DecideAsync(three, new DecisionInput(ReviewDecision.Approve), reviewer, Ct)).Succeeded);

        var stats = _factory.Services.GetRequiredService<ReviewerStats>();
        var all = await stats.ComputeAsync(Principals.Admin("boss"), 7, Ct);
        var a = all.Single(r => r.Reviewer == "alice");
        Assert.Equal((2, 0.5, 0.5, TimeSpan.FromSeconds(60)), (a.Decisions, a.ApproveShare, a.RejectShare, a.MedianTimeToDecision));

        var own = await stats.ComputeAsync(reviewer, 7, Ct);
        Assert.Equal([TestUsers.Reviewer], own.Select(r => r.Reviewer));
    }

    [Fact]
    public async Task DoubleReview_ItemStaysUntilTwoDifferentReviewersDecided_AgreementComputed()
    {
        await Db.ExecuteAsync(_factory, "UPDATE Paths SET ReviewersPerItem = 2 WHERE Slug = 'support-reply-draft'");
        var (agreed, split) = (await NewItemAsync(), await NewItemAsync());
        var (alice, bob) = (Principals.Admin("alice"), Principals.Admin("bob"));

        await Queue.ClaimAsync(agreed, alice, Ct);
        Assert.True((await Queue.DecideAsync(agreed, new DecisionInput(ReviewDecision.Approve), alice, Ct)).Succeeded);
        // Back in the queue for someone else; alice cannot take it again.
        Assert.Equal(ReviewStatuses.Pending, await Db.QueryAsync(_factory, db => db.ReviewItems.Where(r => r.Id == agreed).Select(r => r.Status).SingleAsync(Ct)));
        Assert.StartsWith("You already decided this item", (await Queue.ClaimAsync(agreed, alice, Ct)).Error);
        await Queue.ClaimAsync(agreed, bob, Ct);
        Assert.True((await Queue.DecideAsync(agreed, new DecisionInput(ReviewDecision.Approve), bob, Ct)).Succeeded);

        await Queue.ClaimAsync(split, alice, Ct);
        await Queue.DecideAsync(split, new DecisionInput(ReviewDecision.Approve), alice, Ct);
        await Queue.ClaimAsync(split, bob, Ct);
        await Queue.DecideAsync(split, new DecisionInput(ReviewDecision.Reject, null, ["hallucination"]), bob, Ct);

        var items = await Db.QueryAsync(_factory, db => db.ReviewItems.Where(r => r.Id == agreed || r.Id == split).ToDictionaryAsync(r => r.Id, Ct));
        Assert.Equal((ReviewStatuses.Approved, 1.0, 2), (items[agreed].Status, items[agreed].Agreement, items[agreed].DecisionCount));
        Assert.Equal(0.5, items[split].Agreement);
        Assert.Equal(4, await Db.QueryAsync(_factory, db => db.Labels.CountAsync(l => l.ReviewItemId == agreed || l.ReviewItemId == split, Ct)));
        // Final of the split item is bob's reject (tie → latest): alice agreed once of twice, bob twice of twice.
        var stats = await _factory.Services.GetRequiredService<ReviewerStats>().ComputeAsync(Principals.Admin("boss"), 7, Ct);
        Assert.Equal(0.5, stats.Single(r => r.Reviewer == "alice").Agreement);
        Assert.Equal(1.0, stats.Single(r => r.Reviewer == "bob").Agreement);
    }
}
