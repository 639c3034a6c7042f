using Microsoft.Extensions.DependencyInjection;

namespace OpsConsole.Tests.Infrastructure;

/// <summary>
/// Two consoles in one process (as the tests run them, in parallel) must not share Hangfire's
/// storage: one of them stopping would take the other's jobs and dashboard down with it.
/// </summary>
[Trait("Category", "Integration")]
public sealed class JobStorageTests
{
    [Fact]
    public async Task TwoConsoles_EachHasItsOwnJobStorage_OneStoppingLeavesTheOtherWorking()
    {
        await using var first = new OpsConsoleFactory();
        var second = new OpsConsoleFactory();
        first.CreateClient().Dispose();
        second.CreateClient().Dispose();
        var storage = first.Services.GetRequiredService<Hangfire.JobStorage>();

        Assert.NotSame(storage, second.Services.GetRequiredService<Hangfire.JobStorage>());
        await second.DisposeAsync();

        // The first console's storage still answers, and its recurring jobs are still there.
        using var connection = storage.GetConnection();
        Assert.Contains(Hangfire.Storage.StorageConnectionExtensions.GetRecurringJobs(connection), j => j.Id == "drift-check:ticket-triage");
        Assert.Same(storage, first.Services.GetRequiredService<Hangfire.JobStorage>());
    }

    [Fact]
    public async Task ConsolesStartingTogether_NeverShareAJobStorage()
    {
        var factories = Enumerable.Range(0, 4).Select(_ => new OpsConsoleFactory()).ToList();
        try
        {
            await Task.WhenAll(factories.Select(f => Task.Run(() => f.CreateClient().Dispose(), TestContext.Current.CancellationToken)));
            var storages = factories.Select(f => f.Services.GetRequiredService<Hangfire.JobStorage>()).ToList();
            Assert.Equal(storages.Count, storages.Distinct(ReferenceEqualityComparer.Instance).Count());
        }
        finally
        {
            foreach (var f in factories)
            {
                await f.DisposeAsync();
            }
        }
    }
}
