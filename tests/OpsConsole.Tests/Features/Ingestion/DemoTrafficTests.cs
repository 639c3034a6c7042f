using Microsoft.Extensions.Time.Testing;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Demo;

namespace OpsConsole.Tests.Features.Ingestion;

[Trait("Category", "Integration")]
public sealed class DemoTrafficTests : IntegrationTest
{
    [Fact]
    public async Task Generator_Batches_AllAcceptedByTheRealApi()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var generator = new DemoTrafficGenerator(new Random(7), clock, clock.GetUtcNow().UtcDateTime, TimeSpan.FromMinutes(10));
        var client = Factory.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            var result = await Ingest.PostOkAsync(client, generator.Batch(200));
            Assert.Equal(200, result.Accepted);
            clock.Advance(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public void Generator_TicketTriage_SwitchesModelAndConfidenceDropsAfterDrift()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var generator = new DemoTrafficGenerator(new Random(11), clock, clock.GetUtcNow().UtcDateTime, TimeSpan.FromMinutes(10));
        (string Model, double Confidence)[] Triage() => generator.Batch(3000)["events"]!.AsArray()
            .Where(e => e!["path"]!.GetValue<string>() == "ticket-triage" && e["confidence"] is not null)
            .Select(e => (e!["modelVersion"]!.GetValue<string>(), e["confidence"]!.GetValue<double>())).ToArray();

        var before = Triage();
        clock.Advance(TimeSpan.FromMinutes(11));
        var after = Triage();

        Assert.All(before, e => Assert.Equal(DemoTrafficGenerator.TriageBefore, e.Model));
        Assert.All(after, e => Assert.Equal(DemoTrafficGenerator.TriageAfter, e.Model));
        Assert.True(after.Average(e => e.Confidence) < before.Average(e => e.Confidence) - 0.1);
    }
}
