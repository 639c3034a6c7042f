using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Sso;

/// <summary>
/// Which of the five roles each identity-provider group gives. Groups match without regard to case
/// (configuration keys are case-insensitive anyway, and providers differ in the case of group ids);
/// role names too, and are kept in their canonical spelling. A user's roles are the union over all
/// their mapped groups; groups the map does not name give nothing.
/// </summary>
public sealed class GroupRoleMap
{
    public static readonly GroupRoleMap Empty = new(new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase));

    private readonly IReadOnlyDictionary<string, IReadOnlyList<string>> _rolesByGroup;

    private GroupRoleMap(IReadOnlyDictionary<string, IReadOnlyList<string>> rolesByGroup) => _rolesByGroup = rolesByGroup;

    public int Count => _rolesByGroup.Count;

    /// <param name="groupRoles">Group → one role name, or several separated by commas.</param>
    /// <param name="refuse">Makes the exception for a problem (the text names the group and the role).</param>
    public static GroupRoleMap Parse(IEnumerable<KeyValuePair<string, string>> groupRoles, Func<string, Exception> refuse)
    {
        var map = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (rawGroup, value) in groupRoles)
        {
            var group = rawGroup.Trim();
            if (group.Length == 0)
            {
                throw refuse("a group name is empty.");
            }
            var roles = new List<string>();
            foreach (var name in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var role = AppRoles.All.FirstOrDefault(r => string.Equals(r, name, StringComparison.OrdinalIgnoreCase))
                    ?? throw refuse($"group '{group}' maps to '{name}', which is not a role. The roles are {string.Join(", ", AppRoles.All)}.");
                if (!roles.Contains(role))
                {
                    roles.Add(role);
                }
            }
            if (roles.Count == 0)
            {
                throw refuse($"group '{group}' maps to no role. Give one of {string.Join(", ", AppRoles.All)}, or several separated by commas.");
            }
            if (!map.TryAdd(group, roles))
            {
                throw refuse($"group '{group}' is listed twice (group names match without regard to case).");
            }
        }
        return new GroupRoleMap(map);
    }

    /// <summary>The roles these groups give, in <see cref="AppRoles.All"/> order; empty when none is mapped.</summary>
    public IReadOnlyList<string> RolesFor(IEnumerable<string> groups)
    {
        var granted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in groups)
        {
            if (_rolesByGroup.TryGetValue(group.Trim(), out var roles))
            {
                granted.UnionWith(roles);
            }
        }
        return AppRoles.All.Where(granted.Contains).ToList();
    }
}
