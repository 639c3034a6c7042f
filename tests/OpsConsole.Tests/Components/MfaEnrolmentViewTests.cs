using Bunit;
using Microsoft.AspNetCore.Components;
using OpsConsole.Web.Components.Account;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Components;

/// <summary>The enrolment page's parts: the key as a QR code and as text, the refusal, and the recovery codes.</summary>
public sealed class MfaEnrolmentViewTests : ComponentTestBase
{
    private const string Key = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

    private static AuthenticatorSetup Setup()
    {
        var uri = MfaEnrolment.OtpAuthUri("OpsConsole", "admin@opsconsole.local", Key);
        return new AuthenticatorSetup(Key, MfaEnrolment.GroupKey(Key), uri, MfaEnrolment.QrDataUri(uri));
    }

    [Fact]
    public void Setup_ShowsQrCodeAndKeyInBlocksOfFour()
    {
        var view = Render<AuthenticatorSetupView>(p => p.Add(x => x.Setup, Setup()));

        var qr = view.Find("[data-testid=mfa-qr]");
        Assert.StartsWith("data:image/png;base64,iVBORw0KGgo", qr.GetAttribute("src"));
        Assert.False(string.IsNullOrWhiteSpace(qr.GetAttribute("alt")));
        Assert.Equal("jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp", view.Find("[data-testid=mfa-key]").TextContent);
        Assert.Empty(view.FindAll("[data-testid=mfa-error]"));
    }

    [Fact]
    public void Setup_WrongCode_ShowsTheMessageAsAnAlert()
    {
        var view = Render<AuthenticatorSetupView>(p => p
            .Add(x => x.Setup, Setup())
            .Add(x => x.Message, "That code is not right.")
            .Add(x => x.ChildContent, (RenderFragment)(b => b.AddMarkupContent(0, "<form id=\"the-form\"></form>"))));

        var error = view.Find("[data-testid=mfa-error]");
        Assert.Equal("alert", error.GetAttribute("role"));
        Assert.Equal("That code is not right.", error.TextContent);
        Assert.NotNull(view.Find("#the-form"));
    }

    [Fact]
    public void OtpAuthUri_FollowsKeyUriFormat()
    {
        Assert.Equal("otpauth://totp/Ops%20Console:admin%40opsconsole.local?secret=" + Key + "&issuer=Ops%20Console&algorithm=SHA1&digits=6&period=30",
            MfaEnrolment.OtpAuthUri("Ops Console", "admin@opsconsole.local", Key));
    }

    [Fact]
    public void RecoveryCodes_ListsEachCodeAndSaysTheyAreShownOnce()
    {
        var codes = Enumerable.Range(0, 10).Select(i => $"ABCD{i}-EFGH{i}").ToList();

        var view = Render<RecoveryCodesView>(p => p.Add(x => x.Codes, codes));

        Assert.Equal(codes, view.FindAll("[data-testid=recovery-code]").Select(e => e.TextContent));
        Assert.Contains("shown only this once", view.Find("[role=alert]").TextContent);
    }
}
