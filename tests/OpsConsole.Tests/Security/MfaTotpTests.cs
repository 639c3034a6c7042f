using System.Text;
using Microsoft.Extensions.Configuration;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Data;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Security;

/// <summary>The TOTP rules on their own: RFC 6238's vectors, the ±1 step window, single use, and the settings.</summary>
public sealed class MfaTotpTests
{
    /// <summary>RFC 6238 appendix B, SHA-1 seed.</summary>
    private static readonly byte[] RfcKey = Encoding.ASCII.GetBytes("12345678901234567890");

    [Theory]
    [InlineData(59L, "94287082")]
    [InlineData(1111111109L, "07081804")]
    [InlineData(1111111111L, "14050471")]
    [InlineData(1234567890L, "89005924")]
    [InlineData(2000000000L, "69279037")]
    [InlineData(20000000000L, "65353130")]
    public void Code_Rfc6238Vectors_MatchInEightAndSixDigits(long unixSeconds, string eightDigits)
    {
        var step = Totp.StepAt(DateTimeOffset.FromUnixTimeSeconds(unixSeconds));

        Assert.Equal(eightDigits, Totp.Code(RfcKey, step, 8));
        Assert.Equal(eightDigits[2..], Totp.Code(RfcKey, step));
        // The tests' own implementation agrees, so sign-ins computed with it check the console against the RFC.
        Assert.Equal(eightDigits[2..], TestTotp.CodeAt(TestTotp.ToBase32(RfcKey), step));
    }

    [Fact]
    public void Match_CodeOfEachStepInTheWindow_IsAcceptedAsThatStep()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1111111109);
        var step = Totp.StepAt(now);

        Assert.Equal(step - 1, Totp.Match(RfcKey, Totp.Code(RfcKey, step - 1), now, null));
        Assert.Equal(step, Totp.Match(RfcKey, Totp.Code(RfcKey, step), now, null));
        Assert.Equal(step + 1, Totp.Match(RfcKey, Totp.Code(RfcKey, step + 1), now, null));
    }

    [Fact]
    public void Match_CodeTwoStepsAway_IsRefused()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1111111109);
        var step = Totp.StepAt(now);

        Assert.Null(Totp.Match(RfcKey, Totp.Code(RfcKey, step - 2), now, null));
        Assert.Null(Totp.Match(RfcKey, Totp.Code(RfcKey, step + 2), now, null));
    }

    [Fact]
    public void Match_WindowEdges_FollowTheClockToTheSecond()
    {
        // Step 10 runs from 300 s to 329 s; with one step either side its code is good from 270 s to 359 s.
        var code = Totp.Code(RfcKey, 10);
        bool AcceptedAt(long seconds) => Totp.Match(RfcKey, code, DateTimeOffset.FromUnixTimeSeconds(seconds), null) == 10;

        Assert.False(AcceptedAt(269));
        Assert.True(AcceptedAt(270));
        Assert.True(AcceptedAt(359));
        Assert.False(AcceptedAt(360));
    }

    [Fact]
    public void Match_StepAlreadyAccepted_IsRefused()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1111111109);
        var step = Totp.StepAt(now);
        var code = Totp.Code(RfcKey, step);

        Assert.Equal(step, Totp.Match(RfcKey, code, now, step - 1));
        Assert.Null(Totp.Match(RfcKey, code, now, step));
        // An older step than the last accepted one is spent too, though still in the window.
        Assert.Null(Totp.Match(RfcKey, Totp.Code(RfcKey, step - 1), now, step));
        Assert.Equal(step + 1, Totp.Match(RfcKey, Totp.Code(RfcKey, step + 1), now, step));
    }

    [Theory]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("1234567")]
    [InlineData("12a456")]
    [InlineData("١٢٣٤٥٦")]
    public void Match_NotSixAsciiDigits_IsRefused(string code) =>
        Assert.Null(Totp.Match(RfcKey, code, DateTimeOffset.UtcNow, null));

    [Fact]
    public void Base32_DecodesWhatTheTestsEncode_IgnoringCaseAndSpaces()
    {
        var bytes = Enumerable.Range(0, 20).Select(i => (byte)(i * 13)).ToArray();
        var text = TestTotp.ToBase32(bytes);

        Assert.Equal(bytes, Base32.Decode(text));
        Assert.Equal(bytes, Base32.Decode(string.Join(' ', text.ToLowerInvariant().Chunk(4).Select(c => new string(c)))));
        Assert.Throws<FormatException>(() => Base32.Decode("ABC1"));
    }

    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(MfaSettings.Section + ":" + v.Key, (string?)v.Value))).Build();

    [Fact]
    public void Settings_Nothing_AdminRequiredRememberThirtyDays()
    {
        var s = MfaSettings.From(Settings());

        Assert.Equal([AppRoles.Admin], s.Roles);
        Assert.Equal(30, s.RememberBrowserDays);
        Assert.Equal("OpsConsole", s.Issuer);
    }

    [Fact]
    public void Settings_OtherRoleRequired_AdminStaysRequired()
    {
        var s = MfaSettings.From(Settings(("RequiredRoles:0", "PathOwner")));

        Assert.Equal([AppRoles.Admin, AppRoles.PathOwner], s.Roles);
    }

    [Fact]
    public void Settings_UnknownRole_RefusesStartNamingIt()
    {
        var ex = Assert.Throws<StartupRefusedException>(() => MfaSettings.From(Settings(("RequiredRoles:0", "Admin"), ("RequiredRoles:1", "Owners"))));

        Assert.Contains("'Owners'", ex.Message);
        Assert.Contains("OpsConsole:Mfa", ex.Message);
    }

    [Theory]
    [InlineData("RememberBrowserDays", "-1")]
    [InlineData("RememberBrowserDays", "366")]
    [InlineData("Issuer", "")]
    [InlineData("Issuer", "Ops:Console")]
    public void Settings_OutOfRange_RefusesStart(string key, string value) =>
        Assert.Throws<StartupRefusedException>(() => MfaSettings.From(Settings((key, value))));

    [Fact]
    public void Settings_RememberZero_IsAccepted() =>
        Assert.Equal(0, MfaSettings.From(Settings(("RememberBrowserDays", "0"))).RememberBrowserDays);
}
