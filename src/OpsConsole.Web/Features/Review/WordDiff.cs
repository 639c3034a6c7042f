namespace OpsConsole.Web.Features.Review;

public enum DiffKind
{
    Same,
    Removed,
    Added,
}

public readonly record struct DiffPart(DiffKind Kind, string Text);

/// <summary>A word-level diff (longest common subsequence) between an output and its correction.</summary>
public static class WordDiff
{
    /// <summary>Above this many word pairs the diff shows a plain before/after instead of a table that size.</summary>
    public const int MaxCells = 4_000_000;

    public static IReadOnlyList<DiffPart> Compute(string before, string after)
    {
        var a = Tokenize(before);
        var b = Tokenize(after);
        if ((long)a.Count * b.Count > MaxCells)
        {
            return [new DiffPart(DiffKind.Removed, before), new DiffPart(DiffKind.Added, after)];
        }
        // lcs[i, j] = length of the longest common subsequence of a[i..] and b[j..].
        var lcs = new int[a.Count + 1, b.Count + 1];
        for (var i = a.Count - 1; i >= 0; i--)
        {
            for (var j = b.Count - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }
        var parts = new List<DiffPart>();
        void Add(DiffKind kind, string text)
        {
            if (parts.Count > 0 && parts[^1].Kind == kind)
            {
                parts[^1] = new DiffPart(kind, parts[^1].Text + text);
            }
            else
            {
                parts.Add(new DiffPart(kind, text));
            }
        }
        int x = 0, y = 0;
        while (x < a.Count && y < b.Count)
        {
            if (a[x] == b[y])
            {
                Add(DiffKind.Same, a[x++]);
                y++;
            }
            else if (lcs[x + 1, y] >= lcs[x, y + 1])
            {
                Add(DiffKind.Removed, a[x++]);
            }
            else
            {
                Add(DiffKind.Added, b[y++]);
            }
        }
        while (x < a.Count)
        {
            Add(DiffKind.Removed, a[x++]);
        }
        while (y < b.Count)
        {
            Add(DiffKind.Added, b[y++]);
        }
        return parts;
    }

    /// <summary>Words with the whitespace that follows them, so the parts join back into the exact texts.</summary>
    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsWhiteSpace(text[i]) && (i + 1 == text.Length || !char.IsWhiteSpace(text[i + 1])))
            {
                tokens.Add(text[start..(i + 1)]);
                start = i + 1;
            }
        }
        if (start < text.Length)
        {
            tokens.Add(text[start..]);
        }
        return tokens;
    }
}
