namespace OpsConsole.Web.Infrastructure.Security;

public static class AppRoles
{
    public const string Admin = "Admin";
    public const string PathOwner = "PathOwner";
    public const string Reviewer = "Reviewer";
    public const string OnCall = "OnCall";
    public const string Viewer = "Viewer";

    public static readonly IReadOnlyList<string> All = [Admin, PathOwner, Reviewer, OnCall, Viewer];
}
