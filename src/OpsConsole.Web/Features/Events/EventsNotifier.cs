using System.Text.Json;
using OpsConsole.Web.Realtime;

namespace OpsConsole.Web.Features.Events;

/// <summary>
/// Tells open views (on every instance) which paths have newly stored events (their ids), once the commit
/// that stored them is durable. Most events make no review item and so no review change; an open
/// dashboard still has to follow them.
/// </summary>
public sealed class EventsNotifier(ILogger<EventsNotifier> log, ClusterBus bus) : Notifier<IReadOnlySet<int>>(log, bus)
{
    public override void Publish(IReadOnlySet<int> pathIds)
    {
        if (pathIds.Count > 0)
        {
            Raise(pathIds);
        }
    }

    protected override IReadOnlySet<int>? Read(JsonElement payload) => payload.Deserialize<HashSet<int>>(ClusterBus.Json);
}

public static class EventsFeature
{
    public static WebApplicationBuilder AddEvents(this WebApplicationBuilder builder)
    {
        builder.Services.AddNotifier<EventsNotifier>();
        return builder;
    }
}
