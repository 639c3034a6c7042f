namespace OpsConsole.Tests.Infrastructure;

public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The web app's own build output, in the configuration these tests were built with.</summary>
    public static string WebDll
    {
        get
        {
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
            return Path.Combine(Root, "src", "OpsConsole.Web", "bin", configuration, "net10.0", "OpsConsole.Web.dll");
        }
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OpsConsole.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("OpsConsole.sln not found above " + AppContext.BaseDirectory);
    }
}
