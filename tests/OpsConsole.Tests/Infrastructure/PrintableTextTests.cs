using OpsConsole.Web.Infrastructure;

namespace OpsConsole.Tests.Infrastructure;

public sealed class PrintableTextTests
{
    [Theory]
    [InlineData(null, 10, "")]
    [InlineData("", 10, "")]
    [InlineData("  Ann  ", 10, "Ann")]
    [InlineData("A\u0000n\u001bn\u007f", 10, "Ann")]
    [InlineData("\u202eevil\u2066\u200f", 10, "evil")] // bidirectional overrides
    [InlineData("abcdef", 4, "abcd")]
    [InlineData("ab😀cd", 4, "ab😀")] // the pair fits exactly
    [InlineData("abc😀d", 4, "abc")] // the pair would cross the limit: not split, left out
    public void Clean_KeepsPrintableAndCutsWithoutSplittingAPair(string? input, int max, string expected)
    {
        Assert.Equal(expected, PrintableText.Clean(input, max));
    }

    [Fact]
    public void Clean_LoneSurrogates_Dropped()
    {
        // Built here, not as theory data: the test runner's serialisation would replace them with U+FFFD.
        Assert.Equal("Ann", PrintableText.Clean("A" + '\ud800' + "nn", 10));
        Assert.Equal("Ann", PrintableText.Clean("Ann" + '\udc00', 10));
        Assert.Equal("Ann", PrintableText.Clean("A" + '\udc00' + '\ud800' + "nn", 10));
    }

    [Fact]
    public void Clean_Huge_CutToMaxAndValidUtf16()
    {
        var cleaned = PrintableText.Clean(string.Concat(Enumerable.Repeat("x😀\u0001", 100_000)), 200);

        Assert.True(cleaned.Length <= 200);
        Assert.True(System.Text.Unicode.Utf8.FromUtf16(cleaned, new byte[1000], out _, out _, replaceInvalidSequences: false) == System.Buffers.OperationStatus.Done);
    }
}
