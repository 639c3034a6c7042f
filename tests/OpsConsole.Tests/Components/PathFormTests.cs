using Bunit;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure.Security;
using OpsConsole.Web.Features.PathEditor;

namespace OpsConsole.Tests.Components;

public class PathFormTests : ComponentTestBase
{
    private static readonly IReadOnlyList<UserOption> Users =
    [
        new("o1", "owner@opsconsole.local", "Omar", [AppRoles.PathOwner]),
        new("r1", "reviewer@opsconsole.local", "Rita", [AppRoles.Reviewer]),
    ];

    public PathFormTests() => SignedInAs(AppRoles.Admin);

    [Fact]
    public void Render_WithValidatorErrors_ShowsEachMessageAtItsField()
    {
        var input = new PathInput { Slug = "Bad Slug", ConfidenceThreshold = "2", OwnerIds = [] };
        var errors = PathValidator.Validate(input, isNew: true);

        var form = Render<PathForm>(p => p.Add(x => x.Input, input).Add(x => x.Users, Users).Add(x => x.Errors, errors).Add(x => x.IsNew, true));

        Assert.Contains($"{errors.Count} problems to fix", form.Find("[data-testid=form-error]").TextContent);
        Assert.Contains("Slug must be 2–63 characters", form.Markup);
        Assert.Contains("Confidence threshold must be a number from 0 to 1.", form.Markup);
        Assert.Contains("A path needs at least one owner.", form.Markup);
        Assert.Contains("Name is required.", form.Markup);
    }

    [Fact]
    public void Render_Editing_SlugDisabledWithExplanation()
    {
        var form = Render<PathForm>(p => p.Add(x => x.Input, new PathInput { Slug = "ticket-triage" }).Add(x => x.Users, Users).Add(x => x.IsNew, false));
        Assert.True(form.Find("#slug").HasAttribute("disabled"));
        Assert.Contains("The slug cannot change after creation.", form.Markup);
        Assert.Contains("Save changes", form.Find("[data-testid=save-path]").TextContent);
    }

    [Fact]
    public void Save_Clicked_InvokesSubmit()
    {
        var submitted = 0;
        var form = Render<PathForm>(p => p.Add(x => x.Input, new PathInput()).Add(x => x.Users, Users).Add(x => x.IsNew, true)
            .Add(x => x.OnSubmit, () => submitted++));
        form.Find("[data-testid=save-path]").Click();
        Assert.Equal(1, submitted);
    }

    [Fact]
    public void AddContextSource_Clicked_AddsARow()
    {
        var input = new PathInput();
        var form = Render<PathForm>(p => p.Add(x => x.Input, input).Add(x => x.Users, Users).Add(x => x.IsNew, true));
        Assert.Contains("No context sources.", form.Markup);
        form.FindAll("button").Single(b => b.TextContent.Contains("Add context source")).Click();
        Assert.Single(input.ContextSources);
        Assert.DoesNotContain("No context sources.", form.Markup);
    }

    [Fact]
    public void Redaction_DefaultsAndToggle_BoundToInput()
    {
        var input = new PathInput();
        var form = Render<PathForm>(p => p.Add(x => x.Input, input).Add(x => x.Users, Users).Add(x => x.IsNew, true));
        var section = form.Find("[data-testid=redaction]");
        Assert.Contains("Mask e-mail addresses", section.TextContent);
        Assert.True(input.Redaction.Emails && input.Redaction.CardNumbers && !input.Redaction.Phones);

        form.Find("input[data-testid=redact-phones], [data-testid=redact-phones] input").Change(true);
        form.Find("input[data-testid=redact-emails], [data-testid=redact-emails] input").Change(false);

        Assert.True(input.Redaction.Phones);
        Assert.False(input.Redaction.Emails);
    }

    [Fact]
    public void Redaction_PatternError_ShownAtTheField()
    {
        var input = new PathInput { Redaction = new() { CustomPatterns = ["(broken"] } };
        var errors = PathValidator.Validate(input, isNew: false);
        var form = Render<PathForm>(p => p.Add(x => x.Input, input).Add(x => x.Users, Users).Add(x => x.Errors, errors).Add(x => x.IsNew, false));
        Assert.Contains("Pattern 1: not a valid regular expression", form.Find("[data-testid=redaction]").TextContent);
    }
}
