using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Incidents;

namespace OpsConsole.Web.Features.Dashboards;

/// <summary>What a mark on the dashboard's time axis stands for.</summary>
public static class ChartMarkKinds
{
    public const string Kill = "kill";
    public const string Restore = "restore";
    public const string Rollout = "rollout";
    /// <summary>Reserved for releases: they are not recorded yet (a later issue adds them to <see cref="ChartMarks.ReadAsync"/>).</summary>
    public const string Release = "release";
    public const string Incident = "incident";
}

/// <summary>
/// One change drawn on the time charts: a kill switch flip, a rollout change, a release, or an
/// incident (from its trigger to its resolution, or to the window's end while it is open).
/// </summary>
public sealed record ChartMark(DateTime At, DateTime? Until, string Kind, string Label, string? Href);

/// <summary>
/// The changes that explain a curve's jump, read for a window: kill switch flips and rollout changes
/// from the audit log (manual and automatic alike), and incidents triggered or resolved in it.
/// </summary>
public static class ChartMarks
{
    private static readonly string[] Actions = ["path.kill", "path.restore", "rollout.decrease", "rollout.approve"];

    public static async Task<IReadOnlyList<ChartMark>> ReadAsync(AppDbContext db, int pathId, DateTime from, DateTime to, CancellationToken ct)
    {
        var slug = await db.Paths.AsNoTracking().Where(p => p.Id == pathId).Select(p => p.Slug).FirstOrDefaultAsync(ct);
        if (slug is null)
        {
            return [];
        }
        var changes = await db.AuditEntries.AsNoTracking()
            .Where(a => a.PathSlug == slug && a.At >= from && a.At < to && Actions.Contains(a.Action))
            .OrderBy(a => a.Id).Select(a => new { a.At, a.Action, a.ActorName, a.BeforeJson, a.AfterJson }).ToListAsync(ct);
        var incidents = await db.Incidents.AsNoTracking()
            .Where(i => i.PathId == pathId && ((i.TriggeredAt >= from && i.TriggeredAt < to) || (i.ResolvedAt >= from && i.ResolvedAt < to)))
            .OrderBy(i => i.TriggeredAt).Select(i => new { i.Id, i.Severity, i.TriggeredAt, i.ResolvedAt }).ToListAsync(ct);

        var marks = new List<ChartMark>();
        foreach (var c in changes)
        {
            var automatic = c.ActorName == Audit.AuditActor.System.Name ? " (automatic)" : "";
            marks.Add(c.Action switch
            {
                "path.kill" => new ChartMark(c.At, null, ChartMarkKinds.Kill, "Killed" + automatic, null),
                "path.restore" => new ChartMark(c.At, null, ChartMarkKinds.Restore, "Restored" + automatic, null),
                _ => new ChartMark(c.At, null, ChartMarkKinds.Rollout, RolloutLabel(c.BeforeJson, c.AfterJson) + automatic, null),
            });
        }
        // Releases join here once they are recorded: a ChartMark of kind "release" at its time.
        foreach (var i in incidents)
        {
            var start = i.TriggeredAt < from ? from : i.TriggeredAt;
            var end = i.ResolvedAt is { } r && r < to ? r : to;
            marks.Add(new ChartMark(start, end, ChartMarkKinds.Incident, $"Incident #{i.Id} {i.Severity}", $"/incidents/{i.Id}"));
        }
        return [.. marks.OrderBy(m => m.At)];
    }

    /// <summary>"Rollout 50 → 10 %" from the entry's before and after; older automatic entries only carry their action text.</summary>
    private static string RolloutLabel(string? beforeJson, string? afterJson)
    {
        static JsonNode? Parse(string? json)
        {
            try
            {
                return json is null ? null : JsonNode.Parse(json);
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }
        var before = Parse(beforeJson)?["rolloutPercent"]?.GetValue<int>();
        var after = Parse(afterJson);
        return (before, after?["rolloutPercent"]?.GetValue<int>()) switch
        {
            ({ } b, { } a) => $"Rollout {b} → {a} %",
            (null, { } a) => $"Rollout → {a} %",
            _ => after?["action"]?.GetValue<string>() is { } action ? $"Rollout: {action}" : "Rollout changed",
        };
    }

    /// <summary>
    /// ApexCharts x-axis annotations: a dashed line per change, a shaded band per incident. Changes
    /// closer than a fortieth of the window share one line and label, and band labels sit at the
    /// bottom inside the band: a containment's kill comes with its incident in the same second, and
    /// neither label may hide the other.
    /// </summary>
    public static object Annotations(IReadOnlyList<ChartMark> marks, TimeSpan span)
    {
        static long Ms(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeMilliseconds();
        // A band's label stands just inside it, beside (not over) the label of a change at its start.
        static object Label(string text, string color, string position, int offsetX = 0) =>
            new { text, borderColor = color, orientation = "vertical", position, offsetX, style = new { color = "#fff", background = color, fontSize = "10px" } };
        var lines = new List<(DateTime At, string Color, List<string> Labels)>();
        foreach (var m in marks.Where(m => m.Until is null))
        {
            if (lines.Count > 0 && m.At - lines[^1].At < span / 40)
            {
                lines[^1].Labels.Add(m.Label);
            }
            else
            {
                lines.Add((m.At, Color(m.Kind), [m.Label]));
            }
        }
        return new
        {
            xaxis = lines.Select(l => (object)new { x = Ms(l.At), borderColor = l.Color, strokeDashArray = 4, label = Label(string.Join(" · ", l.Labels), l.Color, "top") })
                .Concat(marks.Where(m => m.Until is not null).Select(m => (object)new
                {
                    x = Ms(m.At),
                    x2 = Ms(m.Until!.Value),
                    fillColor = Color(m.Kind),
                    opacity = 0.12,
                    borderColor = Color(m.Kind),
                    label = Label(m.Label, Color(m.Kind), "bottom", offsetX: 16),
                }))
                .ToArray(),
        };
    }

    public static string Color(string kind) => kind switch
    {
        ChartMarkKinds.Kill => "#dc2626",
        ChartMarkKinds.Restore => "#16a34a",
        ChartMarkKinds.Rollout => "#2563eb",
        ChartMarkKinds.Release => "#9333ea",
        _ => "#ea580c",
    };
}
