using System.Collections.Concurrent;
using Bunit;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpsConsole.Web.Components.Shared;

namespace OpsConsole.Tests.Components;

/// <summary>The base of the data pages: a lifetime token that ends with the component, and live reloads whose failures are logged.</summary>
public sealed class OpsComponentBaseTests : ComponentTestBase
{
    private static readonly string ProbeCategory = typeof(Probe).FullName!.Replace('+', '.');

    private readonly CapturingLoggerProvider _logs = new();

    public OpsComponentBaseTests() =>
        Services.AddSingleton(LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs)));

    [Fact]
    public async Task Lifetime_ComponentDisposed_IsCancelledAndHookRuns()
    {
        var probe = Render<Probe>().Instance;
        var lifetime = probe.Token;
        Assert.False(lifetime.IsCancellationRequested);

        await DisposeComponentsAsync();

        Assert.True(lifetime.IsCancellationRequested);
        Assert.True(probe.Unsubscribed);
    }

    /// <summary>A load running when the page closes ends as a cancelled task, which the renderer does not report.</summary>
    [Fact]
    public async Task Lifetime_LoadCancelledByDisposal_NoErrorReported()
    {
        var loader = Render<Loader>().Instance;
        await loader.Started.Task.WaitAsync(TimeSpan.FromSeconds(10), Xunit.TestContext.Current.CancellationToken);

        await DisposeComponentsAsync();

        await Task.Delay(200, Xunit.TestContext.Current.CancellationToken);
        Assert.False(Renderer.UnhandledException.IsCompleted);
        Assert.DoesNotContain(_logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task ReloadInBackground_ReloadThrows_LogsErrorAndStaysLive()
    {
        var cut = Render<Probe>();

        cut.Instance.Reload(async () =>
        {
            await Task.Yield();
            throw new InvalidOperationException("database gone");
        });

        var error = await _logs.WaitForAsync(e => e.Level == LogLevel.Error);
        Assert.IsType<InvalidOperationException>(error.Exception);
        Assert.Equal(ProbeCategory, error.Category);
        Assert.Equal("shown 0", cut.Markup);

        // The next change still reloads and renders.
        cut.Instance.Reload(() =>
        {
            cut.Instance.Shown = 2;
            return Task.CompletedTask;
        });
        cut.WaitForAssertion(() => Assert.Equal("shown 2", cut.Markup));
        Assert.Single(_logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task ReloadInBackground_CancelledByDisposal_LogsNoError()
    {
        var cut = Render<Probe>();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lifetime = cut.Instance.Token;
        cut.Instance.Reload(async () =>
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, lifetime);
        });
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10), Xunit.TestContext.Current.CancellationToken);

        await DisposeComponentsAsync();

        await _logs.WaitForAsync(e => e.Level == LogLevel.Debug && e.Category == ProbeCategory);
        Assert.DoesNotContain(_logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task ReloadInBackground_AfterDisposal_DoesNotRunOrLog()
    {
        var probe = Render<Probe>().Instance;
        await DisposeComponentsAsync();
        var ran = false;

        probe.Reload(() =>
        {
            ran = true;
            throw new InvalidOperationException("the page is gone");
        });

        Assert.False(ran);
        Assert.DoesNotContain(_logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    private sealed class Probe : OpsComponentBase
    {
        public int Shown { get; set; }

        public bool Unsubscribed { get; private set; }

        public CancellationToken Token => Lifetime;

        public void Reload(Func<Task> reload) => ReloadInBackground(reload);

        protected override void BuildRenderTree(RenderTreeBuilder builder) => builder.AddContent(0, $"shown {Shown}");

        protected override void DisposeCore() => Unsubscribed = true;
    }

    /// <summary>A page whose first load waits on a query that only the page's end stops.</summary>
    private sealed class Loader : OpsComponentBase
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task OnInitializedAsync()
        {
            Started.SetResult();
            await Task.Delay(Timeout.Infinite, Lifetime);
        }

        protected override void BuildRenderTree(RenderTreeBuilder builder) => builder.AddContent(0, "loading");
    }

    private sealed record LogEntry(string Category, LogLevel Level, string Message, Exception? Exception);

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<LogEntry> _entries = new();

        public IReadOnlyList<LogEntry> Entries => [.. _entries];

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

        /// <summary>Nothing renders when a reload fails, so bUnit's render-driven waits do not apply: poll.</summary>
        public async Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match)
        {
            var until = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < until)
            {
                if (_entries.FirstOrDefault(match) is { } found)
                {
                    return found;
                }
                await Task.Delay(20, Xunit.TestContext.Current.CancellationToken);
            }
            throw new TimeoutException("No matching log entry; logged: " + string.Join("; ", _entries.Select(e => $"{e.Level} {e.Message}")));
        }

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<LogEntry> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue(new LogEntry(category, logLevel, formatter(state, exception), exception));
        }
    }
}
