using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Features.Events;

/// <summary>How old one cited source was when the output was made, judged against its registry entry.</summary>
/// <param name="Registered">The path's context source the citation names; null when the name is not in the registry.</param>
public sealed record SourceAge(string System, TimeSpan Age, ContextSource? Registered)
{
    /// <summary>Older than its freshness SLO. A source outside the registry has no SLO, so it is never stale.</summary>
    public bool Stale => Registered is { } r && Age > TimeSpan.FromMinutes(r.FreshnessSloMinutes);
}

/// <summary>One registered source's figures over a window.</summary>
/// <param name="Events">Events citing it with a known last update.</param>
/// <param name="Stale">Of those, events whose oldest citation of it was older than its SLO.</param>
public sealed record SourceFreshness(string Name, string SystemOfRecord, int SloMinutes, int Events, int Stale, TimeSpan? P95Age)
{
    public double? StaleRate => Events == 0 ? null : (double)Stale / Events;
}

/// <summary>A path's context freshness over a window (README "Context freshness").</summary>
/// <param name="Events">Events read (at most the query's cap, the latest first).</param>
/// <param name="WithoutInfo">Events none of whose sources carried both a system and a last update.</param>
/// <param name="Judged">Events citing at least one registered source with a known last update.</param>
/// <param name="StaleEvents">Of those, events citing at least one stale source: the path's stale-context rate.</param>
/// <param name="Unknown">Names sent as <c>system</c> that the registry does not hold, with the events citing each, most first.</param>
public sealed record FreshnessSummary(
    int Events, int WithoutInfo, int Judged, int StaleEvents, IReadOnlyList<SourceFreshness> Sources, IReadOnlyList<(string Name, int Events)> Unknown)
{
    public static readonly FreshnessSummary Empty = new(0, 0, 0, 0, [], []);
    public double? WithoutInfoShare => Events == 0 ? null : (double)WithoutInfo / Events;
    public double? StaleRate => Judged == 0 ? null : (double)StaleEvents / Judged;
}

/// <summary>
/// Context freshness (issue 20): a cited source's age is the event's time minus the source's last
/// update, and it is stale when that age is over the freshness SLO of the registry entry its
/// <c>system</c> names. Names match the registry ignoring case and surrounding spaces, because
/// senders spell them by hand; names the registry lacks are counted, never refused.
/// </summary>
public static class ContextFreshness
{
    /// <summary>At most this many unknown names are listed; the rest are only in the counts.</summary>
    public const int MaxUnknownListed = 20;

    /// <summary>Negative ages (a sender's clock ahead of the source's) count as zero: the source was as fresh as it gets.</summary>
    public static TimeSpan Age(DateTime occurredAt, DateTime sourceUpdatedAt) =>
        occurredAt > sourceUpdatedAt ? occurredAt - sourceUpdatedAt : TimeSpan.Zero;

    public static ContextSource? Find(IReadOnlyList<ContextSource> registry, string? system)
    {
        if (string.IsNullOrWhiteSpace(system))
        {
            return null;
        }
        var name = system.Trim();
        return registry.FirstOrDefault(c => string.Equals(c.Name.Trim(), name, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The age of one citation; null when it lacks a system or a last update.</summary>
    public static SourceAge? Judge(EventSource source, DateTime occurredAt, IReadOnlyList<ContextSource> registry) =>
        source.System is { } system && !string.IsNullOrWhiteSpace(system) && source.SourceUpdatedAt is { } updated
            ? new SourceAge(system.Trim(), Age(occurredAt, updated), Find(registry, system))
            : null;

    /// <summary>Nearest-rank 95th percentile: the smallest value at least 95 % of the values do not exceed.</summary>
    public static TimeSpan? P95(List<TimeSpan> values)
    {
        if (values.Count == 0)
        {
            return null;
        }
        values.Sort();
        return values[(int)Math.Ceiling(0.95 * values.Count) - 1];
    }

    /// <summary>
    /// The figures over events given as (occurredAt, stored sources JSON). An event counts once per
    /// source, with its oldest citation of it: the stalest context that output was built on.
    /// </summary>
    public static FreshnessSummary Summarize(IEnumerable<(DateTime OccurredAt, string? SourcesJson)> events, IReadOnlyList<ContextSource> registry)
    {
        var ages = registry.Select(_ => new List<TimeSpan>()).ToArray();
        var stale = new int[registry.Count];
        var unknown = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        int total = 0, withoutInfo = 0, judged = 0, staleEvents = 0;
        var oldest = new TimeSpan?[registry.Count];
        var unknownHere = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (occurredAt, json) in events)
        {
            total++;
            Array.Clear(oldest);
            unknownHere.Clear();
            var informed = false;
            foreach (var source in Sources(json))
            {
                if (Judge(source, occurredAt, registry) is not { } age)
                {
                    continue;
                }
                informed = true;
                if (age.Registered is null)
                {
                    unknownHere.Add(age.System);
                    continue;
                }
                var i = IndexOf(registry, age.Registered);
                oldest[i] = oldest[i] is { } o && o >= age.Age ? o : age.Age;
            }
            if (!informed)
            {
                withoutInfo++;
            }
            foreach (var name in unknownHere)
            {
                unknown[name] = unknown.GetValueOrDefault(name) + 1;
            }
            var any = false;
            var anyStale = false;
            for (var i = 0; i < registry.Count; i++)
            {
                if (oldest[i] is not { } a)
                {
                    continue;
                }
                any = true;
                ages[i].Add(a);
                if (a > TimeSpan.FromMinutes(registry[i].FreshnessSloMinutes))
                {
                    stale[i]++;
                    anyStale = true;
                }
            }
            judged += any ? 1 : 0;
            staleEvents += anyStale ? 1 : 0;
        }
        var sources = registry.Select((c, i) => new SourceFreshness(c.Name, c.SystemOfRecord, c.FreshnessSloMinutes, ages[i].Count, stale[i], P95(ages[i]))).ToList();
        var listed = unknown.OrderByDescending(u => u.Value).ThenBy(u => u.Key, StringComparer.Ordinal).Take(MaxUnknownListed).Select(u => (u.Key, u.Value)).ToList();
        return new FreshnessSummary(total, withoutInfo, judged, staleEvents, sources, listed);
    }

    private static int IndexOf(IReadOnlyList<ContextSource> registry, ContextSource source)
    {
        for (var i = 0; i < registry.Count; i++)
        {
            if (ReferenceEquals(registry[i], source))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Only sources that may carry a system are parsed (a name may also arrive escaped, hence the backslash test).</summary>
    private static IReadOnlyList<EventSource> Sources(string? json) =>
        json is null || !(json.Contains("\"system\"", StringComparison.Ordinal) || json.Contains('\\')) ? [] : EventJson.Sources(json);

    /// <summary>"3 d 4 h", "47 min": an age as a person reads it.</summary>
    public static string Show(TimeSpan age) =>
        age.TotalDays >= 1 ? $"{(int)age.TotalDays} d {age.Hours} h" : age.TotalHours >= 1 ? $"{(int)age.TotalHours} h {age.Minutes} min" : $"{Math.Max(0, (int)age.TotalMinutes)} min";

    /// <summary>An SLO in minutes as a person reads it.</summary>
    public static string ShowSlo(int minutes) => Show(TimeSpan.FromMinutes(minutes));
}
