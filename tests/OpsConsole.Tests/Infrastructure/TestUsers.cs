namespace OpsConsole.Tests.Infrastructure;

public static class TestUsers
{
    public const string Password = "opsconsole-demo-2026";
    public const string Admin = "admin@opsconsole.local";
    public const string Owner = "owner@opsconsole.local";
    public const string Owner2 = "owner2@opsconsole.local";
    public const string Reviewer = "reviewer@opsconsole.local";
    public const string OnCall = "oncall@opsconsole.local";
    public const string Viewer = "viewer@opsconsole.local";
}
