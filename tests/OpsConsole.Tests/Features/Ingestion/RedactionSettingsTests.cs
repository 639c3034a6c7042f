using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Tests.Features.Ingestion;

/// <summary>Redaction is a path setting: saved from the edit form, applied by ingestion from the next event on.</summary>
[Trait("Category", "Integration")]
public sealed class RedactionSettingsTests : IntegrationTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(PathService Paths, PathInput Input, DateTime Version)> LoadAsync()
    {
        var paths = Factory.Services.GetRequiredService<PathService>();
        var detail = (await paths.GetAsync("support-reply-draft", Ct))!;
        return (paths, PathInput.From(detail.Path), detail.Path.UpdatedAt);
    }

    [Fact]
    public async Task Update_CustomPatternAndPhones_AppliedToNextEvents()
    {
        var client = Factory.CreateClient();
        await Ingest.PostOkAsync(client, Ingest.Batch(Ingest.Event("before", input: "Account ACC-123456, call +44 20 7946 0958")));

        var (paths, input, version) = await LoadAsync();
        input.Redaction.Phones = true;
        input.Redaction.CustomPatterns.Add(@"ACC-\d{6}");
        var saved = await paths.UpdateAsync("support-reply-draft", input, version, await Principals.ForAsync(Factory, TestUsers.Owner), Ct);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Problems));
        await Ingest.PostOkAsync(client, Ingest.Batch(Ingest.Event("after", input: "Account ACC-123456, call +44 20 7946 0958")));

        var stored = await Db.QueryAsync(Factory, db => db.InferenceEvents.Where(e => e.EventId == "before" || e.EventId == "after")
            .ToDictionaryAsync(e => e.EventId, e => (e.Input, e.RedactedCount), Ct));
        Assert.Equal(("Account ACC-123456, call +44 20 7946 0958", 0), stored["before"]);
        Assert.Equal(("Account [redacted], call [phone]", 2), stored["after"]);
        var audit = await Db.QueryAsync(Factory, db => db.AuditEntries.OrderByDescending(e => e.Id).FirstAsync(Ct));
        Assert.Contains("ACC-", audit.AfterJson);
    }

    [Theory]
    [InlineData("(unclosed")]
    [InlineData(".*")]
    public async Task Update_UnusablePattern_RefusedWithReasonAndNothingSaved(string pattern)
    {
        var (paths, input, version) = await LoadAsync();
        input.Redaction.CustomPatterns.Add(pattern);
        var saved = await paths.UpdateAsync("support-reply-draft", input, version, await Principals.ForAsync(Factory, TestUsers.Owner), Ct);
        Assert.False(saved.Succeeded);
        Assert.StartsWith("Pattern 1:", saved.Problems["Redaction.CustomPatterns"]);
        Assert.Empty((await paths.GetAsync("support-reply-draft", Ct))!.Path.Redaction.CustomPatterns);
    }
}
