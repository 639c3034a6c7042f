using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Features.Review;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Reviewers;

namespace OpsConsole.Tests.Features.Reviewers;

/// <summary>Agreement from decisions made through the review queue, on the real app and database (both providers).</summary>
[Trait("Category", "Integration")]
public sealed class AgreementQueryTests : IAsyncLifetime
{
    private const string Slug = "support-reply-draft";
    private readonly FakeClockFactory _factory = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private ReviewQueueService Queue => _factory.Services.GetRequiredService<ReviewQueueService>();
    private AgreementQuery Agreement => _factory.Services.GetRequiredService<AgreementQuery>();

    public ValueTask InitializeAsync()
    {
        _factory.CreateClient().Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private async Task<long> NewItemAsync(string path = Slug)
    {
        var id = "ag-" + Guid.NewGuid().ToString("N");
        var e = Ingest.Event(id, path: path, confidence: 0.1, output: "Original draft");
        e["occurredAt"] = _factory.Clock.GetUtcNow().UtcDateTime.AddSeconds(-5).ToString("O");
        Assert.Equal(1, (await Ingest.PostOkAsync(_factory.CreateClient(), Ingest.Batch(e))).Accepted);
        return await Db.QueryAsync(_factory, db => db.ReviewItems
            .Join(db.InferenceEvents, r => r.EventRowId, ev => ev.Id, (r, ev) => new { r.Id, ev.EventId })
            .Where(x => x.EventId == id).Select(x => x.Id).SingleAsync(Ct));
    }

    private async Task DecideAsync(long item, System.Security.Claims.ClaimsPrincipal reviewer, ReviewDecision decision)
    {
        Assert.True((await Queue.ClaimAsync(item, reviewer, Ct)).Succeeded);
        var input = decision switch
        {
            ReviewDecision.Correct => new DecisionInput(decision, "Better draft"),
            ReviewDecision.Reject => new DecisionInput(decision, null, ["hallucination"]),
            _ => new DecisionInput(decision),
        };
        Assert.True((await Queue.DecideAsync(item, input, reviewer, Ct)).Succeeded);
    }

    [Fact]
    public async Task Compute_DoubleReviewedItems_KappaPerPairAndAlphaPerPathAndRelease()
    {
        await Db.ExecuteAsync(_factory, "UPDATE Paths SET ReviewersPerItem = 2 WHERE Slug = 'support-reply-draft'");
        var (alice, bob) = (Principals.Admin("alice"), Principals.Admin("bob"));
        var items = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            items.Add(await NewItemAsync());
        }
        // Decided 40 days before the others: outside the default 30-day window, inside a 90-day one.
        await DecideAsync(items[5], alice, ReviewDecision.Approve);
        await DecideAsync(items[5], bob, ReviewDecision.Reject);
        _factory.Clock.Advance(TimeSpan.FromDays(40));

        (ReviewDecision Alice, ReviewDecision Bob)[] decisions =
        [
            (ReviewDecision.Approve, ReviewDecision.Approve),
            (ReviewDecision.Approve, ReviewDecision.Approve),
            (ReviewDecision.Approve, ReviewDecision.Reject),
            (ReviewDecision.Correct, ReviewDecision.Correct),
        ];
        for (var i = 0; i < decisions.Length; i++)
        {
            await DecideAsync(items[i], alice, decisions[i].Alice);
            await DecideAsync(items[i], bob, decisions[i].Bob);
        }
        // Only one decision so far: nothing to pair it with.
        await DecideAsync(items[4], alice, ReviewDecision.Approve);
        // One item's event named no release: it is α's own group under the path.
        var noRelease = items[3];
        await Db.ExecuteAsync(_factory, $"UPDATE InferenceEvents SET ReleaseId = NULL WHERE Id = (SELECT EventRowId FROM ReviewItems WHERE Id = {noRelease})");
        var release = await Db.QueryAsync(_factory, db => db.ReviewItems.Where(r => r.Id == items[0])
            .Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => e.ReleaseId).SingleAsync(Ct));

        var report = await Agreement.ComputeAsync(Principals.Admin("boss"), ct: Ct);

        // κ by hand: 4 items, 3 agree (p₀ = 3/4). alice approved 3, corrected 1; bob approved 2, rejected 1, corrected 1.
        // pₑ = (3·2 + 1·1)/16 = 7/16. κ = (4·3 − 7)/(16 − 7) = 5/9.
        var pair = Assert.Single(report.Pairs);
        Assert.Equal(("alice", "bob", 4L), (pair.First, pair.Second, pair.Kappa.Items));
        Assert.Equal(5.0 / 9, pair.Kappa.Kappa!.Value, 1e-12);
        Assert.Equal(0.75, pair.Kappa.ObservedAgreement!.Value, 1e-12);
        // α by hand: 4 units, n = 8; approved 5, corrected 2, rejected 1: n² − Σ n_c² = 64 − 30 = 34.
        // One disagreeing unit contributes (4 − 2)/1 = 2. α = 1 − 7·2/34 = 10/17.
        var path = Assert.Single(report.Paths);
        Assert.Equal((Slug, 4L, 8L), (path.PathSlug, path.Alpha.Units, path.Alpha.Values));
        Assert.Equal(10.0 / 17, path.Alpha.Alpha!.Value, 1e-12);
        if (release is null)
        {
            // The demo path has no stable release yet: every event is in the "no release" group.
            Assert.Equal(4L, Assert.Single(path.Releases).Alpha.Units);
        }
        else
        {
            var byRelease = path.Releases.ToDictionary(r => r.ReleaseId ?? "(none)");
            // The release's three items: approved·approved twice, approved·rejected once. n = 6, approved 5,
            // rejected 1: 36 − 26 = 10; α = 1 − 5·2/10 = 0. The corrected·corrected item alone has no variation.
            Assert.Equal((3L, 0.0), (byRelease[release].Alpha.Units, Math.Round(byRelease[release].Alpha.Alpha!.Value, 12)));
            Assert.NotNull(byRelease[release].Model);
            Assert.Equal((1L, AgreementStatistics.NoVariation), (byRelease["(none)"].Alpha.Units, byRelease["(none)"].Alpha.Undefined));
        }

        var wider = await Agreement.ComputeAsync(Principals.Admin("boss"), 90, Ct);
        Assert.Equal((5L, 5L), (wider.Pairs.Single().Kappa.Items, wider.Paths.Single().Alpha.Units));
    }

    [Fact]
    public async Task Compute_ReviewerWhoOwnsNoPath_SeesOnlyPairsTheyAreIn()
    {
        await Db.ExecuteAsync(_factory, "UPDATE Paths SET ReviewersPerItem = 2 WHERE Slug = 'support-reply-draft'");
        var reviewer = await Principals.ForAsync(_factory, TestUsers.Reviewer);
        var (alice, bob) = (Principals.Admin("alice"), Principals.Admin("bob"));
        var (mine, theirs) = (await NewItemAsync(), await NewItemAsync());
        await DecideAsync(mine, alice, ReviewDecision.Approve);
        await DecideAsync(mine, reviewer, ReviewDecision.Approve);
        await DecideAsync(theirs, alice, ReviewDecision.Approve);
        await DecideAsync(theirs, bob, ReviewDecision.Reject);

        var own = await Agreement.ComputeAsync(reviewer, ct: Ct);
        var owner = await Agreement.ComputeAsync(await Principals.ForAsync(_factory, "owner@opsconsole.local"), ct: Ct);

        Assert.Empty(own.Paths);
        var pair = Assert.Single(own.Pairs);
        Assert.Contains(TestUsers.Reviewer, new[] { pair.First, pair.Second });
        // One item, both approved: chance agreement is 1, said in words.
        Assert.Equal((1L, (double?)null, AgreementStatistics.ChanceAgreementIsOne), (pair.Kappa.Items, pair.Kappa.Kappa, pair.Kappa.Undefined));
        Assert.Equal(2, owner.Pairs.Count);
        Assert.Equal(2L, Assert.Single(owner.Paths).Alpha.Units);
    }

    [Fact]
    public async Task Compute_NoDoubleReview_EmptyReport()
    {
        var item = await NewItemAsync();
        await DecideAsync(item, Principals.Admin("alice"), ReviewDecision.Approve);

        var report = await Agreement.ComputeAsync(Principals.Admin("boss"), ct: Ct);

        Assert.True(report.IsEmpty);
        Assert.Equal(AgreementQuery.DefaultDays, report.Days);
    }
}
