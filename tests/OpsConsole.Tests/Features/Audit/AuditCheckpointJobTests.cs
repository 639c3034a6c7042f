using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Tests.Features.Audit;

[Trait("Category", "Integration")]
public sealed class AuditCheckpointJobTests : IAsyncLifetime
{
    private readonly CheckpointFactory _factory = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The app with a clock the test sets and the log records kept.</summary>
    private sealed class CheckpointFactory : OpsConsoleFactory
    {
        public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero));

        public LogCapture Logs { get; } = new();

        protected override void ConfigureTestServices(IServiceCollection services)
        {
            services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock));
            services.AddSingleton<ILoggerProvider>(Logs);
        }
    }

    internal sealed class LogCapture : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, LogLevel Level, IReadOnlyList<KeyValuePair<string, object?>> State)> Records { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(LogCapture capture, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                capture.Records.Enqueue((category, logLevel, state as IReadOnlyList<KeyValuePair<string, object?>> ?? []));
        }
    }

    public ValueTask InitializeAsync()
    {
        _factory.CreateClient().Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private AuditCheckpointJob Job => _factory.Services.GetRequiredService<AuditCheckpointJob>();

    private string CheckpointFile => _factory.Services.GetRequiredService<AuditChainKey>().CheckpointFile;

    private string[] Lines() => File.ReadAllLines(CheckpointFile);

    private async Task CreatePathAsync(string slug)
    {
        var paths = _factory.Services.GetRequiredService<PathService>();
        var admin = await Principals.ForAsync(_factory, TestUsers.Admin);
        var ownerId = await Principals.IdOfAsync(_factory, TestUsers.Owner);
        Assert.True((await paths.CreateAsync(new PathInput { Slug = slug, Name = slug, OwnerIds = [ownerId] }, admin, Ct)).Succeeded);
    }

    private async Task<AuditEntry> HeadAsync() => await Db.QueryAsync(_factory, db => db.AuditEntries.OrderByDescending(e => e.Id).FirstAsync(Ct));

    private IEnumerable<IReadOnlyList<KeyValuePair<string, object?>>> CheckpointLogs(LogLevel level) =>
        _factory.Logs.Records.Where(r => r.Category == typeof(AuditCheckpoints).FullName && r.Level == level).Select(r => r.State);

    [Fact]
    public async Task CheckpointJob_RunTwiceWithoutNewEntries_AppendsOneLine()
    {
        await CreatePathAsync("checkpointed");
        var before = Lines().Length;

        _factory.Clock.Advance(TimeSpan.FromMinutes(5));
        await Job.RunAsync(Ct);
        _factory.Clock.Advance(TimeSpan.FromMinutes(5));
        await Job.RunAsync(Ct);

        Assert.Equal(before + 1, Lines().Length);
        var verify = await _factory.Services.GetRequiredService<AuditService>().VerifyAsync(Ct);
        Assert.Equal("ok", verify.Status);
        Assert.Equal((await HeadAsync()).Id, verify.CheckpointId);
        Assert.Equal(new DateTime(2026, 11, 30, 8, 5, 0, DateTimeKind.Utc), verify.CheckpointAt);
    }

    [Fact]
    public async Task CheckpointJob_NewHead_LogsItsIdAndMac()
    {
        await CreatePathAsync("logged");
        await Job.RunAsync(Ct);

        var head = await HeadAsync();
        Assert.Contains(CheckpointLogs(LogLevel.Information), s =>
            s.Any(kv => kv is { Key: "AuditEntryId", Value: long id } && id == head.Id) &&
            s.Any(kv => kv is { Key: "AuditEntryMac", Value: string mac } && mac == head.Hash));
    }

    [Fact]
    public async Task CheckpointJob_AfterTailDropped_AnchorsNothingAndSaysSo()
    {
        var head = (await HeadAsync()).Id;
        await Db.ExecuteAsync(_factory, $"DELETE FROM AuditEntries WHERE Id > {head - 2}");
        await CreatePathAsync("over-the-cut-1");
        await CreatePathAsync("over-the-cut-2");
        await CreatePathAsync("over-the-cut-3");
        var before = Lines();

        await Job.RunAsync(Ct);

        Assert.Equal(before, Lines());
        Assert.NotEmpty(CheckpointLogs(LogLevel.Error));
        var verify = await _factory.Services.GetRequiredService<AuditService>().VerifyAsync(Ct);
        Assert.Equal(("broken", "tail_dropped"), (verify.Status, verify.Reason));
    }

    [Fact]
    public async Task CheckpointFile_LineEdited_VerifyReportsIt()
    {
        await CreatePathAsync("edited-line");
        await Job.RunAsync(Ct);
        var lines = Lines();
        lines[^1] = lines[^1].Replace("\"legacyThrough\":0", "\"legacyThrough\":999");
        await File.WriteAllLinesAsync(CheckpointFile, lines, Ct);

        var verify = await _factory.Services.GetRequiredService<AuditService>().VerifyAsync(Ct);

        Assert.Equal(("broken", "checkpoint_invalid"), (verify.Status, verify.Reason));
    }
}
