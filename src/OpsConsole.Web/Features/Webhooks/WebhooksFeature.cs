using OpsConsole.Web.Infrastructure.Jobs;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Webhooks;

public static class WebhooksFeature
{
    public static WebApplicationBuilder AddWebhooks(this WebApplicationBuilder builder)
    {
        builder.Services.AddRecurringJobs(MapWebhookJobs);
        builder.Services.AddHttpClient(WebhookDispatcher.ClientName);
        builder.Services.AddTransient<WebhookDispatcher>();
        builder.Services.AddSingleton<WebhookQueries>();
        return builder;
    }

    public static void MapWebhookJobs(IRecurringJobManager jobs) =>
        jobs.AddOrUpdate<WebhookDispatcher>(WebhookDispatcher.Id, d => d.RunAsync(CancellationToken.None), Cron.Minutely());
}

/// <summary>One line of the delivery log.</summary>
public sealed record WebhookDeliveryRow(long Id, string Event, DateTime CreatedAt, int Attempts, DateTime NextAttemptAt, DateTime? DeliveredAt, DateTime? FailedAt,
    int? LastStatus, string? LastError);

/// <summary>The delivery log the path page shows its owners.</summary>
public sealed class WebhookQueries(IDbContextFactory<AppDbContext> dbFactory)
{
    public async Task<IReadOnlyList<WebhookDeliveryRow>> RecentAsync(int pathId, int take, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.WebhookDeliveries.AsNoTracking().Where(d => d.PathId == pathId).OrderByDescending(d => d.Id).Take(take)
            .Select(d => new WebhookDeliveryRow(d.Id, d.Event, d.CreatedAt, d.Attempts, d.NextAttemptAt, d.DeliveredAt, d.FailedAt, d.LastStatus, d.LastError))
            .ToListAsync(ct);
    }
}
