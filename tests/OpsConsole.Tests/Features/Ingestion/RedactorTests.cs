using OpsConsole.Web.Features.Ingestion;
using OpsConsole.Web.Features.Paths;

namespace OpsConsole.Tests.Features.Ingestion;

public class RedactorTests
{
    private static (string? Text, int Count) Redact(string text, PathRedaction? settings = null)
    {
        var count = 0;
        var result = new Redactor(settings ?? new PathRedaction()).Apply(text, ref count);
        return (result, count);
    }

    [Fact]
    public void Apply_Email_Masked()
    {
        var (text, count) = Redact("Write to jane.doe+billing@example.co.uk or ops@acme.io today.");
        Assert.Equal("Write to [email] or [email] today.", text);
        Assert.Equal(2, count);
    }

    [Theory]
    [InlineData("4111 1111 1111 1111")] // Visa test number, spaced
    [InlineData("5500-0000-0000-0004")] // Mastercard test number, hyphenated
    [InlineData("378282246310005")] // Amex, 15 digits
    public void Apply_LuhnValidCard_Masked(string card)
    {
        var (text, count) = Redact($"Card {card} was charged.");
        Assert.Equal("Card [card] was charged.", text);
        Assert.Equal(1, count);
    }

    [Theory]
    [InlineData("4111 1111 1111 1112")] // one digit off: fails Luhn
    [InlineData("1234567890123")] // 13 digits, fails Luhn
    public void Apply_LuhnInvalidNumber_Kept(string number)
    {
        var (text, count) = Redact($"Order {number} shipped.");
        Assert.Equal($"Order {number} shipped.", text);
        Assert.Equal(0, count);
    }

    [Fact]
    public void IsLuhnValid_KnownValues()
    {
        Assert.True(Redactor.IsLuhnValid("4111111111111111"));
        Assert.False(Redactor.IsLuhnValid("4111111111111121"));
        Assert.False(Redactor.IsLuhnValid("0000 00")); // too short to be a card
    }

    [Fact]
    public void Apply_PhonesOffByDefault_OnWhenEnabled()
    {
        const string text = "Call +44 20 7946 0958 or (555) 123-4567 before 2026-11-23.";
        Assert.Equal((text, 0), Redact(text));
        var (masked, count) = Redact(text, new PathRedaction { Phones = true });
        Assert.Equal("Call [phone] or [phone] before 2026-11-23.", masked);
        Assert.Equal(2, count);
    }

    [Fact]
    public void Apply_CustomPattern_Masked()
    {
        var (text, count) = Redact("Account ACC-123456 and ACC-999999.", new PathRedaction { CustomPatterns = [@"ACC-\d{6}"] });
        Assert.Equal("Account [redacted] and [redacted].", text);
        Assert.Equal(2, count);
    }

    [Fact]
    public void Apply_EverythingOff_TextUnchanged()
    {
        const string text = "jane@example.com 4111 1111 1111 1111";
        Assert.Equal((text, 0), Redact(text, new PathRedaction { Emails = false, CardNumbers = false }));
    }

    [Fact]
    public void Apply_CatastrophicCustomPattern_FailsClosed()
    {
        var (text, count) = Redact(new string('a', 40) + "!", new PathRedaction { CustomPatterns = ["(a+)+$x"] });
        Assert.Equal(Redactor.FailedMask, text);
        Assert.True(count >= 1);
    }

    [Theory]
    [InlineData("(unclosed", true)]
    [InlineData("a*", true)] // matches empty text
    [InlineData(@"\bSECRET-\w+", false)]
    public void CheckPattern_ReportsUnusablePatterns(string pattern, bool refused)
    {
        Assert.Equal(refused, Redactor.CheckPattern(pattern) is not null);
    }
}
