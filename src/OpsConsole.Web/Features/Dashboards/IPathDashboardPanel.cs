namespace OpsConsole.Web.Features.Dashboards;

/// <summary>
/// A panel that a feature above Dashboards (budgets) puts on the path dashboard, below the status
/// cards: a component with a <c>Slug</c> parameter. Registered in DI; shown in <see cref="Order"/>.
/// </summary>
public interface IPathDashboardPanel
{
    int Order { get; }

    /// <summary>A component type with a <c>[Parameter] public string Slug</c>.</summary>
    Type Component { get; }
}
