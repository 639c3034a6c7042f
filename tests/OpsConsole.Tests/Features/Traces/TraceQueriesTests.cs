using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Traces;

namespace OpsConsole.Tests.Features.Traces;

/// <summary>The reads behind the trace tab, the incident's example traces and the event scores, on the real database (both providers).</summary>
[Trait("Category", "Integration")]
public sealed class TraceQueriesTests : IntegrationTest
{
    private const string Slug = "support-reply-draft";
    // Far from the demo data, so the window holds only what a test puts there.
    private static readonly DateTime Window = new(2021, 3, 1, 12, 0, 0, DateTimeKind.Utc);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TraceQueries Queries => Factory.Services.GetRequiredService<TraceQueries>();

    private async Task<int> PathIdAsync() => await Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == Slug).Select(p => p.Id).SingleAsync(Ct));

    private async Task AddAsync(params object[] rows)
    {
        await using var db = await Factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(Ct);
        db.AddRange(rows);
        await db.SaveChangesAsync(Ct);
    }

    private static string NewTraceId() => Guid.NewGuid().ToString("N");

    private static InferenceEvent Event(int pathId, string eventId, string? traceId, DateTime at, string outcome = Outcomes.Ok, double? confidence = 0.9, string? reviewReason = null) => new()
    {
        PathId = pathId,
        EventId = eventId,
        TraceId = traceId,
        OccurredAt = at,
        ReceivedAt = at,
        Outcome = outcome,
        Confidence = confidence,
        ReviewReason = reviewReason,
    };

    private static TraceSpan Span(int pathId, string traceId, int n, string? parent, DateTime at, int status = SpanStatus.Unset, string? eventId = null)
    {
        var start = (at - DateTime.UnixEpoch).Ticks * 100 + n * 1_000_000L;
        return new TraceSpan
        {
            TraceId = traceId,
            SpanId = n.ToString("x16"),
            ParentSpanId = parent,
            PathId = pathId,
            ServiceName = "support-bot",
            Name = "span " + n,
            StartUnixNano = start,
            EndUnixNano = start + 5_000_000,
            StartedAt = at,
            StatusCode = status,
            EventId = eventId,
            ReceivedAt = at,
        };
    }

    [Fact]
    public async Task TraceAsync_StoredSpans_SpansAndEventLinks()
    {
        var pathId = await PathIdAsync();
        var trace = NewTraceId();
        var eventId = "trace-ev-" + Guid.NewGuid().ToString("N");
        await AddAsync(Event(pathId, eventId, trace, Window),
            Span(pathId, trace, 1, null, Window), Span(pathId, trace, 2, 1.ToString("x16"), Window, eventId: eventId), Span(pathId, trace, 3, null, Window, eventId: "not-an-event"));
        var dbId = await Db.QueryAsync(Factory, db => db.InferenceEvents.Where(e => e.EventId == eventId).Select(e => e.Id).SingleAsync(Ct));

        var data = await Queries.TraceAsync(trace, Ct);

        Assert.Equal(3, data.Spans.Count);
        Assert.False(data.AtLimit);
        var link = Assert.Single(data.Links);
        Assert.Equal(2.ToString("x16"), link.Key);
        Assert.Equal($"/paths/{Slug}/events/{dbId}", link.Value.Href);
        Assert.Equal(3, await Queries.SpanCountAsync(trace, Ct));
    }

    [Fact]
    public async Task TraceAsync_UnknownTrace_Empty()
    {
        var data = await Queries.TraceAsync(NewTraceId(), Ct);

        Assert.Empty(data.Spans);
        Assert.Empty(data.Links);
    }

    [Fact]
    public async Task ExampleTracesAsync_Window_ErrorsThenReviewThenNewest_OnlyStoredTracesInWindow()
    {
        var pathId = await PathIdAsync();
        string T() => NewTraceId();
        var (newest, errorSpan, errorOutcome, review, lowConfidence, noSpans, outside, shared) = (T(), T(), T(), T(), T(), T(), T(), T());
        await AddAsync(
            Event(pathId, "ex-newest", newest, Window.AddMinutes(50)),
            Event(pathId, "ex-error-span", errorSpan, Window.AddMinutes(10)),
            Event(pathId, "ex-error-outcome", errorOutcome, Window.AddMinutes(5), outcome: Outcomes.Error),
            Event(pathId, "ex-review", review, Window.AddMinutes(20), reviewReason: "low_confidence"),
            Event(pathId, "ex-low", lowConfidence, Window.AddMinutes(15), confidence: 0.2),
            Event(pathId, "ex-no-spans", noSpans, Window.AddMinutes(55), outcome: Outcomes.Error),
            Event(pathId, "ex-no-trace", null, Window.AddMinutes(56), outcome: Outcomes.Error),
            Event(pathId, "ex-outside", outside, Window.AddHours(3), outcome: Outcomes.Error),
            Event(pathId, "ex-shared-1", shared, Window.AddMinutes(1)),
            Event(pathId, "ex-shared-2", shared, Window.AddMinutes(2)));
        await AddAsync(
            Span(pathId, newest, 1, null, Window), Span(pathId, newest, 2, null, Window),
            Span(pathId, errorSpan, 1, null, Window), Span(pathId, errorSpan, 2, null, Window, status: SpanStatus.Error),
            Span(pathId, errorOutcome, 1, null, Window),
            Span(pathId, review, 1, null, Window),
            Span(pathId, lowConfidence, 1, null, Window),
            Span(pathId, outside, 1, null, Window),
            Span(pathId, shared, 1, null, Window));

        var all = await Queries.ExampleTracesAsync(pathId, Window, Window.AddHours(1), 20, Ct);
        var five = await Queries.ExampleTracesAsync(Slug, Window, Window.AddHours(1), 5, Ct);

        Assert.Equal(["ex-error-span", "ex-error-outcome", "ex-review", "ex-low", "ex-newest", "ex-shared-2"], all.Select(x => x.EventId));
        Assert.Equal((2, 1), (all[0].Spans, all[0].ErrorSpans));
        Assert.Equal((2, 0), (all[4].Spans, all[4].ErrorSpans));
        Assert.Equal(all.Take(5).Select(x => x.EventId), five.Select(x => x.EventId));
        Assert.Empty(await Queries.ExampleTracesAsync("no-such-path", Window, Window.AddHours(1), 5, Ct));
    }

    [Fact]
    public async Task ScoresAsync_EventWithScores_ByName()
    {
        var pathId = await PathIdAsync();
        var eventId = "scored-" + Guid.NewGuid().ToString("N");
        await AddAsync(
            new EventScore { PathId = pathId, EventId = eventId, Name = "relevance", Value = 0.8, Label = "relevant", Explanation = "cites the policy", ReceivedAt = Window },
            new EventScore { PathId = pathId, EventId = eventId, Name = "groundedness", Value = null, Label = "grounded", ReceivedAt = Window },
            new EventScore { PathId = pathId, EventId = "other", Name = "relevance", Value = 0.1, ReceivedAt = Window });

        var scores = await Queries.ScoresAsync(pathId, eventId, Ct);

        Assert.Equal(["groundedness", "relevance"], scores.Select(s => s.Name));
        Assert.Equal((0.8, "relevant", "cites the policy"), (scores[1].Value, scores[1].Label, scores[1].Explanation));
    }
}
