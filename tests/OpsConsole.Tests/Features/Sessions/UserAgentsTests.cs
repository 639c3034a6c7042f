using System.Security.Claims;
using OpsConsole.Web.Features.Sessions;

namespace OpsConsole.Tests.Features.Sessions;

public sealed class UserAgentsTests
{
    [Theory]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.8078.73 Safari/537.36", "Chrome 156 on Linux")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36", "Headless Chrome 156 on Linux")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox 133 on Windows")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86", "Edge 131 on Windows")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0", "Opera 115 on Windows")]
    [InlineData("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", "Safari 18 on macOS")]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "Safari 18 on iOS")]
    [InlineData("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36", "Chrome 131 on Android")]
    [InlineData("curl/8.5.0", "curl 8.5.0")]
    [InlineData("", "Unknown browser")]
    [InlineData(null, "Unknown browser")]
    [InlineData("   ", "Unknown browser")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64)", "Unknown browser on Linux")]
    [InlineData("<script>alert(1)</script>", "Unknown browser")]
    public void Describe_KnownAndUnknownAgents(string? userAgent, string expected) => Assert.Equal(expected, UserAgents.Describe(userAgent));

    [Fact]
    public void Describe_HugeHeader_ReadsOnlyItsStart()
    {
        // A version past the first 512 characters is not read: the stored header is cut there too.
        var ua = new string('x', 10_000) + " Chrome/999";
        Assert.Equal("Unknown browser", UserAgents.Describe(ua));
        Assert.Equal("Chrome 1 on Linux", UserAgents.Describe("Linux Chrome/1" + new string('y', 100_000)));
    }

    [Theory]
    [InlineData(new[] { "pwd" }, null, "password")]
    [InlineData(new[] { "mfa" }, null, "password+mfa")]
    [InlineData(new string[0], "oidc", "sso:oidc")]
    [InlineData(new string[0], null, "other")]
    public void MethodOf_FromIdentityClaims(string[] amr, string? provider, string expected)
    {
        var claims = amr.Select(a => new Claim("amr", a)).ToList();
        if (provider is not null)
        {
            claims.Add(new Claim(ClaimTypes.AuthenticationMethod, provider));
        }
        Assert.Equal(expected, SessionsFeature.MethodOf(new ClaimsPrincipal(new ClaimsIdentity(claims, "test"))));
    }
}
