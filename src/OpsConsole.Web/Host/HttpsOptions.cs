namespace OpsConsole.Web.Host;

/// <summary>Settings under <c>OpsConsole:Https</c>: how the console sits behind TLS and reverse proxies.</summary>
public sealed class HttpsOptions
{
    public const string Section = "OpsConsole:Https";

    /// <summary>IP addresses of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto headers are trusted (loopback always is).</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Send Strict-Transport-Security (one year) on HTTPS responses.</summary>
    public bool Hsts { get; set; }

    /// <summary>Redirect HTTP requests to HTTPS, for when Kestrel itself serves HTTPS.</summary>
    public bool RedirectToHttps { get; set; }
}
