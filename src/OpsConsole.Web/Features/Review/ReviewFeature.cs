using Hangfire;
using OpsConsole.Web.Infrastructure.Jobs;
using OpsConsole.Web.Realtime;
namespace OpsConsole.Web.Features.Review;

public static class ReviewFeature
{
    public static WebApplicationBuilder AddReview(this WebApplicationBuilder builder)
    {
        builder.Services.AddRecurringJobs(jobs => jobs.AddOrUpdate<ReviewSlaJob>(ReviewSlaJob.Id, j => j.RunAsync(CancellationToken.None), Cron.Minutely()));
        builder.Services.AddSingleton<ReviewQueueService>();
        builder.Services.AddSingleton<ReviewQueries>();
        builder.Services.AddSingleton<PairwiseService>();
        builder.Services.AddTransient<ReviewSlaJob>();
        builder.Services.AddNotifier<ReviewNotifier>();
        builder.AddClusterHub<OpsHub>();
        return builder;
    }

    public static WebApplication MapReview(this WebApplication app)
    {
        app.MapLabelsApi();
        app.MapHub<OpsHub>(OpsHub.Path);
        return app;
    }
}
