using OpsConsole.Web.Features.Evaluation;

namespace OpsConsole.Tests.Features.Evaluation;

/// <summary>Growing a golden set from labels, as a pure function: corrections win, duplicates collapse, negatives keep their reasons.</summary>
public sealed class DatasetFromLabelsTests
{
    private static readonly DateTime T0 = new(2026, 11, 1, 9, 0, 0, DateTimeKind.Utc);

    private static LabelSource L(long id, string input, string decision, int minute, string output = "out", string? corrected = null, params string[] tags) =>
        new(id, "e" + id, input, output, decision, corrected, tags, T0.AddMinutes(minute));

    [Fact]
    public void Approved_Corrected_Rejected_BecomeExpected_Correction_Negative()
    {
        var build = DatasetFromLabels.Build([
            L(1, "a", "approved", 0, output: "A"),
            L(2, "b", "corrected", 1, output: "B?", corrected: "B", "ocr"),
            L(3, "c", "rejected", 2, output: "C!", corrected: null, "hallucination", "tone"),
        ]);
        Assert.Equal([("e1", "A", "approved"), ("e2", "B", "corrected"), ("e3", null, "negative")],
            build.Cases.Select(c => (c.CaseId, c.Expected, c.Tags[0])));
        Assert.Equal(["negative", "hallucination", "tone"], build.Cases[2].Tags);
        Assert.Equal(["corrected", "ocr"], build.Cases[1].Tags);
        Assert.All(build.Cases, c => Assert.False(c.Critical));
        Assert.Equal((3, 0, 1, 1, 1), (build.Labels, build.Collapsed, build.Approved, build.Corrected, build.Negative));
    }

    [Fact]
    public void SameInput_CollapsesToTheLatest_AtTheSameInstantACorrectionWins()
    {
        var build = DatasetFromLabels.Build([
            L(1, "x", "approved", 0, output: "first"),
            L(2, "x", "rejected", 5),
            L(3, "x", "corrected", 9, output: "m", corrected: "latest"),
            L(4, "y", "approved", 3, output: "y-approved"),
            L(5, "y", "corrected", 3, output: "y-model", corrected: "y-corrected"),
            L(6, "y", "rejected", 3),
        ]);
        Assert.Equal([("y", "y-corrected"), ("x", "latest")], build.Cases.Select(c => (c.Input, c.Expected)));
        Assert.Equal(4, build.Collapsed);
        // Order does not matter: the same labels shuffled give the same set.
        var shuffled = DatasetFromLabels.Build([L(6, "y", "rejected", 3), L(3, "x", "corrected", 9, output: "m", corrected: "latest"), L(5, "y", "corrected", 3, output: "y-model", corrected: "y-corrected"),
            L(1, "x", "approved", 0, output: "first"), L(4, "y", "approved", 3, output: "y-approved"), L(2, "x", "rejected", 5)]);
        Assert.Equal(build.Cases.Select(c => (c.CaseId, c.Expected)), shuffled.Cases.Select(c => (c.CaseId, c.Expected)));
    }

    [Fact]
    public void NoInput_TooLong_BadTags_LeftOutOrCleaned_EachCaseValidForAFile()
    {
        var huge = new string('x', DatasetJsonl.MaxTextLength + 1);
        var manyTags = Enumerable.Range(0, 40).Select(i => "t" + i).Append("").Append(new string('t', 80)).Append("bad\u0001tag").Append("t1").ToArray();
        var build = DatasetFromLabels.Build([
            L(1, "", "approved", 0),
            new LabelSource(2, "e2", null, "o", "approved", null, [], T0),
            L(3, huge, "approved", 1),
            L(4, "ok", "corrected", 2, output: "o", corrected: huge),
            L(5, "tags", "rejected", 3, "o", null, manyTags),
        ]);
        Assert.Equal((2, 2), (build.WithoutInput, build.TooLong));
        var c = Assert.Single(build.Cases);
        Assert.Equal(DatasetJsonl.MaxTags, c.Tags.Count);
        Assert.Equal("negative", c.Tags[0]);
        Assert.Null(DatasetJsonl.Check(c));
        var (read, errors) = DatasetJsonl.Parse(DatasetJsonl.Write(build.Cases));
        Assert.Empty(errors);
        Assert.Equal(c.Tags, read[0].Tags);
    }

    [Fact]
    public void AboveTheCaseLimit_TheNewestAreKept()
    {
        var labels = Enumerable.Range(0, DatasetJsonl.MaxCases + 5).Select(i => L(i, "in-" + i, "approved", i)).ToList();
        var build = DatasetFromLabels.Build(labels);
        Assert.Equal((DatasetJsonl.MaxCases, 5), (build.Cases.Count, build.Truncated));
        Assert.Equal("e5", build.Cases[0].CaseId);
        Assert.Equal("e" + (DatasetJsonl.MaxCases + 4), build.Cases[^1].CaseId);
        Assert.Empty(DatasetFromLabels.Build([]).Cases);
    }
}
