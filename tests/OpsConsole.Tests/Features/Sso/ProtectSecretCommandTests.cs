using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Web.Features.Sso;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Features.Sso;

public sealed class ProtectSecretCommandTests
{
    private readonly ServiceProvider _services = new ServiceCollection()
        .AddSingleton<IDataProtectionProvider>(new EphemeralDataProtectionProvider())
        .AddSingleton<SecretProtector>()
        .BuildServiceProvider();

    private async Task<(int Code, string Output, string Error)> RunAsync(string? kind, string input)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await SsoFeature.ProtectSecretAsync(_services, kind, new StringReader(input), output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task ProtectSecret_Oidc_PrintsOnlyAValueThatOpensAsTheOidcSecret()
    {
        var (code, output, _) = await RunAsync("oidc", "client-secret-value\n");

        Assert.Equal(0, code);
        var value = output.TrimEnd('\n');
        Assert.StartsWith(SecretProtector.Prefix, value);
        Assert.DoesNotContain("client-secret-value", value);
        var protector = _services.GetRequiredService<SecretProtector>();
        Assert.Equal("client-secret-value", protector.Unprotect(SecretKind.OidcClientSecret, value));
        // Another kind's purpose does not open it.
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => protector.Unprotect(SecretKind.WebhookSecret, value));
    }

    [Theory]
    [InlineData(null, "secret", "usage: protect-secret oidc")]
    [InlineData("webhook", "secret", "usage: protect-secret oidc")]
    [InlineData("oidc", "\n", "No secret on standard input")]
    public async Task ProtectSecret_WrongKindOrNoSecret_ExitsTwoPrintingNothing(string? kind, string input, string expected)
    {
        var (code, output, error) = await RunAsync(kind, input);

        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.Contains(expected, error);
    }
}
