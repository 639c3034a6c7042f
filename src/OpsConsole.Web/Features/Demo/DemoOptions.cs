namespace OpsConsole.Web.Features.Demo;

/// <summary>Settings under <c>OpsConsole:Demo</c> (DESIGN.md "Settings that tools and tests rely on").</summary>
public sealed class DemoOptions
{
    public const string Section = "OpsConsole:Demo";

    public const string DefaultPassword = "opsconsole-demo-2026";
    public const string DefaultApiKey = "ocs_demo_4f9c2a7e1b8d4c6a9e3f5b7d1c2a4e6f";

    public const string ApiKeyName = "Demo traffic";

    /// <summary>Unset: on in Development, off elsewhere (<see cref="IsEnabled"/>).</summary>
    public bool? Enabled { get; set; }
    public string Password { get; set; } = DefaultPassword;
    public string ApiKey { get; set; } = DefaultApiKey;
    public DemoTrafficOptions Traffic { get; set; } = new();

    /// <summary>
    /// support-reply-draft starts with a candidate release (a new prompt) in its 5 % canary step; the
    /// demo reviewer rejects its drafts more often, so the guarded canary rolls it back by itself.
    /// </summary>
    public bool Canary { get; set; } = true;

    public bool IsEnabled(IHostEnvironment env) => Enabled ?? env.IsDevelopment();

    /// <summary>DESIGN.md: any string of 20–200 URL-safe characters is accepted as the demo key.</summary>
    public static bool IsValidApiKey(string key) =>
        key.Length is >= 20 and <= 200 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~');
}
