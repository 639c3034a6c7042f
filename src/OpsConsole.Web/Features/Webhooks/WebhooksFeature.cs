using Hangfire;

namespace OpsConsole.Web.Features.Webhooks;

public static class WebhooksFeature
{
    public static WebApplicationBuilder AddWebhooks(this WebApplicationBuilder builder)
    {
        builder.Services.AddHttpClient(WebhookDispatcher.ClientName);
        builder.Services.AddTransient<WebhookDispatcher>();
        return builder;
    }

    public static void MapWebhookJobs(IRecurringJobManager jobs) =>
        jobs.AddOrUpdate<WebhookDispatcher>(WebhookDispatcher.Id, d => d.RunAsync(CancellationToken.None), Cron.Minutely());
}
