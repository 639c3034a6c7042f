namespace OpsConsole.Web.Features.Demo;

public sealed class DemoOptions
{
    public const string DefaultPassword = "opsconsole-demo-2026";
    public const string DefaultApiKey = "ocs_demo_4f9c2a7e1b8d4c6a9e3f5b7d1c2a4e6f";

    public bool Enabled { get; set; }
    public string Password { get; set; } = DefaultPassword;
    public string ApiKey { get; set; } = DefaultApiKey;

    public static bool IsEnabled(IConfiguration config, IHostEnvironment env) =>
        config.GetValue<bool?>("OpsConsole:Demo:Enabled") ?? env.IsDevelopment();
}
