using System.Net;
using OpsConsole.Tests.Infrastructure;

namespace OpsConsole.Tests.Features.Users;

/// <summary>A role other than Admin made to need a second factor by setting.</summary>
[Trait("Category", "Integration")]
public sealed class MfaRequiredRolesTests : IAsyncLifetime
{
    private readonly OpsConsoleFactory _factory = new OpsConsoleFactory().With("OpsConsole:Mfa:RequiredRoles:0", "OnCall");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _factory.CreateClient().Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task OnCallListed_SentToEnrolment_ViewerNotListed_SignsInWithPasswordAlone()
    {
        var oncall = await SignIn.PasswordOnlyAsync(_factory, TestUsers.OnCall);
        var incidents = await oncall.GetAsync("/incidents", Ct);
        Assert.Equal(HttpStatusCode.Redirect, incidents.StatusCode);
        Assert.Equal("/account/mfa?returnUrl=%2Fincidents", incidents.Headers.Location!.OriginalString);
        var api = await oncall.GetAsync("/api/v1/paths/support-reply-draft/budget", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, api.StatusCode);
        Assert.Contains("enrolment is required", await api.Content.ReadAsStringAsync(Ct));

        // Admin stays required although the setting lists only OnCall.
        var admin = await SignIn.PasswordOnlyAsync(_factory, TestUsers.Admin);
        Assert.Equal(HttpStatusCode.Redirect, (await admin.GetAsync("/admin/users", Ct)).StatusCode);

        var viewer = await SignIn.PasswordOnlyAsync(_factory, TestUsers.Viewer);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/incidents", Ct)).StatusCode);
    }
}
