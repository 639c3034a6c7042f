using OpsConsole.Web.Features.Ingestion;
using System.Security.Claims;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsConsole.Web.Data;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure.Security;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Web.Features.Quarantine;

public sealed record QuarantineView(
    long Id, string? PathSlug, string? EventId, string Reason, string? ApiKeyName, DateTime ReceivedAt, int ReplayCount, DateTime? LastReplayAt, string RawJson);

public sealed record QuarantineSlice(IReadOnlyList<QuarantineView> Items, int Total, long? NextBefore);

public sealed record ReplaySummary(int Accepted, int Duplicates, int Rejected)
{
    public int Total => Accepted + Duplicates + Rejected;
}

/// <summary>Rejected items: listing, replay through the same rules, and retention.</summary>
public sealed class QuarantineService(
    IDbContextFactory<AppDbContext> dbFactory, IngestionService ingestion, AuditLog audit, Permissions permissions,
    IOptions<IngestionOptions> options, TimeProvider time)
{
    public const int PageSize = 50;
    public const int MaxReplay = IngestionService.MaxEvents;

    /// <summary>Items of one path, or every item (admins) when <paramref name="slug"/> is null; newest first.</summary>
    public async Task<QuarantineSlice> ListAsync(string? slug, long? before, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.QuarantinedEvents.AsNoTracking();
        if (slug is not null)
        {
            q = q.Where(x => x.PathSlug == slug);
        }
        var total = await q.CountAsync(ct);
        if (before is { } b)
        {
            q = q.Where(x => x.Id < b);
        }
        var rows = await q.OrderByDescending(x => x.Id).Take(PageSize + 1)
            .Select(x => new QuarantineView(x.Id, x.PathSlug, x.EventId, x.Reason, x.ApiKeyName, x.ReceivedAt, x.ReplayCount, x.LastReplayAt, x.RawJson))
            .ToListAsync(ct);
        var more = rows.Count > PageSize;
        if (more)
        {
            rows.RemoveAt(PageSize);
        }
        return new QuarantineSlice(rows, total, more ? rows[^1].Id : null);
    }

    /// <summary>
    /// Sends the chosen items through validation again. The person replaying stands in for the
    /// original key: they may replay items of paths they can edit (admins: any). Stored items
    /// leave quarantine; refused ones stay with their new reason.
    /// </summary>
    public async Task<CommandResult<ReplaySummary>> ReplayAsync(string? slug, IReadOnlyCollection<long> ids, ClaimsPrincipal actor, CancellationToken ct)
    {
        var editable = await permissions.SlugsAsync(actor, PathAction.Edit, ct);
        if (editable is not null && (slug is null || !editable.Contains(slug)))
        {
            return CommandResult<ReplaySummary>.Fail("Only an Admin or an owner of this path can replay its quarantined events.");
        }
        if (ids.Count is 0 or > MaxReplay)
        {
            return CommandResult<ReplaySummary>.Fail($"Select between 1 and {MaxReplay:N0} items to replay.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.QuarantinedEvents.AsNoTracking().Where(x => ids.Contains(x.Id));
        if (slug is not null)
        {
            q = q.Where(x => x.PathSlug == slug);
        }
        var rows = await q.OrderBy(x => x.Id).ToListAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var items = rows.Select(row => EventContract.ReadOne(Encoding.UTF8.GetBytes(row.RawJson), now)).ToList();
        var raw = rows.Select((row, i) => (items[i], row.RawJson)).ToDictionary(x => x.Item1, x => x.RawJson);
        var submitter = new Submitter(null, "replay by " + actor.Identity?.Name, s => editable is null || editable.Contains(s));
        ItemResult[] results;
        try
        {
            results = await ingestion.ProcessAsync(items, item => raw[item], rows.Select(r => r.Id).ToList(), submitter, ct);
        }
        catch (IngestionBusyException ex)
        {
            return CommandResult<ReplaySummary>.Fail(ex.Message + " Nothing changed; try again.");
        }
        var summary = new ReplaySummary(
            results.Count(r => r.Status == ItemStatus.Accepted),
            results.Count(r => r.Status == ItemStatus.Duplicate),
            results.Count(r => r.Status == ItemStatus.Rejected));
        await using var write = await audit.BeginAsync(db, ct);
        write.Record(AuditActor.From(actor), "quarantine.replay", "quarantine", slug ?? "*", slug, null,
            new { items = rows.Count, summary.Accepted, summary.Duplicates, summary.Rejected });
        await write.CommitAsync(ct);
        return CommandResult<ReplaySummary>.Ok(summary);
    }

    /// <summary>Deletes items older than the retention; returns how many went.</summary>
    public async Task<int> PurgeExpiredAsync(CancellationToken ct)
    {
        var cutoff = time.GetUtcNow().UtcDateTime.AddDays(-Math.Max(1, options.Value.QuarantineRetentionDays));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.QuarantinedEvents.Where(x => x.ReceivedAt < cutoff).ExecuteDeleteAsync(ct);
    }
}

/// <summary>Recurring job: quarantine retention (OpsConsole:Ingestion:QuarantineRetentionDays).</summary>
public sealed class QuarantineCleanupJob(QuarantineService quarantine, ILogger<QuarantineCleanupJob> log)
{
    public const string Id = "quarantine-cleanup";

    public async Task RunAsync(CancellationToken ct)
    {
        var deleted = await quarantine.PurgeExpiredAsync(ct);
        if (deleted > 0)
        {
            log.LogInformation("Quarantine cleanup deleted {Count} expired items", deleted);
        }
    }
}
