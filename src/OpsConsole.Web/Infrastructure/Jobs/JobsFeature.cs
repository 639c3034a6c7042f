using Hangfire;

namespace OpsConsole.Web.Infrastructure.Jobs;

/// <summary>
/// Hangfire schedules the console's recurring work. On SQLite (one instance) storage is in memory: jobs
/// are re-registered at every start, and anything that must survive a restart lives in the app
/// database. On PostgreSQL it is Hangfire.PostgreSql in the same database (schema <c>hangfire</c>), so
/// several instances share one schedule: its distributed locks make a recurring job run once per
/// occurrence, and <c>DisableConcurrentExecution</c> hold, across instances.
/// </summary>
public static class JobsFeature
{
    public const string DashboardPath = "/hangfire";

    public static WebApplicationBuilder AddJobs(this WebApplicationBuilder builder)
    {
        builder.Services.AddHangfire((services, c) => c
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(new HostSafeLogProvider(services.GetRequiredService<ILoggerFactory>()))
            .UseStorage(services.GetRequiredService<JobStorage>()));
        // One storage per host, registered after AddHangfire so it wins: Hangfire's own registration
        // hands out the process-wide JobStorage.Current, so two hosts starting together in one
        // process (the tests) could share one, and the first to stop disposed it under the other.
        if (Data.DatabaseSetup.Provider(builder.Configuration) == Data.DatabaseProvider.Postgres)
        {
            var connectionString = builder.Configuration.GetConnectionString("OpsConsole")!;
            builder.Services.AddSingleton<JobStorage>(_ =>
            {
                var options = new Hangfire.PostgreSql.PostgreSqlStorageOptions
                {
                    SchemaName = "hangfire",
                    PrepareSchemaIfNecessary = true,
                };
                return new Hangfire.PostgreSql.PostgreSqlStorage(new Hangfire.PostgreSql.Factories.NpgsqlConnectionFactory(connectionString, options), options);
            });
        }
        else
        {
            builder.Services.AddSingleton<JobStorage>(_ => new Hangfire.InMemory.InMemoryStorage());
        }
        // Tests switch the server off and run job classes directly, so no timer fires mid-test.
        if (builder.Configuration.GetValue("OpsConsole:Jobs:Enabled", true))
        {
            builder.Services.AddHangfireServer(o =>
            {
                o.WorkerCount = Math.Max(2, Environment.ProcessorCount);
                // Unique per process: several instances on one storage each show as their own server.
                o.ServerName = $"opsconsole-{Environment.MachineName}-{Environment.ProcessId}";
            });
        }
        return builder;
    }

    /// <summary>Puts every feature's recurring jobs on the schedule. Ids are constants so a restart updates rather than duplicates.</summary>
    public static WebApplication MapJobs(this WebApplication app)
    {
        var jobs = app.Services.GetRequiredService<IRecurringJobManager>();
        // Each feature registered its own (RecurringJobs); this only puts them on the schedule.
        foreach (var registration in app.Services.GetServices<RecurringJobs>())
        {
            registration.ScheduleAsync(jobs, app.Services).GetAwaiter().GetResult();
        }
        app.MapHangfireDashboard(DashboardPath, new Hangfire.DashboardOptions
        {
            // Empty, or Hangfire falls back to its local-requests-only filter.
            Authorization = [],
            AsyncAuthorization = [new HangfireDashboardAuthorization()],
            DashboardTitle = "OpsConsole jobs",
            AppPath = "/",
            DisplayStorageConnectionString = false,
        }).RequireAuthorization(Infrastructure.Security.Policies.Admin);
        return app;
    }
}
