namespace OpsConsole.Web.Features.Evaluation;

public static class EvaluationFeature
{
    public static WebApplicationBuilder AddEvaluation(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<EvaluationService>();
        builder.Services.AddSingleton<GoldenSetService>();
        builder.Services.AddSingleton<EvaluationQueries>();
        builder.Services.AddSingleton<Controls.IRolloutGateSource, EvaluationRolloutGate>();
        return builder;
    }

    public static WebApplication MapEvaluation(this WebApplication app)
    {
        app.MapEvaluationApi();
        return app;
    }
}
