namespace OpsConsole.Web.Features.Reviewers;

public static class ReviewersFeature
{
    public static WebApplicationBuilder AddReviewers(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ReviewerStats>();
        builder.Services.AddSingleton<AgreementQuery>();
        return builder;
    }
}
