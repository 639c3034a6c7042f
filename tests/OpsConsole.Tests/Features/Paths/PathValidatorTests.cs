using System.Globalization;
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
    [InlineData("-0.01")]
    [InlineData("100.01")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("∞")]
    [InlineData("1e2")]
    [InlineData("1,5")]
    [InlineData("1.2.3")]
    [InlineData("abc")]
    [InlineData("0x10")]
    public void Validate_SharesOutOfRangeOrNotANumber_Errors(string value)
    {
        var input = Valid();
        input.ConfidenceThreshold = value;
        input.QaSamplePercent = value;
        input.Slo.QualityTargetPercent = value;
        input.Gates.MinQualityPercent = value;
        var errors = PathValidator.Validate(input, isNew: true);
        Assert.Contains(nameof(PathInput.ConfidenceThreshold), errors.Keys);
        Assert.Contains(nameof(PathInput.QaSamplePercent), errors.Keys);
        Assert.Contains("Slo.QualityTargetPercent", errors.Keys);
        Assert.Contains("Gates.MinQualityPercent", errors.Keys);
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
        input.ContextSources = [new() { Name = "ok", SystemOfRecord = "crm", FreshnessSloMinutes = "5" }, new() { Name = "", SystemOfRecord = "", FreshnessSloMinutes = "0" }];
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
        input.Slo.P95LatencyMs = "0";
        input.Slo.CostPerRequestUsd = "-1";
        input.Gates.MinDecidedReviews = "-1";
        input.Gates.MaxP95LatencyMs = "-5";
        input.ReviewSlaMinutes = "0";
        var errors = PathValidator.Validate(input, isNew: true);
        Assert.Contains("Slo.P95LatencyMs", errors.Keys);
        Assert.Contains("Slo.CostPerRequestUsd", errors.Keys);
        Assert.Contains("Gates.MinDecidedReviews", errors.Keys);
        Assert.Contains("Gates.MaxP95LatencyMs", errors.Keys);
        Assert.Contains(nameof(PathInput.ReviewSlaMinutes), errors.Keys);
    }

    [Theory]
    [MemberData(nameof(PathNumberCases.Refused), MemberType = typeof(PathNumberCases))]
    public void Validate_NumberOutsideItsRange_RefusedAtThatFieldNamingTheRange(string field, string? text, string range)
    {
        var input = PathNumberCases.Valid();
        PathNumberCases.Fields[field](input, text);

        var errors = PathValidator.Validate(input, isNew: true);

        Assert.Equal(new[] { field }, errors.Keys);
        Assert.Contains(range, errors[field]);
    }

    [Theory]
    [InlineData(nameof(PathInput.ConfidenceThreshold), "0")]
    [InlineData(nameof(PathInput.ConfidenceThreshold), "1")]
    [InlineData(nameof(PathInput.ConfidenceThreshold), " 0.85 ")]
    [InlineData(nameof(PathInput.QaSamplePercent), "100")]
    [InlineData(nameof(PathInput.QaSamplePercent), "12.5 %")]
    [InlineData(nameof(PathInput.ReviewSlaMinutes), "43200")]
    [InlineData(nameof(PathInput.ReviewSlaMinutes), "90.0")]
    [InlineData("Drift.CurrentWindowHours", "168")]
    [InlineData("Drift.LatencyRatioAlert", "1.01")]
    [InlineData("Drift.CostRatioAlert", "100")]
    [InlineData("Drift.ContainToPercent", "0")]
    [InlineData("Drift.ContainToPercent", "")]
    [InlineData("Slo.P95LatencyMs", "3600000")]
    [InlineData("Slo.P95LatencyMs", "")]
    [InlineData("Slo.CostPerRequestUsd", "0")]
    [InlineData("Slo.CostPerRequestUsd", null)]
    [InlineData("Slo.QualityTargetPercent", "1.5")]
    [InlineData("Slo.QualityTargetPercent", "+85")]
    [InlineData("Slo.MaxErrorRatePercent", "0")]
    [InlineData("Slo.MaxStaleContextRatePercent", "100")]
    [InlineData("Slo.MaxStaleContextRatePercent", "")]
    [InlineData("Gates.MinDecidedReviews", "0")]
    [InlineData("Gates.MinQualityPercent", "99.99")]
    [InlineData("Gates.MaxP95LatencyMs", "1")]
    [InlineData("Gates.MaxCostPerRequestUsd", "1000")]
    [InlineData("Gates.MaxErrorRatePercent", ".5")]
    [InlineData("ContextSources[0].FreshnessSloMinutes", "525600")]
    public void Validate_NumberInItsRange_Accepted(string field, string? text)
    {
        var input = PathNumberCases.Valid();
        PathNumberCases.Fields[field](input, text);
        Assert.Empty(PathValidator.Validate(input, isNew: true));
    }

    [Fact]
    public void Validate_EveryNumberHasRefusedCases() =>
        Assert.Equal(PathNumberCases.Fields.Keys.Order(), PathNumberCases.RefusedCases().Select(c => c.Field).Distinct().Order());

    [Theory]
    [InlineData("85", 0.85)]
    [InlineData("1.5", 0.015)]
    [InlineData("0.5", 0.005)]
    [InlineData("100", 1.0)]
    [InlineData("0", 0.0)]
    [InlineData("33.3", 0.333)]
    [InlineData("99.99", 0.9999)]
    [InlineData("12.345678", 0.12345678)]
    [InlineData("7 %", 0.07)]
    public void ApplyTo_PercentageTyped_StoredAsFractionAndReloadedAsTyped(string typed, double stored)
    {
        var input = PathNumberCases.Valid();
        input.QaSamplePercent = input.Slo.QualityTargetPercent = input.Slo.MaxErrorRatePercent = input.Slo.MaxStaleContextRatePercent = input.Gates.MinQualityPercent = input.Gates.MaxErrorRatePercent = typed;
        Assert.Empty(PathValidator.Validate(input, isNew: true));

        var path = new OperatingPath();
        input.ApplyTo(path);

        double?[] fractions = [path.QaSampleRate, path.Slo.QualityTarget, path.Slo.MaxErrorRate, path.Slo.MaxStaleContextRate, path.Gates.MinQuality, path.Gates.MaxErrorRate];
        Assert.All(fractions, f => Assert.Equal(stored, f!.Value, 12));
        var reloaded = PathInput.From(OperatingPathView.From(path));
        string?[] shown = [reloaded.QaSamplePercent, reloaded.Slo.QualityTargetPercent, reloaded.Slo.MaxErrorRatePercent, reloaded.Slo.MaxStaleContextRatePercent, reloaded.Gates.MinQualityPercent, reloaded.Gates.MaxErrorRatePercent];
        Assert.All(shown, s => Assert.Equal(typed.TrimEnd('%', ' '), s));
    }

    [Fact]
    public void From_StoredFractions_ShownAsPercentagesWithoutBinaryNoise()
    {
        var path = new OperatingPath { QaSampleRate = 0.07, Slo = new() { QualityTarget = 0.85, MaxErrorRate = 0.0001 }, Gates = new() { MinQuality = 0.29, MaxErrorRate = 0.57 } };
        var input = PathInput.From(OperatingPathView.From(path));
        Assert.Equal(new[] { "7", "85", "0.01", "29", "57" }, new[] { input.QaSamplePercent, input.Slo.QualityTargetPercent, input.Slo.MaxErrorRatePercent, input.Gates.MinQualityPercent, input.Gates.MaxErrorRatePercent });
        Assert.Equal("0.7", PathInput.From(OperatingPathView.From(new OperatingPath { ConfidenceThreshold = 0.7 })).ConfidenceThreshold);
        Assert.Equal("0.00001", PathInput.From(OperatingPathView.From(new OperatingPath { Slo = new() { CostPerRequestUsd = 0.00001 } })).Slo.CostPerRequestUsd);
    }

    [Fact]
    public void Validate_SelectsOutOfTheirChoices_Refused()
    {
        var input = PathNumberCases.Valid();
        input.ReviewersPerItem = 4;
        input.Drift.IntervalMinutes = 7;
        var errors = PathValidator.Validate(input, isNew: true);
        Assert.Equal(new[] { "Drift.IntervalMinutes", nameof(PathInput.ReviewersPerItem) }, errors.Keys.Order());
    }

    [Theory]
    [InlineData(0.85, "85 %")]
    [InlineData(0.855, "85.5 %")]
    [InlineData(0.29, "29 %")]
    [InlineData(0.005, "0.5 %")]
    [InlineData(1.0, "100 %")]
    public void PercentShow_StoredFraction_ReadAsThePercentageTyped(double fraction, string shown)
    {
        var culture = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        try
        {
            Assert.Equal(shown, Percent.Show(fraction));
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }
}
