using OpsConsole.Web.Infrastructure.Jobs;
using Hangfire;
using OpsConsole.Web.Data;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Audit;

public static class AuditFeature
{
    public static WebApplicationBuilder AddAudit(this WebApplicationBuilder builder)
    {
        builder.Services.AddRecurringJobs(MapAuditJobs);
        // Loaded while the app is built, so a missing or wrong key stops the start before anything is written with it.
        builder.Services.AddSingleton(AuditChainKey.Load(builder.Configuration, DatabaseSetup.KeyRingPath(builder.Configuration)));
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddSingleton<AuditService>();
        builder.Services.AddSingleton<AuditCheckpoints>();
        builder.Services.AddTransient<AuditCheckpointJob>();
        return builder;
    }

    /// <summary>Entries removed from the end are seen if they were older than the last checkpoint; five minutes bounds what can go unseen.</summary>
    public static void MapAuditJobs(IRecurringJobManager jobs) =>
        jobs.AddOrUpdate<AuditCheckpointJob>(AuditCheckpointJob.Id, j => j.RunAsync(CancellationToken.None), "*/5 * * * *");

    public static WebApplication MapAudit(this WebApplication app)
    {
        app.MapGet("/api/v1/audit/verify", async (AuditService audit, CancellationToken ct) => Results.Ok(await audit.VerifyAsync(ct)))
            .RequireAuthorization(Policies.Admin)
            .WithName("VerifyAuditChain")
            .WithSummary("Walks the keyed audit chain, checks it against the latest checkpoint, and reports ok or the first broken entry.");
        return app;
    }
}
