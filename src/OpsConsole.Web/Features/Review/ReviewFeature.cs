namespace OpsConsole.Web.Features.Review;

public static class ReviewFeature
{
    public static WebApplicationBuilder AddReview(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ReviewQueueService>();
        return builder;
    }
}
