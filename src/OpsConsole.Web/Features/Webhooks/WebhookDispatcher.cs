using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Features.Webhooks;

/// <summary>
/// Sends due outbox rows: a JSON POST signed with HMAC-SHA256 of the body under the path's secret
/// (<c>X-OpsConsole-Signature: sha256=&lt;hex&gt;</c>), retried with exponential backoff. A 2xx marks
/// it delivered; anything else schedules the next attempt; after <see cref="MaxAttempts"/> it is
/// marked failed. The receiver sees a delivery id and should treat repeats as one.
/// </summary>
public sealed class WebhookDispatcher(IDbContextFactory<AppDbContext> dbFactory, IHttpClientFactory http, TimeProvider time, WebhookSecrets secrets, ILogger<WebhookDispatcher> log)
{
    public const string ClientName = "webhooks";
    public const string Id = "webhook-dispatch";
    public const int MaxAttempts = 12;
    public const string SignatureHeader = "X-OpsConsole-Signature";

    public static string Sign(string secret, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    /// <summary>The wait after a failed attempt: 30 s, 1 min, 2 min … capped at one hour.</summary>
    public static TimeSpan Backoff(int attempts) => TimeSpan.FromSeconds(Math.Min(3600, 30 * Math.Pow(2, Math.Max(0, attempts - 1))));

    private const int Batch = 100;

    /// <summary>How long a sweep on PostgreSQL holds the rows it took before another may take them again.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    /// <summary>
    /// PostgreSQL, several instances: takes up to a batch of due rows that no other sweep holds
    /// (<c>FOR UPDATE SKIP LOCKED</c>) and moves their next attempt past a lease in the same statement, so a
    /// concurrent sweep skips them now and after this commit; a sweep that dies releases them when the
    /// lease ends. Each row is then sent by exactly one sweep.
    /// </summary>
    private static async Task<List<WebhookDelivery>> ClaimAsync(AppDbContext db, DateTime now, CancellationToken ct)
    {
        var leaseUntil = now + Lease;
        var rows = await db.Set<WebhookDelivery>().FromSql($"""
            UPDATE "WebhookDeliveries" SET "NextAttemptAt" = {leaseUntil}
            WHERE "Id" IN (
                SELECT "Id" FROM "WebhookDeliveries"
                WHERE "DeliveredAt" IS NULL AND "FailedAt" IS NULL AND "NextAttemptAt" <= {now}
                ORDER BY "Id" LIMIT {Batch}
                FOR UPDATE SKIP LOCKED)
            RETURNING *
            """).AsTracking().ToListAsync(ct);
        rows.Sort((a, b) => a.Id.CompareTo(b.Id));
        return rows;
    }

    // A slow receiver can hold a run past the next minute: a second run at once would send the same deliveries again.
    [Hangfire.DisableConcurrentExecution(timeoutInSeconds: 600)]
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var due = db.Database.IsNpgsql()
            ? await ClaimAsync(db, now, ct)
            : await db.Set<WebhookDelivery>().Where(d => d.DeliveredAt == null && d.FailedAt == null && d.NextAttemptAt <= now)
                .OrderBy(d => d.Id).Take(Batch).ToListAsync(ct);
        if (due.Count == 0)
        {
            return 0;
        }
        var pathIds = due.Select(d => d.PathId).Distinct().ToList();
        var targets = await db.Paths.Where(p => pathIds.Contains(p.Id)).Select(p => new { p.Id, p.WebhookUrl, p.WebhookSecret })
            .ToDictionaryAsync(p => p.Id, p => (p.WebhookUrl, p.WebhookSecret), ct);
        var client = http.CreateClient(ClientName);
        var sent = 0;
        foreach (var d in due)
        {
            var (url, secret) = targets.GetValueOrDefault(d.PathId);
            d.Attempts++;
            if (string.IsNullOrWhiteSpace(url))
            {
                (d.FailedAt, d.LastError) = (now, "The path no longer has a webhook URL.");
                continue;
            }
            // Decrypted here only, for the moment of signing; a secret that cannot be opened is retried like a failed send
            // (the key ring may come back, or an owner sets the secret again), never sent unsigned.
            var plain = secret is null ? "" : secrets.Reveal(secret);
            if (plain is null)
            {
                d.LastError = "The webhook secret cannot be decrypted (the data-protection key ring changed?); set it again in the path's settings.";
            }
            else
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(d.PayloadJson, Encoding.UTF8, "application/json") };
                    request.Headers.Add(SignatureHeader, Sign(plain, d.PayloadJson));
                    request.Headers.Add("X-OpsConsole-Event", d.Event);
                    request.Headers.Add("X-OpsConsole-Delivery", d.Id.ToString(CultureInfo.InvariantCulture));
                    using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    cts.CancelAfter(TimeSpan.FromSeconds(10));
                    using var response = await client.SendAsync(request, cts.Token);
                    d.LastStatus = (int)response.StatusCode;
                    if (response.IsSuccessStatusCode)
                    {
                        (d.DeliveredAt, d.LastError) = (now, null);
                        sent++;
                        continue;
                    }
                    d.LastError = $"HTTP {(int)response.StatusCode}";
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    d.LastError = ex.Message.Length > 900 ? ex.Message[..900] : ex.Message;
                }
            }
            if (d.Attempts >= MaxAttempts)
            {
                d.FailedAt = now;
                log.LogWarning("Webhook delivery {Id} to path {PathId} failed after {Attempts} attempts: {Error}", d.Id, d.PathId, d.Attempts, d.LastError);
            }
            else
            {
                d.NextAttemptAt = now + Backoff(d.Attempts);
            }
        }
        await db.SaveChangesAsync(ct);
        return sent;
    }
}
