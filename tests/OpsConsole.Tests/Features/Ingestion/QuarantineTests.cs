using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Ingestion;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Quarantine;

namespace OpsConsole.Tests.Features.Ingestion;

[Trait("Category", "Integration")]
public sealed class QuarantineTests : IntegrationTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private QuarantineService Quarantine => Factory.Services.GetRequiredService<QuarantineService>();

    private async Task CreatePathAsync(string slug, string ownerEmail)
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var created = await Factory.Services.GetRequiredService<PathService>().CreateAsync(new PathInput
        {
            Slug = slug,
            Name = slug,
            OwnerIds = [await Principals.IdOfAsync(Factory, ownerEmail)],
            QaSamplePercent = "0",
        }, admin, Ct);
        Assert.True(created.Succeeded);
    }

    [Fact]
    public async Task Replay_AfterCreatingMissingPath_StoredAndLeavesQuarantine()
    {
        var client = Factory.CreateClient();
        var result = await Ingest.PostOkAsync(client, Ingest.Batch(Ingest.Event("late-1", path: "new-path", confidence: 0.2), Ingest.Event("late-2", path: "new-path")));
        Assert.All(result.Results, r => Assert.Equal("unknown_path", r.Reason));

        await CreatePathAsync("new-path", TestUsers.Owner);
        var page = await Quarantine.ListAsync("new-path", null, Ct);
        Assert.Equal(2, page.Total);

        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var replayed = await Quarantine.ReplayAsync("new-path", page.Items.Select(i => i.Id).ToList(), owner, Ct);

        var summary = replayed.Value!;
        Assert.Equal((2, 0, 0, null), (summary.Accepted, summary.Duplicates, summary.Rejected, replayed.Error));
        Assert.Equal(0, (await Quarantine.ListAsync("new-path", null, Ct)).Total);
        var stored = await Db.QueryAsync(Factory, db => db.InferenceEvents.Where(e => e.EventId == "late-1" || e.EventId == "late-2")
            .Select(e => new { e.EventId, e.ReviewReason }).ToListAsync(Ct));
        Assert.Equal(2, stored.Count);
        Assert.Equal("low_confidence", stored.Single(e => e.EventId == "late-1").ReviewReason);
        Assert.Equal("quarantine.replay", (await Db.QueryAsync(Factory, db => db.AuditEntries.OrderByDescending(e => e.Id).FirstAsync(Ct))).Action);
    }

    [Fact]
    public async Task Replay_StillInvalid_StaysWithCountAndNewReason()
    {
        var bad = Ingest.Event("still-bad");
        bad["confidence"] = 7;
        await Ingest.PostOkAsync(Factory.CreateClient(), Ingest.Batch(bad));
        var item = (await Quarantine.ListAsync("support-reply-draft", null, Ct)).Items.Single(i => i.EventId == "still-bad");

        var summary = (await Quarantine.ReplayAsync("support-reply-draft", [item.Id], await Principals.ForAsync(Factory, TestUsers.Admin), Ct)).Value!;

        Assert.Equal(1, summary.Rejected);
        var after = (await Quarantine.ListAsync("support-reply-draft", null, Ct)).Items.Single(i => i.Id == item.Id);
        Assert.Equal((1, "invalid_field:confidence"), (after.ReplayCount, after.Reason));
        Assert.NotNull(after.LastReplayAt);
    }

    [Fact]
    public async Task Replay_AlreadyStoredEvent_DuplicateAndRemoved()
    {
        var client = Factory.CreateClient();
        await Ingest.PostOkAsync(client, Ingest.Batch(Ingest.Event("twice", path: "later-path")));
        await CreatePathAsync("later-path", TestUsers.Owner);
        await Ingest.PostOkAsync(client, Ingest.Batch(Ingest.Event("twice", path: "later-path")), Web.Features.Demo.DemoOptions.DefaultApiKey);
        // The demo key does not cover the new path: the second delivery was refused as forbidden, and is quarantined too.
        var page = await Quarantine.ListAsync("later-path", null, Ct);
        Assert.Equal(["forbidden", "unknown_path"], page.Items.Select(i => i.Reason));

        var summary = (await Quarantine.ReplayAsync("later-path", page.Items.Select(i => i.Id).ToList(), await Principals.ForAsync(Factory, TestUsers.Owner), Ct)).Value!;

        Assert.Equal((1, 1), (summary.Accepted, summary.Duplicates));
        Assert.Equal(0, (await Quarantine.ListAsync("later-path", null, Ct)).Total);
        Assert.Equal(1, await Db.QueryAsync(Factory, db => db.InferenceEvents.CountAsync(e => e.EventId == "twice", Ct)));
    }

    [Theory]
    [InlineData(TestUsers.Owner2)] // owns other paths, not this one
    [InlineData(TestUsers.OnCall)]
    [InlineData(TestUsers.Reviewer)]
    public async Task Replay_ByUserWhoCannotEditPath_RefusedAndNothingChanges(string email)
    {
        await CreatePathAsync("owned-by-one", TestUsers.Owner);
        var bad = Ingest.Event("refused-replay", path: "owned-by-one");
        await Ingest.PostOkAsync(Factory.CreateClient(), Ingest.Batch(bad));
        var item = (await Quarantine.ListAsync("owned-by-one", null, Ct)).Items.Single();

        var summary = await Quarantine.ReplayAsync("owned-by-one", [item.Id], await Principals.ForAsync(Factory, email), Ct);

        Assert.NotNull(summary.Error);
        Assert.Equal(1, (await Quarantine.ListAsync("owned-by-one", null, Ct)).Total);
    }

    [Fact]
    public async Task Replay_GlobalViewByOwner_Refused()
    {
        var summary = await Quarantine.ReplayAsync(null, [1], await Principals.ForAsync(Factory, TestUsers.Owner), Ct);
        Assert.NotNull(summary.Error);
    }

    [Fact]
    public async Task Purge_ItemsOlderThanRetention_DeletedYoungerKept()
    {
        await Ingest.PostOkAsync(Factory.CreateClient(), Ingest.Batch(new JsonObject { ["eventId"] = "old" }, new JsonObject { ["eventId"] = "young" }));
        var old = DateTime.UtcNow.AddDays(-15);
        await Db.QueryAsync(Factory, db => db.QuarantinedEvents.Where(q => q.EventId == "old").ExecuteUpdateAsync(s => s.SetProperty(q => q.ReceivedAt, old), Ct));

        await Factory.Services.GetRequiredService<QuarantineCleanupJob>().RunAsync(Ct);

        var left = await Db.QueryAsync(Factory, db => db.QuarantinedEvents.Select(q => q.EventId).ToListAsync(Ct));
        Assert.Contains("young", left);
        Assert.DoesNotContain("old", left);
    }

    [Fact]
    public async Task Post_UnparseablePathValue_QuarantinedWithoutPath()
    {
        await Ingest.PostOkAsync(Factory.CreateClient(), Ingest.Batch(new JsonObject { ["eventId"] = "no-path", ["path"] = 12 }));
        var all = await Quarantine.ListAsync(null, null, Ct);
        var item = all.Items.Single(i => i.EventId == "no-path");
        Assert.Null(item.PathSlug);
        Assert.Equal("invalid_field:path", item.Reason);
    }
}
