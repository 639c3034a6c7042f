namespace OpsConsole.Web.Features.Users;

public static class UsersFeature
{
    public static WebApplicationBuilder AddUsers(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<UserAdminService>();
        return builder;
    }
}
