using OpsConsole.Web.Features.Ingestion;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Tests.Features.Ingestion;

public class ReviewRoutingTests
{
    private static PathRouting Path(double threshold = 0.7, double qa = 0) =>
        new(1, "p1", threshold, qa, 60, false, 100, 1, FallbackMode.Rules, Redactor.None);

    private static EventFields Event(string id = "e1", double? confidence = 0.9, string outcome = Outcomes.Ok, string? output = "text") =>
        new() { EventId = id, Path = "p1", Confidence = confidence, Outcome = outcome, Output = output };

    [Fact]
    public void Decide_BelowThreshold_LowConfidence()
    {
        Assert.Equal(ReviewReasons.LowConfidence, ReviewRouting.Decide(Path(), Event(confidence: 0.69))?.Reason);
        Assert.Null(ReviewRouting.Decide(Path(), Event(confidence: 0.70)));
    }

    [Theory]
    [InlineData(Outcomes.Error, "partial", ReviewReasons.Error)]
    [InlineData(Outcomes.Timeout, "partial", ReviewReasons.Error)]
    [InlineData(Outcomes.Error, null, null)] // nothing to review without an output
    [InlineData(Outcomes.Fallback, "rules output", null)]
    public void Decide_ErrorsWithOutput_Error(string outcome, string? output, string? expected)
    {
        Assert.Equal(expected, ReviewRouting.Decide(Path(), Event(outcome: outcome, output: output))?.Reason);
    }

    [Fact]
    public void Priority_RisesAsConfidenceFalls()
    {
        Assert.True(ReviewRouting.Priority(0.1) > ReviewRouting.Priority(0.5));
        Assert.True(ReviewRouting.Priority(0.5) > ReviewRouting.Priority(0.95));
        Assert.Equal(100, ReviewRouting.Priority(null));
    }

    [Fact]
    public void Decide_QaSample_SameEventAlwaysSameDecision()
    {
        var path = Path(qa: 0.5);
        for (var i = 0; i < 200; i++)
        {
            var first = ReviewRouting.Decide(path, Event("evt-" + i));
            var again = ReviewRouting.Decide(path, Event("evt-" + i));
            Assert.Equal(first, again);
        }
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.25)]
    public void Decide_QaSample_RateHeldOverManyEvents(double rate)
    {
        const int n = 20_000;
        var sampled = Enumerable.Range(0, n).Count(i => ReviewRouting.Decide(Path(qa: rate), Event(Guid.NewGuid().ToString()))?.Reason == ReviewReasons.QaSample);
        // Binomial: 5 standard deviations either side.
        var sd = Math.Sqrt(n * rate * (1 - rate));
        Assert.InRange(sampled, n * rate - 5 * sd, n * rate + 5 * sd);
    }

    [Fact]
    public void Decide_QaSample_NeverAnEventWithoutOutput()
    {
        var everything = Path(qa: 1.0);
        Assert.Equal(ReviewReasons.QaSample, ReviewRouting.Decide(everything, Event(output: "x"))?.Reason);
        Assert.Null(ReviewRouting.Decide(everything, Event(output: null)));
        Assert.Null(ReviewRouting.Decide(everything, Event(outcome: Outcomes.Error, output: null)));
    }

    [Fact]
    public void Decide_ZeroRate_NeverSamples()
    {
        Assert.All(Enumerable.Range(0, 1000), i => Assert.Null(ReviewRouting.Decide(Path(qa: 0), Event("e" + i))));
    }
}
