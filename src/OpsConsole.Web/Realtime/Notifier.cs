using System.Collections;
using System.Text.Json;

namespace OpsConsole.Web.Realtime;

/// <summary>
/// The one shape of every change feed: views subscribe with <c>Changed +=</c> (and unsubscribe when
/// disposed); publishers call <see cref="Publish"/>. A subscriber that throws is logged and the others
/// are still told, so one broken view cannot silence the rest or fail the publisher (often a write
/// that has already committed). With a <see cref="ClusterBus"/> the change also reaches the same
/// notifier on every other instance, where <see cref="OnRemote"/> tells its subscribers (and whatever
/// else a change means there, such as dropping a cache or pushing to that instance's hub clients).
/// </summary>
public abstract class Notifier<T> : IClusterListener
{
    private readonly ILogger _log;
    private readonly ClusterBus? _bus;

    /// <param name="bus">The other instances; null for a feed that stays in this process.</param>
    protected Notifier(ILogger log, ClusterBus? bus = null)
    {
        _log = log;
        _bus = bus;
        BusName = GetType().Name;
        bus?.Join(this);
    }

    public event Action<T>? Changed;

    /// <summary>Changes made on other instances may have been lost (the bus was down): drop what caches them.</summary>
    public event Action? Missed;

    public string BusName { get; }

    /// <summary>
    /// True when a hub push from the instance where the change happened already reached every
    /// instance's hub clients (the Redis backplane); then a change from the bus is not pushed again.
    /// </summary>
    protected bool HubsShared => _bus?.HubsShared ?? false;

    public virtual void Publish(T change) => Raise(change);

    /// <summary>Tells this instance's subscribers, then the other instances.</summary>
    protected void Raise(T change)
    {
        RaiseHere(change);
        _bus?.Send(BusName, change);
    }

    /// <summary>Tells this instance's subscribers only.</summary>
    protected void RaiseHere(T change)
    {
        if (Changed is not { } subscribers)
        {
            return;
        }
        foreach (var subscriber in subscribers.GetInvocationList().Cast<Action<T>>())
        {
            try
            {
                subscriber(change);
            }
            catch (Exception ex)
            {
                _log.LogWarning(ex, "A subscriber to {Notifier} failed; the others were told", GetType().Name);
            }
        }
    }

    /// <summary>A change published on another instance: by default this instance's subscribers are told.</summary>
    protected virtual void OnRemote(T change) => RaiseHere(change);

    /// <summary>The bus was down and changes may have been lost: by default <see cref="Missed"/> is raised.</summary>
    protected virtual void OnMissed()
    {
        if (Missed is not { } subscribers)
        {
            return;
        }
        foreach (var subscriber in subscribers.GetInvocationList().Cast<Action>())
        {
            try
            {
                subscriber();
            }
            catch (Exception ex)
            {
                _log.LogWarning(ex, "A subscriber to {Notifier} failed to resync", GetType().Name);
            }
        }
    }

    /// <summary>Reads a change from the bus; override when the change type is an interface JSON cannot create.</summary>
    protected virtual T? Read(JsonElement payload) => payload.Deserialize<T>(ClusterBus.Json);

    void IClusterListener.Receive(JsonElement payload)
    {
        var change = Read(payload) ?? throw new InvalidDataException("The change is null.");
        // Subscribers trust what they are given; a batch with a hole in it is not a change anyone published.
        if (change is IEnumerable items and not string && items.Cast<object?>().Any(i => i is null))
        {
            throw new InvalidDataException("The change holds a null item.");
        }
        OnRemote(change);
    }

    void IClusterListener.Resync() => OnMissed();
}
