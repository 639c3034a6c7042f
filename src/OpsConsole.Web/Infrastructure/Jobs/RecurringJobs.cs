using Hangfire;

namespace OpsConsole.Web.Infrastructure.Jobs;

/// <summary>
/// A feature's recurring jobs, registered by the feature itself (in its <c>AddX</c>) and put on
/// Hangfire's schedule at start by <see cref="JobsFeature.MapJobs"/>, so the job host knows no feature.
/// </summary>
public sealed class RecurringJobs(Func<IRecurringJobManager, IServiceProvider, Task> schedule)
{
    internal Task ScheduleAsync(IRecurringJobManager jobs, IServiceProvider services) => schedule(jobs, services);
}

public static class RecurringJobsExtensions
{
    public static IServiceCollection AddRecurringJobs(this IServiceCollection services, Action<IRecurringJobManager> schedule) =>
        services.AddSingleton(new RecurringJobs((jobs, _) =>
        {
            schedule(jobs);
            return Task.CompletedTask;
        }));

    /// <summary>For schedules read from the database at start (one job per path, say).</summary>
    public static IServiceCollection AddRecurringJobs(this IServiceCollection services, Func<IRecurringJobManager, IServiceProvider, Task> schedule) =>
        services.AddSingleton(new RecurringJobs(schedule));
}
