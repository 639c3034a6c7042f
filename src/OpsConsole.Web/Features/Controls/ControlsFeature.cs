namespace OpsConsole.Web.Features.Controls;

public static class ControlsFeature
{
    public static WebApplicationBuilder AddControls(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ControlsService>();
        return builder;
    }
}
