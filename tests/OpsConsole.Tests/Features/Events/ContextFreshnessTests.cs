using System.Text.Json.Nodes;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Tests.Features.Events;

/// <summary>The freshness figures on cases worked out by hand.</summary>
public class ContextFreshnessTests
{
    private static readonly DateTime T = new(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);

    private static readonly List<ContextSource> Registry =
    [
        new() { Name = "Help centre", SystemOfRecord = "Zendesk Guide", FreshnessSloMinutes = 1440 },
        new() { Name = "Ticket", SystemOfRecord = "Zendesk", FreshnessSloMinutes = 5 },
    ];

    private static string Sources(params (string? System, DateTime? Updated)[] sources) =>
        new JsonArray(sources.Select(s =>
        {
            var o = new JsonObject { ["title"] = "t" };
            if (s.System is not null)
            {
                o["system"] = s.System;
            }
            if (s.Updated is { } u)
            {
                o["sourceUpdatedAt"] = u.ToString("O");
            }
            return (JsonNode)o;
        }).ToArray()).ToJsonString();

    [Fact]
    public void Age_SourceUpdatedAfterTheEvent_IsZero()
    {
        Assert.Equal(TimeSpan.Zero, ContextFreshness.Age(T, T.AddMinutes(3)));
        Assert.Equal(TimeSpan.FromHours(30), ContextFreshness.Age(T, T.AddHours(-30)));
    }

    [Fact]
    public void Judge_AgeOverTheSlo_IsStale_AtTheSloItIsNot()
    {
        var atSlo = ContextFreshness.Judge(new EventSource("a", null, null, "ticket ", null, T.AddMinutes(-5)), T, Registry)!;
        var over = ContextFreshness.Judge(new EventSource("a", null, null, "Ticket", null, T.AddMinutes(-5).AddSeconds(-1)), T, Registry)!;

        Assert.False(atSlo.Stale);
        Assert.Equal("Ticket", atSlo.Registered!.Name);
        Assert.True(over.Stale);
    }

    [Fact]
    public void Judge_UnknownNameOrNoLastUpdate_IsNeverStale()
    {
        Assert.False(ContextFreshness.Judge(new EventSource("a", null, null, "Wiki", null, T.AddYears(-1)), T, Registry)!.Stale);
        Assert.Null(ContextFreshness.Judge(new EventSource("a", null, null, "Ticket", T, null), T, Registry));
        Assert.Null(ContextFreshness.Judge(new EventSource("a", null, null, null, null, T.AddYears(-1)), T, Registry));
    }

    [Fact]
    public void P95_TwentyValues_IsTheNineteenth()
    {
        var values = Enumerable.Range(1, 20).Select(i => TimeSpan.FromMinutes(i)).Reverse().ToList();
        Assert.Equal(TimeSpan.FromMinutes(19), ContextFreshness.P95(values));
        Assert.Equal(TimeSpan.FromMinutes(7), ContextFreshness.P95([TimeSpan.FromMinutes(7)]));
        Assert.Null(ContextFreshness.P95([]));
    }

    [Fact]
    public void Summarize_MixedEvents_CountsAsWorkedOutByHand()
    {
        // 1: ticket 2 min old, help centre 2 d old (stale)      → judged, stale
        // 2: ticket 10 min (stale) and 1 min: the oldest counts  → judged, stale
        // 3: help centre 1 h old, "Wiki" unknown                 → judged, fresh
        // 4: only "Wiki" and "CRM" (unknown)                     → informed, not judged
        // 5: a source with a system but no last update           → no information
        // 6: no sources at all                                   → no information
        var events = new (DateTime, string?)[]
        {
            (T, Sources(("Ticket", T.AddMinutes(-2)), ("Help centre", T.AddDays(-2)))),
            (T, Sources(("Ticket", T.AddMinutes(-10)), ("ticket", T.AddMinutes(-1)))),
            (T, Sources(("Help centre", T.AddHours(-1)), ("Wiki", T.AddDays(-300)))),
            (T, Sources(("Wiki", T.AddDays(-1)), ("CRM", T.AddDays(-1)), ("wiki", T))),
            (T, Sources(("Ticket", null))),
            (T, null),
        };

        var s = ContextFreshness.Summarize(events, Registry);

        Assert.Equal(6, s.Events);
        Assert.Equal(2, s.WithoutInfo);
        Assert.Equal(3, s.Judged);
        Assert.Equal(2, s.StaleEvents);
        Assert.Equal(2.0 / 3, s.StaleRate!.Value, 9);
        Assert.Equal(2.0 / 6, s.WithoutInfoShare!.Value, 9);

        var help = s.Sources.Single(x => x.Name == "Help centre");
        Assert.Equal((2, 1), (help.Events, help.Stale));
        Assert.Equal(TimeSpan.FromDays(2), help.P95Age);
        var ticket = s.Sources.Single(x => x.Name == "Ticket");
        Assert.Equal((2, 1), (ticket.Events, ticket.Stale));
        Assert.Equal(TimeSpan.FromMinutes(10), ticket.P95Age);

        // Counted once per event, whatever the spelling; most cited first.
        Assert.Equal([("Wiki", 2), ("CRM", 1)], s.Unknown);
    }

    [Fact]
    public void Summarize_UnreadableStoredSources_CountAsNoInformation()
    {
        var s = ContextFreshness.Summarize([(T, "{not json"), (T, "\"system\""), (T, "[1,2,\"\\u0000\"]")], Registry);

        Assert.Equal((3, 3, 0), (s.Events, s.WithoutInfo, s.Judged));
        Assert.Null(s.StaleRate);
    }

    [Fact]
    public void Summarize_NoRegistry_ListsEveryNameAsUnknown()
    {
        var s = ContextFreshness.Summarize([(T, Sources(("Ticket", T.AddDays(-1))))], []);

        Assert.Empty(s.Sources);
        Assert.Equal(0, s.Judged);
        Assert.Equal(0, s.WithoutInfo);
        Assert.Equal([("Ticket", 1)], s.Unknown);
    }
}
