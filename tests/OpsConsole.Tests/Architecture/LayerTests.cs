namespace OpsConsole.Tests.Architecture;

/// <summary>
/// The folders of the web app form layers, lowest first: a folder may use folders of its own layer
/// and of the layers below, never one above. Read from the compiled IL (see DependencyGraph), so a
/// reference hidden in a method body counts as much as one in a signature.
/// </summary>
public sealed class LayerTests
{
    /// <summary>The layer order. Each line is one layer; see README's "Repository layout".</summary>
    public static readonly string[][] Layers =
    [
        ["Data", "Infrastructure", "Infrastructure.Jobs", "Realtime", "Components.Shared"],
        ["Features.Paths", "Infrastructure.Security", "Features.Audit"],
        ["Features.Notifications", "Features.Webhooks", "Features.Sessions"],
        ["Features.ApiKeys"],
        ["Features.Decisions", "Features.Ofrep"],
        ["Features.Events"],
        ["Features.Metrics"],
        ["Features.Traces"],
        ["Features.Review"],
        ["Features.Ingestion"],
        ["Features.Otlp"],
        ["Features.Explorer", "Features.Quarantine"],
        ["Features.Controls"],
        ["Features.Incidents"],
        ["Features.Drift"],
        ["Features.Dashboards"],
        ["Features.Releases", "Features.Evaluation"],
        ["Features.Budgets"],
        ["Features.Overview", "Features.Users", "Features.Sso", "Features.Search", "Features.Reviewers", "Features.PathEditor"],
        ["Features.Demo"],
        ["Components", "Components.Layout", "Components.Pages", "Components.Account", "Host", "(root)"],
    ];

    public static int LayerOf(string folder)
    {
        for (var i = 0; i < Layers.Length; i++)
        {
            if (Layers[i].Contains(folder))
            {
                return i;
            }
        }
        return -1;
    }

    [Fact]
    public void EveryFolder_HasALayer()
    {
        var folders = DependencyGraph.All.SelectMany(e => new[] { e.From, e.To }).Distinct().Where(f => LayerOf(f) < 0).ToList();
        Assert.True(folders.Count == 0, "Folders without a layer in LayerTests.Layers: " + string.Join(", ", folders));
    }

    [Fact]
    public void NoFolder_UsesALayerAboveIt()
    {
        var upward = Upward().ToList();
        Assert.True(upward.Count == 0, "References to a higher layer:\n" + string.Join("\n", upward.Select(e => $"  {e.From} -> {e.To}: {e.FromType} uses {e.ToType}")));
    }

    /// <summary>The reader sees references inside method bodies, not only in signatures (Review counts its decisions with Metrics' code).</summary>
    [Fact]
    public void Graph_SeesReferencesInMethodBodies() =>
        Assert.Contains(DependencyGraph.All, e => e.From == "Features.Review" && e.To == "Features.Metrics" && e.ToType.EndsWith(".RollupCounting", StringComparison.Ordinal));

    private static IEnumerable<(string From, string To, string FromType, string ToType)> Upward() =>
        DependencyGraph.All.Where(e => LayerOf(e.From) >= 0 && LayerOf(e.To) > LayerOf(e.From));
}
