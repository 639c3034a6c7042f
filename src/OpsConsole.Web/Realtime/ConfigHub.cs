using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Web.Realtime;

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
[Authorize(Policy = Features.Controls.ControlsFeature.DecisionsPolicy)]
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
/// Tells everyone that a path's decision inputs changed: the in-memory path snapshot is dropped
/// (the next decision reads the new state), decision clients get <c>ConfigChanged</c>, and open
/// views in this process refresh. Publishing never blocks or fails the caller's action.
/// </summary>
public sealed class ConfigChangeNotifier(IHubContext<ConfigHub, IConfigClient> hub, PathCatalog catalog, ILogger<ConfigChangeNotifier> log)
{
    /// <summary>(slug, config version) after a change of the path's controls or requests.</summary>
    public event Action<string, long>? Changed;

    public void Publish(string slug, long configVersion, bool decisionChanged = true)
    {
        if (decisionChanged)
        {
            catalog.Invalidate();
            _ = PushAsync(slug, configVersion);
        }
        try
        {
            Changed?.Invoke(slug, configVersion);
        }
        catch (Exception ex)
        {
            log.LogWarning(ex, "A view failed to take a config change of {Path}", slug);
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
