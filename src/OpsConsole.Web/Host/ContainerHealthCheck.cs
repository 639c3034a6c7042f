namespace OpsConsole.Web.Host;

/// <summary>
/// `OpsConsole.Web healthcheck [url]`: the container image has no curl, so the app probes itself
/// for Docker's HEALTHCHECK. Exit 0 when /health/live answers 200.
/// </summary>
internal static class ContainerHealthCheck
{
    public const string Command = "healthcheck";

    public static async Task<int> RunAsync(string[] args)
    {
        var url = args.Length > 1 ? args[1] : "http://127.0.0.1:8080/health/live";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await http.GetAsync(url);
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return 1;
        }
    }
}
