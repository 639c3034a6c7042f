namespace OpsConsole.Tests.Infrastructure;

/// <summary>A test class with an app of its own: a fresh database, migrated and seeded, per test.</summary>
public abstract class IntegrationTest : IAsyncLifetime
{
    protected OpsConsoleFactory Factory { get; } = new();

    public virtual ValueTask InitializeAsync()
    {
        // Creating a client starts the host: migrations and demo seeding run now, not mid-test.
        Factory.CreateClient().Dispose();
        return ValueTask.CompletedTask;
    }

    public virtual ValueTask DisposeAsync() => Factory.DisposeAsync();
}
