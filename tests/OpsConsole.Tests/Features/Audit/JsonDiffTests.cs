using OpsConsole.Web.Features.Audit;

namespace OpsConsole.Tests.Features.Audit;

public class JsonDiffTests
{
    [Fact]
    public void Compare_NestedAndListChanges_ReportsEachField()
    {
        var lines = JsonDiff.Compare(
            """{"name":"A","slo":{"p95":800,"q":0.9},"tags":["x","y"],"gone":1}""",
            """{"name":"A","slo":{"p95":1000,"q":0.9},"tags":["x"],"added":true}""");

        Assert.Equal(
            [
                new DiffLine("added", DiffKind.Added, null, "true"),
                new DiffLine("gone", DiffKind.Removed, "1", null),
                new DiffLine("slo.p95", DiffKind.Changed, "800", "1000"),
                new DiffLine("tags", DiffKind.Changed, "[x, y]", "[x]"),
            ],
            lines);
    }

    [Fact]
    public void Compare_CreateWithoutBefore_AllAdded()
    {
        var lines = JsonDiff.Compare(null, """{"a":1,"b":{"c":"d"}}""");
        Assert.All(lines, l => Assert.Equal(DiffKind.Added, l.Kind));
        Assert.Equal(["a", "b.c"], lines.Select(l => l.Path));
    }

    [Fact]
    public void Compare_Identical_Empty() => Assert.Empty(JsonDiff.Compare("""{"a":[{"b":1}]}""", """{"a":[{"b":1}]}"""));
}
