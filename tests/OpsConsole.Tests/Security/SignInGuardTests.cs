using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using OpsConsole.Tests.Features.Review;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Data;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Security;

[Trait("Category", "Integration")]
public sealed class SignInGuardTests
{
    [Fact]
    public async Task SourceLock_AfterLockoutMinutes_ThatAddressMayTryAgain()
    {
        await using var factory = new FakeClockFactory();
        var attacker = SignIn.Anonymous(factory, "203.0.113.9");
        for (var i = 0; i < 5; i++)
        {
            await SignIn.PostLoginAsync(attacker, TestUsers.Viewer, "wrong password " + i);
        }
        Assert.Equal(HttpStatusCode.OK, (await SignIn.PostLoginAsync(attacker, TestUsers.Viewer, TestUsers.Password)).StatusCode);

        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn.PostLoginAsync(attacker, TestUsers.Viewer, TestUsers.Password)).StatusCode);
    }

    [Theory]
    [InlineData("203.0.113.9", "203.0.113.9")]
    [InlineData("::ffff:203.0.113.9", "203.0.113.9")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData(null, "unknown")]
    public void SourceOf_Address_IPv6CountsByItsSlash64(string? address, string source)
    {
        var http = new DefaultHttpContext();
        http.Connection.RemoteIpAddress = address is null ? null : IPAddress.Parse(address);
        Assert.Equal(source, SignInGuard.SourceOf(http));
    }

    [Theory]
    [InlineData("AccountLockoutFailures", "4")]
    [InlineData("AttemptsPerMinute", "0")]
    [InlineData("SourceLockoutMinutes", "0")]
    public void Limits_OutOfRange_StartRefused(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [$"{SignInLimits.Section}:{key}"] = value }).Build();
        var ex = Assert.Throws<StartupRefusedException>(() => SignInLimits.From(configuration));
        Assert.Contains(key, ex.Message);
    }
}
