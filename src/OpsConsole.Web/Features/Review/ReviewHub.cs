using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Infrastructure.Security;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Realtime;

namespace OpsConsole.Web.Features.Review;

/// <summary>A change to one review item, as every open queue view of its path receives it.</summary>
public sealed record ReviewChange(
    int PathId, long ItemId, string Kind, string Status, string? ClaimedBy = null, DateTime? ClaimUntil = null, DateTime? At = null)
{
    public const string Added = "added";
    public const string Claimed = "claimed";
    public const string Released = "released";
    public const string Decided = "decided";
    public const string Reopened = "reopened";
}

/// <summary>What the server can call on a connected client.</summary>
public interface IOpsClient
{
    Task ReviewChanged(IReadOnlyList<ReviewChange> changes);
}

/// <summary>
/// The push channel for people's views outside Blazor and for tools. Connections are signed in
/// (cookie) and join a path's group only if the server agrees they may review it.
/// </summary>
[Authorize]
public sealed class OpsHub(Permissions permissions, IDbContextFactory<AppDbContext> dbFactory) : Hub<IOpsClient>
{
    public const string Path = "/hubs/ops";

    public static string GroupOf(int pathId) => "review:" + pathId;

    /// <summary>Joins the review group of a path; refused (false) when the user may not review it.</summary>
    public async Task<bool> JoinReview(string slug)
    {
        await using var db = await dbFactory.CreateDbContextAsync(Context.ConnectionAborted);
        var pathId = await db.Paths.Where(p => p.Slug == slug).Select(p => (int?)p.Id).FirstOrDefaultAsync(Context.ConnectionAborted);
        if (pathId is not { } id || !await permissions.MayAsync(Context.User!, PathAction.Review, slug, Context.ConnectionAborted))
        {
            return false;
        }
        await Groups.AddToGroupAsync(Context.ConnectionId, GroupOf(id), Context.ConnectionAborted);
        return true;
    }
}

/// <summary>
/// Fans review changes out: to Blazor components (they subscribe) and to hub clients in the path's
/// group, on every instance. Publishing never blocks the caller (the ingestion writer). A change from
/// another instance is pushed to this instance's hub clients only without the Redis backplane: with
/// it, the push of the instance where the change happened has already reached them.
/// </summary>
public sealed class ReviewNotifier(IHubContext<OpsHub, IOpsClient> hub, ClusterBus bus, ILogger<ReviewNotifier> log)
    : Notifier<IReadOnlyList<ReviewChange>>(log, bus)
{
    public override void Publish(IReadOnlyList<ReviewChange> changes)
    {
        if (changes.Count == 0)
        {
            return;
        }
        Raise(changes);
        Push(changes);
    }

    protected override void OnRemote(IReadOnlyList<ReviewChange> changes)
    {
        RaiseHere(changes);
        if (!HubsShared)
        {
            Push(changes);
        }
    }

    private void Push(IReadOnlyList<ReviewChange> changes)
    {
        foreach (var group in changes.GroupBy(c => c.PathId))
        {
            var batch = group.ToList();
            _ = hub.Clients.Group(OpsHub.GroupOf(group.Key)).ReviewChanged(batch).ContinueWith(
                t => log.LogWarning(t.Exception, "Pushing review changes failed"), TaskContinuationOptions.OnlyOnFaulted);
        }
    }
}
