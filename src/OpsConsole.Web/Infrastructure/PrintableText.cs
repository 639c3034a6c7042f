namespace OpsConsole.Web.Infrastructure;

/// <summary>Text from outside (a header, an identity provider's claim) made fit to store and show back to people.</summary>
public static class PrintableText
{
    /// <summary>
    /// Keeps printable characters only (no control characters, no bidirectional overrides that could make
    /// shown text read otherwise, no lone surrogates), trims, and cuts to at most
    /// <paramref name="max"/> UTF-16 units without splitting a surrogate pair.
    /// </summary>
    public static string Clean(string? s, int max)
    {
        if (string.IsNullOrEmpty(s))
        {
            return "";
        }
        var chars = new System.Text.StringBuilder(Math.Min(s.Length, max));
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                if (chars.Length + 2 > max)
                {
                    break;
                }
                chars.Append(c).Append(s[++i]);
            }
            else if (!char.IsControl(c) && !char.IsSurrogate(c) && !IsBidiControl(c))
            {
                if (chars.Length + 1 > max)
                {
                    break;
                }
                chars.Append(c);
            }
        }
        return chars.ToString().Trim();
    }

    private static bool IsBidiControl(char c) => c is '\u200e' or '\u200f' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069');
}
