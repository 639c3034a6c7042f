using OpsConsole.Web.Features.Controls;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Realtime;

namespace OpsConsole.Web.Features.Decisions;

/// <summary>What the server can call on a connected decision client (the client library).</summary>
public interface IConfigClient
{
    /// <summary>A decision-relevant setting of the path changed: fetch the config again.</summary>
    Task ConfigChanged(string path, long configVersion);
}

/// <summary>
/// The push channel for AI services: authenticated by an API key with <c>decisions:read</c>.
/// A connection joins the groups of the paths its key may read, so it hears only of those.
/// </summary>
[Authorize(Policy = Infrastructure.Security.Policies.ApiDecisionsRead)]
public sealed class ConfigHub(PathCatalog catalog) : Hub<IConfigClient>
{
    public const string Path = "/hubs/config";

    public static string GroupOf(string slug) => "config:" + slug;

    public override async Task OnConnectedAsync()
    {
        var caller = Context.GetHttpContext()?.Features.Get<ApiCaller>();
        if (caller is null)
        {
            Context.Abort();
            return;
        }
        var paths = await catalog.GetAllAsync(Context.ConnectionAborted);
        foreach (var slug in paths.Keys.Where(caller.MayUse))
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, GroupOf(slug), Context.ConnectionAborted);
        }
        // Keys for every path also hear of paths created after they connected.
        if (caller.AllPaths)
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, AllPathsGroup, Context.ConnectionAborted);
        }
        await base.OnConnectedAsync();
    }

    public const string AllPathsGroup = "config:*";
}

/// <summary>
/// A path's settings changed: its slug and new config version. <paramref name="DecisionChanged"/> is
/// false for changes that do not alter decisions (the snapshot and decision clients are left alone).
/// </summary>
public sealed record ConfigChange(string Slug, long ConfigVersion, bool DecisionChanged = true);

/// <summary>
/// Tells everyone, on every instance, that a path's decision inputs changed: the in-memory path
/// snapshot is dropped (the next decision reads the new state), decision clients get
/// <c>ConfigChanged</c>, and open views refresh. Publishing never blocks or fails the caller's action.
/// A change from another instance is pushed to this instance's decision clients only without the
/// Redis backplane (with it, the origin's push has already reached them); the snapshot is dropped either way.
/// </summary>
public sealed class ConfigChangeNotifier(IHubContext<ConfigHub, IConfigClient> hub, PathCatalog catalog, ClusterBus bus, ILogger<ConfigChangeNotifier> log)
    : Notifier<ConfigChange>(log, bus), IPathConfigPublisher
{
    public void Publish(string slug, long configVersion, bool decisionChanged = true)
    {
        if (decisionChanged)
        {
            catalog.Invalidate();
            _ = PushAsync(slug, configVersion);
        }
        Raise(new ConfigChange(slug, configVersion, decisionChanged));
    }

    protected override void OnRemote(ConfigChange change)
    {
        if (change.DecisionChanged)
        {
            catalog.Invalidate();
            if (!HubsShared)
            {
                _ = PushAsync(change.Slug, change.ConfigVersion);
            }
        }
        RaiseHere(change);
    }

    /// <summary>
    /// The bus was down: this instance's snapshot may be stale, and pushes were lost with the
    /// connection, so every decision client is told to fetch again (version 0: no particular change).
    /// </summary>
    protected override void OnMissed()
    {
        catalog.Invalidate();
        _ = PushToAllAsync();
        base.OnMissed();
    }

    private async Task PushToAllAsync()
    {
        try
        {
            await hub.Clients.All.ConfigChanged("", 0);
        }
        catch (Exception ex)
        {
            log.LogWarning(ex, "Could not tell decision clients to fetch again after the cluster bus was back (they still refresh on their own)");
        }
    }

    private async Task PushAsync(string slug, long version)
    {
        try
        {
            await hub.Clients.Groups(ConfigHub.GroupOf(slug), ConfigHub.AllPathsGroup).ConfigChanged(slug, version);
        }
        catch (Exception ex)
        {
            log.LogWarning(ex, "Could not push the config change of {Path} (clients still refresh on their own)", slug);
        }
    }
}
