using OpsConsole.Web.Features.Evaluation;

namespace OpsConsole.Tests.Features.Evaluation;

/// <summary>The JSON Lines reader of golden sets: each line on its own, every error named by its line.</summary>
public sealed class DatasetJsonlTests
{
    [Fact]
    public void Parse_GoodLines_CasesInOrder_BlankLinesAndCrLfSkipped()
    {
        var (cases, errors) = DatasetJsonl.Parse("{\"caseId\":\"a\",\"input\":\"q1\",\"expected\":\"x\",\"critical\":true,\"tags\":[\"refund\",\"refund\",\"vip\"]}\r\n\n  \n{\"caseId\":\"b\",\"input\":\"q2\"}");
        Assert.Empty(errors);
        Assert.Equal(["a", "b"], cases.Select(c => c.CaseId));
        Assert.Equal(("x", true), (cases[0].Expected, cases[0].Critical));
        Assert.Equal(["refund", "vip"], cases[0].Tags);
        Assert.Equal((null, false, 0), (cases[1].Expected, cases[1].Critical, cases[1].Tags.Count));
    }

    [Theory]
    [InlineData("not json", "not a JSON object")]
    [InlineData("[1,2]", "a case is a JSON object")]
    [InlineData("{\"input\":\"q\"}", "caseId is required")]
    [InlineData("{\"caseId\":\"\",\"input\":\"q\"}", "caseId is empty")]
    [InlineData("{\"caseId\":5,\"input\":\"q\"}", "caseId is a string")]
    [InlineData("{\"caseId\":\"a\"}", "input is required")]
    [InlineData("{\"caseId\":\"a\",\"input\":\"q\",\"critical\":\"yes\"}", "critical is true or false")]
    [InlineData("{\"caseId\":\"a\",\"input\":\"q\",\"tags\":\"x\"}", "tags is an array")]
    [InlineData("{\"caseId\":\"a\",\"input\":\"q\",\"tags\":[\"\"]}", "a tag is a string")]
    [InlineData("{\"caseId\":\"a\",\"input\":\"q\",\"extra\":1}", "unknown member 'extra'")]
    [InlineData("{\"caseId\":\"a\",\"caseId\":\"b\",\"input\":\"q\"}", "not a JSON object")]
    [InlineData("{\"caseId\":\"\\ud800\",\"input\":\"q\"}", "caseId is a string of valid text")]
    [InlineData("{\"caseId\":\"a\\u0007\",\"input\":\"q\"}", "control characters")]
    public void Parse_BadLine_NamedByNumber_OthersStillRead(string bad, string error)
    {
        var (cases, errors) = DatasetJsonl.Parse("{\"caseId\":\"first\",\"input\":\"q\"}\n" + bad + "\n{\"caseId\":\"last\",\"input\":\"q\"}");
        var e = Assert.Single(errors);
        Assert.Equal(2, e.Line);
        Assert.Contains(error, e.Error);
        Assert.Equal(["first", "last"], cases.Select(c => c.CaseId));
    }

    [Fact]
    public void Parse_DuplicateCaseId_LaterLineRefusedNamingTheFirst()
    {
        var (_, errors) = DatasetJsonl.Parse("{\"caseId\":\"a\",\"input\":\"1\"}\n{\"caseId\":\"b\",\"input\":\"2\"}\n{\"caseId\":\"a\",\"input\":\"3\"}");
        var e = Assert.Single(errors);
        Assert.Equal((3, "caseId 'a' is already on line 1."), (e.Line, e.Error));
    }

    [Fact]
    public void Parse_EmptyHugeOrTooMany_Refused()
    {
        Assert.Contains("no cases", Assert.Single(DatasetJsonl.Parse("\n\n").Errors).Error);
        var huge = "{\"caseId\":\"a\",\"input\":\"" + new string('x', DatasetJsonl.MaxTextLength + 1) + "\"}";
        Assert.Contains("at most", Assert.Single(DatasetJsonl.Parse(huge).Errors).Error);
        var many = string.Join('\n', Enumerable.Range(0, DatasetJsonl.MaxCases + 1).Select(i => $"{{\"caseId\":\"c{i}\",\"input\":\"q\"}}"));
        Assert.Contains("at most 10,000 cases", Assert.Single(DatasetJsonl.Parse(many).Errors).Error);
    }

    [Fact]
    public void Parse_ManyBadLines_ListsAtMostAHundred()
    {
        var (_, errors) = DatasetJsonl.Parse(string.Join('\n', Enumerable.Repeat("x", 500)));
        Assert.Equal(DatasetJsonl.MaxErrorsListed, errors.Count);
    }

    [Fact]
    public void Write_ThenParse_SameCases_UnicodeAndQuotesIntact()
    {
        DatasetCase[] cases =
        [
            new("c-1", "Customer asks: \"where is my refund?\"\nLine two 😀", "Refunds take 5 days.", true, ["refund"]),
            new("c-2", "Ünïcödé \\ backslash \u2028 separator", null, false, []),
        ];
        var (read, errors) = DatasetJsonl.Parse(DatasetJsonl.Write(cases));
        Assert.Empty(errors);
        Assert.Equal(cases.Length, read.Count);
        for (var i = 0; i < cases.Length; i++)
        {
            Assert.Equal((cases[i].CaseId, cases[i].Input, cases[i].Expected, cases[i].Critical), (read[i].CaseId, read[i].Input, read[i].Expected, read[i].Critical));
            Assert.Equal(cases[i].Tags, read[i].Tags);
        }
    }

    [Theory]
    [InlineData("golden", true)]
    [InlineData("golden-v2_set.1", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("../etc", false)]
    public void CheckName_AllowsOnlySafeNames(string name, bool ok) => Assert.Equal(ok, DatasetJsonl.CheckName(name) is null);
}
