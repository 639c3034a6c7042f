namespace OpsConsole.Web.Features.Review;

public static class ReviewFeature
{
    public static WebApplicationBuilder AddReview(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ReviewQueueService>();
        builder.Services.AddSingleton<ReviewQueries>();
        builder.Services.AddTransient<ReviewSlaJob>();
        builder.Services.AddSingleton<ReviewerStats>();
        return builder;
    }

    public static WebApplication MapReview(this WebApplication app)
    {
        app.MapLabelsApi();
        return app;
    }
}
