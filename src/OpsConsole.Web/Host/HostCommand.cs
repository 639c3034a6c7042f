using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Sso;

namespace OpsConsole.Web.Host;

/// <summary>
/// The command line: no sub-command runs the console; <c>rebuild-rollups [slug…]</c> builds the
/// same host, recomputes dashboard rollups from raw events and exits; <c>protect-secret oidc</c> prints
/// the secret read from standard input protected with the console's Data Protection keys. (<c>healthcheck</c> needs no
/// host at all; see <see cref="ContainerHealthCheck"/>.)
/// </summary>
internal sealed record HostCommand(string[] HostArgs, Func<WebApplication, Task<int>>? RunInsteadOfServing)
{
    public static HostCommand Parse(string[] args)
    {
        // Configuration is read at start only: a reload watcher on the content root would also wake on
        // every write of a SQLite file kept below it (dotnet run starts in the project folder).
        const string noReload = "--hostBuilder:reloadConfigOnChange=false";
        if (args is [DashboardsFeature.RebuildCommand, ..])
        {
            var slugs = args[1..].Where(a => !a.StartsWith('-')).ToArray();
            return new([.. args[1..].Where(a => a.StartsWith('-')), noReload],
                app => DashboardsFeature.RebuildAsync(app.Services, slugs, Console.Out, CancellationToken.None));
        }
        if (args is [SsoFeature.ProtectSecretCommand, ..])
        {
            var kind = args.Skip(1).FirstOrDefault(a => !a.StartsWith('-'));
            // SSO off for this run: the secret is protected before SSO can be configured with it. Logs
            // go to standard error, so standard output holds only the protected value.
            return new([.. args[1..].Where(a => a.StartsWith('-')), "--OpsConsole:Sso:Enabled=false", "--OpsConsole:Sso:DisableLocalPasswords=false",
                "--Logging:Console:LogToStandardErrorThreshold=Trace", noReload],
                app => SsoFeature.ProtectSecretAsync(app.Services, kind, Console.In, Console.Out, Console.Error));
        }
        return new([.. args, noReload], null);
    }
}
