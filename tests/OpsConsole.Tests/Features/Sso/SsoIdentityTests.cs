using System.Security.Claims;
using OpsConsole.Web.Features.Sso;

namespace OpsConsole.Tests.Features.Sso;

public sealed class SsoIdentityTests
{
    private static ClaimsPrincipal Principal(params (string Type, string Value)[] claims) =>
        new(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), "test"));

    [Theory]
    [InlineData("true", true)]
    [InlineData("True", true)]
    [InlineData("false", false)]
    [InlineData("1", false)]
    [InlineData("yes", false)]
    [InlineData("", false)]
    public void From_EmailVerified_OnlyTrueCounts(string claim, bool expected)
    {
        var id = SsoIdentity.From(Principal(("sub", "s1"), ("email", "a@contoso.test"), ("email_verified", claim)), "groups");

        Assert.Equal(expected, id!.EmailVerified);
    }

    [Fact]
    public void From_NoEmailVerifiedClaim_Unverified()
    {
        var id = SsoIdentity.From(Principal(("sub", "s1"), ("email", " a@contoso.test "), ("name", " Ann "), ("groups", "g1"), ("groups", "g1"), ("groups", "")), "groups");

        Assert.Equal(("s1", "a@contoso.test", "Ann", false), (id!.Subject, id.Email, id.DisplayName, id.EmailVerified));
        Assert.Equal(["g1"], id.Groups);
    }

    [Fact]
    public void From_JsonBooleanFromATokenHandler_ReadsAsVerified()
    {
        // JsonWebTokenHandler turns a JSON true into the claim value "true" with a boolean value type.
        var identity = new ClaimsIdentity([new Claim("sub", "s1"), new Claim("email", "a@contoso.test"), new Claim("email_verified", "true", ClaimValueTypes.Boolean)], "test");

        Assert.True(SsoIdentity.From(new ClaimsPrincipal(identity), "groups")!.EmailVerified);
    }

    [Theory]
    [InlineData(null, "a@contoso.test")]
    [InlineData("s1", null)]
    [InlineData("s1", "  ")]
    public void From_MissingSubjectOrEmail_Null(string? sub, string? email)
    {
        var claims = new List<(string, string)>();
        if (sub is not null)
        {
            claims.Add(("sub", sub));
        }
        if (email is not null)
        {
            claims.Add(("email", email));
        }
        Assert.Null(SsoIdentity.From(Principal([.. claims]), "groups"));
    }

    [Fact]
    public void From_HostileName_CleanedAndCutToTheColumn_EmptyFallsBackToTheAddress()
    {
        var huge = SsoIdentity.From(Principal(("sub", "s1"), ("email", "a@contoso.test"), ("name", "Eve\u0000\u202e" + new string('x', 5000) + "\ud800")), "groups")!;
        var blank = SsoIdentity.From(Principal(("sub", "s1"), ("email", "a@contoso.test"), ("name", "\u0001\u0002  ")), "groups")!;

        Assert.True(huge.DisplayName.Length <= SsoIdentity.MaxDisplayNameLength);
        Assert.StartsWith("Eve", huge.DisplayName);
        Assert.DoesNotContain('\u0000', huge.DisplayName);
        Assert.Equal("a@contoso.test", blank.DisplayName);
    }

    [Fact]
    public void From_AddressTooLongOrWithControls_Null()
    {
        Assert.Null(SsoIdentity.From(Principal(("sub", "s1"), ("email", new string('a', 300) + "@contoso.test")), "groups"));
        Assert.Null(SsoIdentity.From(Principal(("sub", "s1"), ("email", "a\u0000b@contoso.test")), "groups"));
    }
}
