using Microsoft.AspNetCore.Components;

namespace OpsConsole.Web.Components.Shared;

/// <summary>Where in the app bar a feature's item sits, around the theme toggle.</summary>
public enum AppBarPlacement
{
    BeforeThemeToggle,
    AfterThemeToggle,
}

/// <summary>
/// A component a feature puts in the app bar for signed-in users (the search box, the bell). The
/// layout knows the slots, not the features: each feature registers its own item.
/// </summary>
public sealed record AppBarItem(Type Component, AppBarPlacement Placement, int Order);

public static class AppBarItems
{
    public static IServiceCollection AddAppBarItem<TComponent>(this IServiceCollection services, AppBarPlacement placement, int order = 0)
        where TComponent : IComponent =>
        services.AddSingleton(new AppBarItem(typeof(TComponent), placement, order));

    public static IEnumerable<AppBarItem> In(this IEnumerable<AppBarItem> items, AppBarPlacement placement) =>
        items.Where(i => i.Placement == placement).OrderBy(i => i.Order);
}
