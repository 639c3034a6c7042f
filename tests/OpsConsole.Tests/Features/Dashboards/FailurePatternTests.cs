using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Ingestion;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Tests.Features.Dashboards;

[Trait("Category", "Integration")]
public sealed class FailurePatternTests : IntegrationTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("provider returned 429 for request 7f3c9a1e2b4d4e6f8a0b1c2d3e4f5a6b", "provider returned <n> for request <uuid>")]
    [InlineData("request a1b2c3d4e5f6g7h8 failed", "request <id> failed")]
    [InlineData("timeout after 30.5 s calling https://api.example.com/v1/chat?x=1", "timeout after <n> s calling <url>")]
    [InlineData("user jane@example.com not found (id 3fa85f64-5717-4562-b3fc-2c963f66afa6)", "user <email> not found (id <uuid>)")]
    [InlineData("  many   spaces\nhere ", "many spaces here")]
    [InlineData(null, "")]
    public void Normalize_MasksVariableParts(string? message, string expected)
    {
        Assert.Equal(expected, FailureMessage.Normalize(message));
    }

    [Fact]
    public async Task Patterns_ErrorsGroupedByCodeAndMessage_RejectionsByTag_NewOnesMarked()
    {
        JsonObject Error(string id, string code, string message, DateTime at)
        {
            var e = Ingest.Event(id, outcome: "error", confidence: null, output: null);
            e["errorCode"] = code;
            e["errorMessage"] = message;
            e["occurredAt"] = at.ToString("O");
            return e;
        }
        var now = DateTime.UtcNow;
        var client = Factory.CreateClient();
        await Ingest.PostOkAsync(client, Ingest.Batch(
            Error("f1", "rate_limited", "provider returned 429 for request 111aaa222bbb333", now.AddMinutes(-5)),
            Error("f2", "rate_limited", "provider returned 429 for request 999fff888eee777", now.AddMinutes(-4)),
            Error("f3", "invalid_json", "unexpected token at position 17", now.AddMinutes(-3)),
            Error("f4", "invalid_json", "unexpected token at position 4", now.AddDays(-2)),
            Error("f1", "rate_limited", "a retry of f1: stored once", now.AddMinutes(-5))));

        var queue = Factory.Services.GetRequiredService<ReviewQueueService>();
        var reviewer = Principals.Admin("a");
        await Ingest.PostOkAsync(client, Ingest.Batch(Ingest.Event("low-1", confidence: 0.1)));
        var item = await Db.QueryAsync(Factory, db => db.ReviewItems.Join(db.InferenceEvents, r => r.EventRowId, e => e.Id, (r, e) => new { r.Id, e.EventId })
            .Where(x => x.EventId == "low-1").Select(x => x.Id).SingleAsync(Ct));
        await queue.ClaimAsync(item, reviewer, Ct);
        Assert.True((await queue.DecideAsync(item, new DecisionInput(ReviewDecision.Reject, null, ["hallucination", "wrong-tone"]), reviewer, Ct)).Succeeded);

        var pathId = await Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == "support-reply-draft").Select(p => p.Id).SingleAsync(Ct));
        var patterns = await Factory.Services.GetRequiredService<FailurePatternService>().ListAsync(pathId, now.AddDays(-1), now.AddMinutes(1), Ct);

        var limited = patterns.Single(p => p.Code == "rate_limited");
        Assert.Equal(("provider returned <n> for request <id>", 2L, true), (limited.Message, limited.Count, limited.IsNew));
        var json = patterns.Single(p => p.Code == "invalid_json");
        Assert.Equal((1L, 1L, false), (json.Count, json.PreviousCount, json.IsNew)); // seen 2 days ago: inside the previous day-long period
        Assert.Equal(["hallucination", "wrong-tone"], patterns.Where(p => p.Kind == "reject").Select(p => p.Code).Order());
    }
}
