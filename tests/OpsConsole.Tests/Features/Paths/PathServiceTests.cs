using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Infrastructure;

namespace OpsConsole.Tests.Features.Paths;

[Trait("Category", "Integration")]
public sealed class PathServiceTests : IntegrationTest
{
    private PathService _paths = null!;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _paths = Factory.Services.GetRequiredService<PathService>();
        // A path only owner2 owns and nobody reviews: the "someone else's path" case.
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var created = await _paths.CreateAsync(new PathInput
        {
            Slug = "owner2-only",
            Name = "Owner 2 only",
            OwnerIds = [await Principals.IdOfAsync(Factory, TestUsers.Owner2)],
        }, admin, CancellationToken.None);
        Assert.True(created.Succeeded);
    }


    private async Task<(PathInput Input, DateTime Version)> LoadAsync(string slug)
    {
        var detail = (await _paths.GetAsync(slug, CancellationToken.None))!;
        return (PathInput.From(detail.Path), detail.Path.UpdatedAt);
    }

    /// <summary>The secret as stored: no view carries it.</summary>
    private Task<string?> StoredSecretAsync(string slug) =>
        Db.QueryAsync(Factory, db => db.Paths.Where(p => p.Slug == slug).Select(p => p.WebhookSecret).SingleAsync());

    [Fact]
    public async Task Update_ByOwner_SavesAndAuditsBeforeAfter()
    {
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var (input, version) = await LoadAsync("ticket-triage");
        input.ConfidenceThreshold = "0.65";
        input.ReasonTags.Add("duplicate");

        var result = await _paths.UpdateAsync("ticket-triage", input, version, owner, CancellationToken.None);

        Assert.True(result.Succeeded);
        var saved = (await _paths.GetAsync("ticket-triage", CancellationToken.None))!.Path;
        Assert.Equal(0.65, saved.ConfidenceThreshold);
        Assert.Contains("duplicate", saved.ReasonTags);
        var entry = await Db.QueryAsync(Factory, db => db.AuditEntries.OrderByDescending(e => e.Id).FirstAsync());
        Assert.Equal(("path.update", "ticket-triage", TestUsers.Owner), (entry.Action, entry.PathSlug, entry.ActorName));
        Assert.Contains("\"confidenceThreshold\":0.6", entry.BeforeJson);
        Assert.Contains("\"confidenceThreshold\":0.65", entry.AfterJson);
        Assert.Contains(TestUsers.Owner2, entry.AfterJson);
    }

    /// <summary>Hangfire's view of one recurring job: its cron, or null when none is registered.</summary>
    private string? CronOf(string jobId)
    {
        using var connection = Factory.Services.GetRequiredService<Hangfire.JobStorage>().GetConnection();
        return Hangfire.Storage.StorageConnectionExtensions.GetRecurringJobs(connection).FirstOrDefault(j => j.Id == jobId)?.Cron;
    }

    [Fact]
    public async Task CreateAndUpdate_ScheduleTheDriftCheckAtOnce_WithThePathsInterval()
    {
        // Created in InitializeAsync: its check is on the schedule without a restart.
        Assert.Equal("*/15 * * * *", CronOf("drift-check:owner2-only"));
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var (input, version) = await LoadAsync("ticket-triage");
        input.Drift.IntervalMinutes = 5;

        Assert.True((await _paths.UpdateAsync("ticket-triage", input, version, owner, CancellationToken.None)).Succeeded);

        Assert.Equal("*/5 * * * *", CronOf("drift-check:ticket-triage"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(45)]
    [InlineData(120)]
    public async Task Update_IntervalThatDoesNotDivideTheHour_RefusedScheduleUnchanged(int minutes)
    {
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var (input, version) = await LoadAsync("ticket-triage");
        input.Drift.IntervalMinutes = minutes;

        var result = await _paths.UpdateAsync("ticket-triage", input, version, owner, CancellationToken.None);

        Assert.Contains("1, 5, 10, 15, 30 or 60", result.Problems["Drift.IntervalMinutes"]);
        Assert.Equal("*/15 * * * *", CronOf("drift-check:ticket-triage"));
    }

    // Stored encrypted (WebhookSecretAtRestTests reads the raw row); what it opens to is what the owner typed.
    private string Reveal(string? stored) =>
        Factory.Services.GetRequiredService<OpsConsole.Web.Infrastructure.Security.SecretProtector>()
            .Unprotect(OpsConsole.Web.Infrastructure.Security.SecretKind.WebhookSecret, Assert.IsType<string>(stored));

    [Fact]
    public async Task WebhookSecret_NeverLoadedIntoTheForm_EmptyKeepsIt_NewReplacesIt_NotInTheAudit()
    {
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var (input, version) = await LoadAsync("ticket-triage");
        input.WebhookUrl = "https://hooks.example.org/ops";
        input.WebhookSecret = "first-secret-0123456789";
        Assert.True((await _paths.UpdateAsync("ticket-triage", input, version, owner, CancellationToken.None)).Succeeded);

        (input, version) = await LoadAsync("ticket-triage");
        Assert.Null(input.WebhookSecret); // the edit form never holds the stored secret
        Assert.True(input.HasStoredWebhookSecret);
        input.Name = "Ticket triage (renamed)";
        Assert.True((await _paths.UpdateAsync("ticket-triage", input, version, owner, CancellationToken.None)).Succeeded);
        Assert.Equal("first-secret-0123456789", Reveal(await StoredSecretAsync("ticket-triage")));

        (input, version) = await LoadAsync("ticket-triage");
        input.WebhookSecret = "second-secret-0123456789";
        Assert.True((await _paths.UpdateAsync("ticket-triage", input, version, owner, CancellationToken.None)).Succeeded);
        Assert.Equal("second-secret-0123456789", Reveal(await StoredSecretAsync("ticket-triage")));

        var audit = await Db.QueryAsync(Factory, db => db.AuditEntries.Where(e => e.Action == "path.update").Select(e => e.BeforeJson + e.AfterJson).ToListAsync());
        Assert.All(audit, json => Assert.DoesNotContain("secret-0123456789", json));
        Assert.Contains(audit, json => json.Contains("\"webhookSecretSet\":true"));
    }

    [Fact]
    public async Task WebhookUrl_WithoutAnySecret_RefusedNothingSaved()
    {
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var (input, version) = await LoadAsync("ticket-triage");
        input.WebhookUrl = "https://hooks.example.org/ops";

        var result = await _paths.UpdateAsync("ticket-triage", input, version, owner, CancellationToken.None);

        Assert.Contains("16–200 characters", result.Problems[nameof(PathInput.WebhookSecret)]);
        Assert.Null((await _paths.GetAsync("ticket-triage", CancellationToken.None))!.Path.WebhookUrl);
        input.WebhookSecret = "too-short";
        Assert.Contains("16–200 characters", (await _paths.UpdateAsync("ticket-triage", input, version, owner, CancellationToken.None)).Problems[nameof(PathInput.WebhookSecret)]);
    }

    [Fact]
    public async Task Update_ByOwnerOfOtherPath_Refused()
    {
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var (input, version) = await LoadAsync("owner2-only");
        input.Name = "Hijacked";

        var result = await _paths.UpdateAsync("owner2-only", input, version, owner, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Contains("owner of this path", result.Problems[CommandResult.FormKey]);
        Assert.Equal("Owner 2 only", (await _paths.GetAsync("owner2-only", CancellationToken.None))!.Path.Name);
    }

    [Theory]
    [InlineData(TestUsers.OnCall)]
    [InlineData(TestUsers.Viewer)]
    [InlineData(TestUsers.Reviewer)]
    public async Task Update_ByNonOwnerRole_Refused(string email)
    {
        var user = await Principals.ForAsync(Factory, email);
        var (input, version) = await LoadAsync("ticket-triage");
        var result = await _paths.UpdateAsync("ticket-triage", input, version, user, CancellationToken.None);
        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task Update_DifferentSlugInInput_SlugUnchanged()
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var (input, version) = await LoadAsync("ticket-triage");
        input.Slug = "renamed";

        Assert.True((await _paths.UpdateAsync("ticket-triage", input, version, admin, CancellationToken.None)).Succeeded);
        Assert.NotNull(await _paths.GetAsync("ticket-triage", CancellationToken.None));
        Assert.Null(await _paths.GetAsync("renamed", CancellationToken.None));
    }

    [Fact]
    public async Task Update_StaleVersion_RefusedWithReloadMessage()
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var (first, version) = await LoadAsync("support-reply-draft");
        var (second, _) = await LoadAsync("support-reply-draft");
        first.Name = "First editor";
        Assert.True((await _paths.UpdateAsync("support-reply-draft", first, version, admin, CancellationToken.None)).Succeeded);

        second.Name = "Second editor";
        var result = await _paths.UpdateAsync("support-reply-draft", second, version, admin, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Contains("Reload", result.Problems[CommandResult.FormKey]);
        Assert.Equal("First editor", (await _paths.GetAsync("support-reply-draft", CancellationToken.None))!.Path.Name);
    }

    [Fact]
    public async Task Update_EveryNumberOutOfRange_RefusedAtItsFieldNothingSaved()
    {
        // A submit crafted past the form reaches the same rules: refused at the field, never clamped.
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var (_, version) = await LoadAsync("support-reply-draft");
        var problems = new List<string>();
        foreach (var (field, text, range) in PathNumberCases.RefusedCases())
        {
            var (input, _) = await LoadAsync("support-reply-draft");
            PathNumberCases.Fields[field](input, text);
            var result = await _paths.UpdateAsync("support-reply-draft", input, version, admin, CancellationToken.None);
            if (result.Problems.Count != 1 || !result.Problems.TryGetValue(field, out var message) || !message.Contains(range))
            {
                problems.Add($"{field} = '{text}': {string.Join("; ", result.Problems.Select(e => $"{e.Key}: {e.Value}"))}");
            }
        }

        Assert.Empty(problems);
        Assert.Equal(version, (await _paths.GetAsync("support-reply-draft", CancellationToken.None))!.Path.UpdatedAt);
        Assert.False(await Db.QueryAsync(Factory, db => db.AuditEntries.AnyAsync(e => e.Action == "path.update")));
    }

    [Fact]
    public async Task Update_PercentagesTyped_StoredAsFractionsReloadedAsTypedAuditedAsStored()
    {
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var (input, version) = await LoadAsync("ticket-triage");
        input.QaSamplePercent = "12.5";
        input.Slo.QualityTargetPercent = "85";
        input.Slo.MaxErrorRatePercent = "1.5";
        input.Gates.MinQualityPercent = "92.5";
        input.Gates.MaxErrorRatePercent = "0.5";
        input.Drift.ContainToPercent = "10";

        Assert.True((await _paths.UpdateAsync("ticket-triage", input, version, owner, CancellationToken.None)).Succeeded);

        var saved = (await _paths.GetAsync("ticket-triage", CancellationToken.None))!.Path;
        Assert.Equal((0.125, 0.85, 0.015, 0.925, 0.005, 10), (saved.QaSampleRate, saved.Slo.QualityTarget, saved.Slo.MaxErrorRate, saved.Gates.MinQuality, saved.Gates.MaxErrorRate, saved.Drift.ContainToPercent));
        var reloaded = PathInput.From(saved);
        Assert.Equal(("12.5", "85", "1.5", "92.5", "0.5", "10"),
            (reloaded.QaSamplePercent, reloaded.Slo.QualityTargetPercent, reloaded.Slo.MaxErrorRatePercent, reloaded.Gates.MinQualityPercent, reloaded.Gates.MaxErrorRatePercent, reloaded.Drift.ContainToPercent));
        var entry = await Db.QueryAsync(Factory, db => db.AuditEntries.OrderByDescending(e => e.Id).FirstAsync());
        Assert.Contains("\"qualityTarget\":0.9,", entry.BeforeJson);
        Assert.Contains("\"qualityTarget\":0.85,", entry.AfterJson);
        Assert.Contains("\"qaSampleRate\":0.125,", entry.AfterJson);
    }

    [Fact]
    public async Task Create_PercentageOutOfRange_RefusedNothingCreated_SmallPercentageNotRescaled()
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var input = new PathInput { Slug = "numbers", Name = "Numbers", OwnerIds = [await Principals.IdOfAsync(Factory, TestUsers.Owner)] };
        input.Slo.QualityTargetPercent = "150";

        var refused = await _paths.CreateAsync(input, admin, CancellationToken.None);

        Assert.Equal("Quality target must be a percentage from 0 to 100, or empty.", refused.Problems["Slo.QualityTargetPercent"]);
        Assert.Null(await _paths.GetAsync("numbers", CancellationToken.None));
        input.Slo.QualityTargetPercent = "0.9";
        Assert.True((await _paths.CreateAsync(input, admin, CancellationToken.None)).Succeeded);
        Assert.Equal(0.009, (await _paths.GetAsync("numbers", CancellationToken.None))!.Path.Slo.QualityTarget!.Value, 12);
    }

    [Fact]
    public async Task Update_InvalidInput_NothingChanged()
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var (input, version) = await LoadAsync("ticket-triage");
        input.ConfidenceThreshold = "3";
        input.OwnerIds = [];
        var result = await _paths.UpdateAsync("ticket-triage", input, version, admin, CancellationToken.None);
        Assert.Equal(2, result.Problems.Count);
        Assert.Equal(0.60, (await _paths.GetAsync("ticket-triage", CancellationToken.None))!.Path.ConfidenceThreshold);
    }

    [Fact]
    public async Task Create_ByNonAdmin_Refused()
    {
        var owner = await Principals.ForAsync(Factory, TestUsers.Owner);
        var result = await _paths.CreateAsync(new PathInput { Slug = "sneaky", Name = "Sneaky", OwnerIds = [await Principals.IdOfAsync(Factory, TestUsers.Owner)] }, owner, CancellationToken.None);
        Assert.False(result.Succeeded);
        Assert.Null(await _paths.GetAsync("sneaky", CancellationToken.None));
    }

    [Fact]
    public async Task Create_DuplicateSlug_SlugError()
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var result = await _paths.CreateAsync(new PathInput { Slug = "ticket-triage", Name = "Again", OwnerIds = [await Principals.IdOfAsync(Factory, TestUsers.Owner)] }, admin, CancellationToken.None);
        Assert.Contains("already exists", result.Problems[nameof(PathInput.Slug)]);
    }

    [Fact]
    public async Task Create_OwnerWithoutOwnerRole_PeopleError()
    {
        var admin = await Principals.ForAsync(Factory, TestUsers.Admin);
        var result = await _paths.CreateAsync(new PathInput { Slug = "viewer-owned", Name = "x", OwnerIds = [await Principals.IdOfAsync(Factory, TestUsers.Viewer)] }, admin, CancellationToken.None);
        Assert.Contains("PathOwner", result.Problems[nameof(PathInput.OwnerIds)]);
    }

    [Fact]
    public async Task Pages_OwnerOfOtherPath_EditForbidden_ReviewerUnassigned_ViewForbidden()
    {
        var owner = await SignIn.AsAsync(Factory, TestUsers.Owner);
        var edit = await owner.GetAsync("/paths/owner2-only/edit", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, edit.StatusCode);
        Assert.Contains("/account/access-denied", edit.Headers.Location!.ToString());
        Assert.Contains("policy=PathEdit", edit.Headers.Location!.ToString());

        var owner2 = await SignIn.AsAsync(Factory, TestUsers.Owner2);
        Assert.Equal(HttpStatusCode.OK, (await owner2.GetAsync("/paths/owner2-only/edit", TestContext.Current.CancellationToken)).StatusCode);

        var reviewer = await SignIn.AsAsync(Factory, TestUsers.Reviewer);
        var view = await reviewer.GetAsync("/paths/owner2-only", TestContext.Current.CancellationToken);
        Assert.Contains("/account/access-denied", view.Headers.Location!.ToString());
        var list = await reviewer.GetStringAsync("/paths", TestContext.Current.CancellationToken);
        Assert.DoesNotContain("owner2-only", list);
        Assert.Contains("ticket-triage", list);
    }

    [Fact]
    public async Task AccessDeniedPage_NamesTheRoleNeeded_With403()
    {
        var viewer = await SignIn.AsAsync(Factory, TestUsers.Viewer);
        var redirect = await viewer.GetAsync("/paths/ticket-triage/edit", TestContext.Current.CancellationToken);
        var page = await viewer.GetAsync(redirect.Headers.Location, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("PathOwner listed as an owner of this path", WebUtility.HtmlDecode(html));
    }
}
