using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Tests.Features.Paths;

public class PathValidatorTests
{
    private static PathInput Valid() => new() { Slug = "ticket-triage", Name = "Ticket triage", OwnerIds = ["u1"] };

    [Fact]
    public void Validate_ValidInput_NoErrors() => Assert.Empty(PathValidator.Validate(Valid(), isNew: true));

    [Theory]
    [InlineData("a")]
    [InlineData("-starts-with-hyphen")]
    [InlineData("Has-Upper")]
    [InlineData("has space")]
    [InlineData("has_underscore")]
    [InlineData("new")]
    [InlineData("")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234")]
    public void Validate_BadSlug_SlugError(string slug)
    {
        var input = Valid();
        input.Slug = slug;
        Assert.Contains(nameof(PathInput.Slug), PathValidator.Validate(input, isNew: true).Keys);
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("0-path")]
    [InlineData("a23456789012345678901234567890123456789012345678901234567890123")]
    public void Validate_GoodSlug_NoSlugError(string slug)
    {
        var input = Valid();
        input.Slug = slug;
        Assert.DoesNotContain(nameof(PathInput.Slug), PathValidator.Validate(input, isNew: true).Keys);
    }

    [Fact]
    public void Validate_Editing_SlugNotChecked()
    {
        var input = Valid();
        input.Slug = "";
        Assert.Empty(PathValidator.Validate(input, isNew: false));
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Validate_ThresholdsOutOfRange_Errors(double value)
    {
        var input = Valid();
        input.ConfidenceThreshold = value;
        input.QaSampleRate = value;
        input.Slo.QualityTarget = value;
        input.Gates.MinQuality = value;
        var errors = PathValidator.Validate(input, isNew: true);
        Assert.Contains(nameof(PathInput.ConfidenceThreshold), errors.Keys);
        Assert.Contains(nameof(PathInput.QaSampleRate), errors.Keys);
        Assert.Contains("Slo.QualityTarget", errors.Keys);
        Assert.Contains("Gates.MinQuality", errors.Keys);
    }

    [Fact]
    public void Validate_NoOwner_ClearMessage()
    {
        var input = Valid();
        input.OwnerIds = [];
        Assert.Equal("A path needs at least one owner.", PathValidator.Validate(input, isNew: true)[nameof(PathInput.OwnerIds)]);
    }

    [Fact]
    public void Validate_ListProblems_Errors()
    {
        var input = Valid();
        input.ReasonTags = ["spam", "SPAM"];
        input.Boundaries.MayRead = [" "];
        input.Boundaries.MayWrite = [new string('x', 201)];
        input.Boundaries.MayTrigger = Enumerable.Range(0, 51).Select(i => $"t{i}").ToList();
        var errors = PathValidator.Validate(input, isNew: true);
        Assert.Equal("Entries must be unique.", errors[nameof(PathInput.ReasonTags)]);
        Assert.Equal("Entries cannot be empty.", errors["Boundaries.MayRead"]);
        Assert.Contains("200", errors["Boundaries.MayWrite"]);
        Assert.Contains("50", errors["Boundaries.MayTrigger"]);
    }

    [Fact]
    public void Validate_ContextSourceIncomplete_ErrorsOnThatRow()
    {
        var input = Valid();
        input.ContextSources = [new() { Name = "ok", SystemOfRecord = "crm", FreshnessSloMinutes = 5 }, new() { Name = "", SystemOfRecord = "", FreshnessSloMinutes = 0 }];
        var errors = PathValidator.Validate(input, isNew: true);
        Assert.Contains("ContextSources[1].Name", errors.Keys);
        Assert.Contains("ContextSources[1].SystemOfRecord", errors.Keys);
        Assert.Contains("ContextSources[1].FreshnessSloMinutes", errors.Keys);
        Assert.DoesNotContain("ContextSources[0].Name", errors.Keys);
    }

    [Fact]
    public void Validate_NegativeSloAndGates_Errors()
    {
        var input = Valid();
        input.Slo.P95LatencyMs = 0;
        input.Slo.CostPerRequestUsd = -1;
        input.Gates.MinDecidedReviews = -1;
        input.Gates.MaxP95LatencyMs = -5;
        input.ReviewSlaMinutes = 0;
        var errors = PathValidator.Validate(input, isNew: true);
        Assert.Contains("Slo.P95LatencyMs", errors.Keys);
        Assert.Contains("Slo.CostPerRequestUsd", errors.Keys);
        Assert.Contains("Gates.MinDecidedReviews", errors.Keys);
        Assert.Contains("Gates.MaxP95LatencyMs", errors.Keys);
        Assert.Contains(nameof(PathInput.ReviewSlaMinutes), errors.Keys);
    }
}
