using ArchUnitNET.Domain;
using ArchUnitNET.Loader;

namespace OpsConsole.Tests.Architecture;

/// <summary>
/// The type references between the web app's folders, read from its compiled IL by ArchUnitNET
/// (signatures, fields, attributes and method bodies; constants are inlined by the compiler and so
/// are not references). A folder is the namespace under OpsConsole.Web, one level deep
/// (Features.X, Data, Infrastructure, Realtime, Components.Shared …).
/// </summary>
public static class DependencyGraph
{
    private const string Root = "OpsConsole.Web.";

    private static readonly Lazy<IReadOnlyList<(string From, string To, string FromType, string ToType)>> Edges = new(Load);

    public static IReadOnlyList<(string From, string To, string FromType, string ToType)> All => Edges.Value;

    /// <summary>The folder of a full type name: Features.X, Components.Y, or the first namespace segment.</summary>
    public static string? FolderOf(string fullName)
    {
        if (!fullName.StartsWith(Root, StringComparison.Ordinal))
        {
            return null;
        }
        var parts = fullName[Root.Length..].Split('.');
        if (parts.Length < 2)
        {
            return "(root)"; // Program and the assembly's top-level types
        }
        return parts[0] is "Features" or "Components" or "Infrastructure" && parts.Length > 2 ? parts[0] + "." + parts[1] : parts[0];
    }

    private static IReadOnlyList<(string, string, string, string)> Load()
    {
        var architecture = new ArchLoader().LoadAssemblies(typeof(OpsConsole.Web.Data.AppDbContext).Assembly).Build();
        var edges = new HashSet<(string, string, string, string)>();
        foreach (var type in architecture.Types)
        {
            var from = FolderOf(Outer(type.FullName));
            if (from is null)
            {
                continue;
            }
            foreach (var dependency in type.Dependencies)
            {
                var to = FolderOf(Outer(dependency.Target.FullName));
                if (to is not null && to != from)
                {
                    edges.Add((from, to, Outer(type.FullName), Outer(dependency.Target.FullName)));
                }
            }
        }
        return edges.OrderBy(e => e.Item1).ThenBy(e => e.Item2).ThenBy(e => e.Item3).ToList();
    }

    // Nested and compiler-generated types count for the type that holds them.
    private static string Outer(string fullName)
    {
        var plus = fullName.IndexOf('+');
        var name = plus < 0 ? fullName : fullName[..plus];
        var generic = name.IndexOf('`');
        return generic < 0 ? name : name[..generic];
    }
}
