using OpsConsole.Web.Infrastructure;

namespace OpsConsole.Tests.Infrastructure;

public sealed class CommandResultTests
{
    [Fact]
    public void Ok_Succeeded_NoErrorNoProblems()
    {
        var ok = CommandResult.Ok();
        Assert.True(ok.Succeeded);
        Assert.Null(ok.Error);
        Assert.Empty(ok.FieldErrors);
        Assert.Empty(ok.Problems);
        Assert.False(ok.ChangedMeanwhile);
    }

    [Fact]
    public void Fail_RefusedWithTheSentence_AFormShowsItAsAWholeFormProblem()
    {
        var refused = CommandResult.Fail("Only an Admin can create a path.");
        Assert.False(refused.Succeeded);
        Assert.Equal("Only an Admin can create a path.", refused.Error);
        Assert.Empty(refused.FieldErrors);
        Assert.Equal(new Dictionary<string, string> { [CommandResult.FormKey] = "Only an Admin can create a path." }, refused.Problems);
        Assert.False(refused.ChangedMeanwhile);
    }

    [Fact]
    public void Invalid_FieldsInTheirOrder_ErrorJoinsTheirMessages()
    {
        var input = new Dictionary<string, string> { ["Slug"] = "Use lower-case letters.", ["Name"] = "Give it a name." };
        var refused = CommandResult.Invalid(input);
        input.Clear(); // the result keeps its own copy

        Assert.False(refused.Succeeded);
        Assert.Equal(["Slug", "Name"], refused.FieldErrors.Keys);
        Assert.Equal("Use lower-case letters. Give it a name.", refused.Error);
        Assert.Same(refused.FieldErrors, refused.Problems);
        Assert.Equal("Give it a name.", CommandResult.Invalid("Name", "Give it a name.").FieldErrors["Name"]);
    }

    [Fact]
    public void Invalid_NoFieldsOrNoMessage_Throws()
    {
        Assert.Throws<ArgumentException>(() => CommandResult.Invalid(new Dictionary<string, string>()));
        Assert.Throws<ArgumentException>(() => CommandResult.Invalid("Name", " "));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Fail_WithoutAReason_Throws(string error)
    {
        Assert.Throws<ArgumentException>(() => CommandResult.Fail(error));
        Assert.Throws<ArgumentException>(() => CommandResult.Outdated(error));
        Assert.Throws<ArgumentException>(() => CommandResult<int>.Fail(error));
    }

    [Fact]
    public void Outdated_RefusedAndMarkedChangedMeanwhile()
    {
        var stale = CommandResult.Outdated("Already turned off by oncall; nothing changed.");
        Assert.False(stale.Succeeded);
        Assert.True(stale.ChangedMeanwhile);
        Assert.Equal("Already turned off by oncall; nothing changed.", stale.Error);
        Assert.True(CommandResult<long>.Outdated("moved").ChangedMeanwhile);
    }

    [Fact]
    public void Problems_ANewInstancePerRefusal_SoAFormSeesANewRefusal()
    {
        Assert.NotSame(CommandResult.Fail("Try again.").Problems, CommandResult.Fail("Try again.").Problems);
    }

    [Fact]
    public void Generic_Ok_CarriesTheValue()
    {
        var created = CommandResult<long>.Ok(42);
        Assert.True(created.Succeeded);
        Assert.Equal(42, created.Value);
        Assert.Empty(created.Problems);
    }

    [Fact]
    public void Generic_Fail_CarriesWhatTheRefusalRestsOn()
    {
        IReadOnlyList<string> failing = ["quality", "error rate"];
        var blocked = CommandResult<IReadOnlyList<string>>.Fail("2 gates fail: quality, error rate.", failing);
        Assert.False(blocked.Succeeded);
        Assert.Same(failing, blocked.Value);
        Assert.Null(CommandResult<string>.Fail("No such key.").Value);
    }

    [Fact]
    public void Generic_Invalid_FieldErrorsNoValue()
    {
        var refused = CommandResult<string>.Invalid("Name", "Give the key a name.");
        Assert.False(refused.Succeeded);
        Assert.Equal("Give the key a name.", refused.FieldErrors["Name"]);
        Assert.Null(refused.Value);
    }

    [Fact]
    public void From_ARefusal_PassedOnUnchanged()
    {
        var stale = CommandResult<IReadOnlyList<string>>.From(CommandResult.Outdated("Already applied by admin; nothing changed."));
        Assert.Equal((false, true, "Already applied by admin; nothing changed."), (stale.Succeeded, stale.ChangedMeanwhile, stale.Error));
        Assert.Null(stale.Value);

        var invalid = CommandResult<int>.From(CommandResult.Invalid("Name", "Give it a name."));
        Assert.Equal("Give it a name.", invalid.FieldErrors["Name"]);
    }

    [Fact]
    public void From_ASuccess_Throws() =>
        Assert.Throws<ArgumentException>(() => CommandResult<int>.From(CommandResult.Ok()));

    [Fact]
    public void Generic_IsACommandResult_SoOnePageHelperShowsEither()
    {
        CommandResult[] results = [CommandResult.Ok(), CommandResult<long>.Ok(7), CommandResult<long>.Fail("Nothing left to claim.")];
        Assert.Equal([true, true, false], results.Select(r => r.Succeeded));
        Assert.Equal("Nothing left to claim.", results[2].ToString());
    }
}
