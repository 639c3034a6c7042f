using Microsoft.Data.Sqlite;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Metrics;

namespace OpsConsole.Benchmarks;

/// <summary>
/// The dashboard's figures computed the straightforward exact way: read the raw events and
/// decisions of the window and its previous period, then count, sum and sort. What rollups replace.
/// </summary>
public static class RawDashboard
{
    public sealed record Figures(long Volume, long Routed, long Decided, long Approved, long Errors, double Cost, long[] Confidence, double? P50, double? P95, double? P99);

    public sealed record Result(
        Figures Current, Figures Previous, IReadOnlyList<Figures> Series, IReadOnlyList<Figures> PreviousSeries,
        IReadOnlyDictionary<string, Figures> ByModel, IReadOnlyDictionary<(string Kind, string Code, string Message), long> Patterns, long QueueOpen);

    private sealed class Sum
    {
        public long Volume, Routed, Decided, Approved, Errors;
        public double Cost;
        public readonly long[] Confidence = new long[ConfidenceHistogram.Bins];
        public readonly List<double> Latencies = [];

        public Figures ToFigures()
        {
            Latencies.Sort();
            double? At(double q) => Latencies.Count == 0 ? null : Latencies[(int)Math.Floor(q * (Latencies.Count - 1))];
            return new Figures(Volume, Routed, Decided, Approved, Errors, Cost, Confidence, At(0.50), At(0.95), At(0.99));
        }
    }

    public static Result Compute(SqliteConnection connection, int pathId, DateTime from, DateTime to, int points, CancellationToken ct)
    {
        var span = to - from;
        var previousFrom = from - span;
        var step = span / points;
        var current = new Sum();
        var previous = new Sum();
        var series = Enumerable.Range(0, points).Select(_ => new Sum()).ToArray();
        var previousSeries = Enumerable.Range(0, points).Select(_ => new Sum()).ToArray();
        var byModel = new Dictionary<string, Sum>();
        var patterns = new Dictionary<(string, string, string), long>();
        var patternsFrom = from.Date;
        // The sums an instant counts in: its period, its interval, and (current period) its model.
        IEnumerable<Sum> Targets(DateTime at, string model)
        {
            if (at >= from)
            {
                yield return current;
                yield return series[Math.Min(points - 1, (int)((at - from) / step))];
                if (!byModel.TryGetValue(model, out var m))
                {
                    byModel[model] = m = new Sum();
                }
                yield return m;
            }
            else
            {
                yield return previous;
                yield return previousSeries[Math.Min(points - 1, (int)((at - previousFrom) / step))];
            }
        }

        using (var events = connection.CreateCommand())
        {
            events.CommandText =
                "SELECT OccurredAt, ModelVersion, Outcome, CostUsd, LatencyMs, Confidence, ReviewReason, ErrorCode, ErrorMessage " +
                "FROM InferenceEvents WHERE PathId = $p AND OccurredAt >= $from AND OccurredAt < $to";
            events.Parameters.AddWithValue("$p", pathId);
            events.Parameters.AddWithValue("$from", previousFrom < patternsFrom ? previousFrom : patternsFrom);
            events.Parameters.AddWithValue("$to", to);
            using var reader = events.ExecuteReader();
            while (reader.Read())
            {
                ct.ThrowIfCancellationRequested();
                var at = reader.GetDateTime(0);
                var outcome = reader.GetString(2);
                if (outcome is "error" or "timeout" && at >= patternsFrom)
                {
                    var key = FailurePatternStore.ErrorKey(pathId, at, outcome, reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8));
                    patterns[(key.Kind, key.Code, key.Message)] = patterns.GetValueOrDefault((key.Kind, key.Code, key.Message)) + 1;
                }
                if (at < previousFrom)
                {
                    continue;
                }
                var model = reader.IsDBNull(1) ? "" : reader.GetString(1);
                var cost = reader.IsDBNull(3) ? 0 : reader.GetDouble(3);
                double? latency = reader.IsDBNull(4) ? null : reader.GetDouble(4);
                double? confidence = reader.IsDBNull(5) ? null : reader.GetDouble(5);
                var routed = !reader.IsDBNull(6);
                foreach (var s in Targets(at, model))
                {
                    s.Volume++;
                    s.Cost += cost;
                    s.Errors += outcome == "error" ? 1 : 0;
                    s.Routed += routed ? 1 : 0;
                    if (latency is { } l)
                    {
                        s.Latencies.Add(l);
                    }
                    if (confidence is { } c)
                    {
                        s.Confidence[Math.Min(ConfidenceHistogram.Bins - 1, (int)(c * ConfidenceHistogram.Bins))]++;
                    }
                }
            }
        }

        using (var decisions = connection.CreateCommand())
        {
            decisions.CommandText =
                "SELECT r.DecidedAt, e.ModelVersion, r.Status, r.ReasonTags FROM ReviewItems r JOIN InferenceEvents e ON e.Id = r.EventRowId " +
                "WHERE r.PathId = $p AND r.DecidedAt >= $from AND r.DecidedAt < $to AND r.Status IN ('approved', 'corrected', 'rejected')";
            decisions.Parameters.AddWithValue("$p", pathId);
            decisions.Parameters.AddWithValue("$from", previousFrom < patternsFrom ? previousFrom : patternsFrom);
            decisions.Parameters.AddWithValue("$to", to);
            using var reader = decisions.ExecuteReader();
            while (reader.Read())
            {
                var at = reader.GetDateTime(0);
                var status = reader.GetString(2);
                if (status == "rejected" && at >= patternsFrom)
                {
                    foreach (var tag in System.Text.Json.JsonSerializer.Deserialize<string[]>(reader.GetString(3))!)
                    {
                        patterns[("reject", tag, "")] = patterns.GetValueOrDefault(("reject", tag, "")) + 1;
                    }
                }
                if (at < previousFrom)
                {
                    continue;
                }
                foreach (var s in Targets(at, reader.IsDBNull(1) ? "" : reader.GetString(1)))
                {
                    s.Decided++;
                    s.Approved += status == "approved" ? 1 : 0;
                }
            }
        }

        long queue;
        using (var open = connection.CreateCommand())
        {
            open.CommandText = "SELECT COUNT(*) FROM ReviewItems WHERE PathId = $p AND Status IN ('pending', 'claimed')";
            open.Parameters.AddWithValue("$p", pathId);
            queue = (long)open.ExecuteScalar()!;
        }

        return new Result(
            current.ToFigures(), previous.ToFigures(),
            series.Select(s => s.ToFigures()).ToList(), previousSeries.Select(s => s.ToFigures()).ToList(),
            byModel.ToDictionary(m => m.Key, m => m.Value.ToFigures()), patterns, queue);
    }
}
