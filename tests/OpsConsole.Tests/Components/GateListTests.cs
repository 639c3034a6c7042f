using Bunit;
using OpsConsole.Web.Features.Controls;

namespace OpsConsole.Tests.Components;

public sealed class GateListTests : ComponentTestBase
{
    [Fact]
    public void Render_GateCollectingAfterAChange_WaitingNotFailed()
    {
        var since = new DateTime(2026, 12, 2, 6, 40, 0, DateTimeKind.Utc);
        GateResult[] gates =
        [
            new("quality", false, "collecting data since 2026-12-02 06:40 UTC (needs ≥ 90.0%)", null, 0.9, "window") { CollectingSince = since },
            new("p95 latency", false, "3,100 ms (needs ≤ 2,000 ms)", 3100, 2000, "window"),
        ];

        var list = Render<GateList>(p => p.Add(x => x.Gates, gates));

        var rows = list.FindAll("[data-testid=gate]");
        Assert.Equal("collecting", rows[0].GetAttribute("data-state"));
        Assert.Contains("waiting", rows[0].TextContent);
        Assert.DoesNotContain("fail", rows[0].TextContent);
        Assert.Contains("collecting data since 2026-12-02 06:40 UTC", rows[0].TextContent);
        Assert.Equal("failed", rows[1].GetAttribute("data-state"));
        Assert.Contains("fail", rows[1].TextContent);
    }
}
