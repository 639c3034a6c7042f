using OpsConsole.Web.Features.Review;
namespace OpsConsole.Web.Components.Shared;

public enum WordDiffKind
{
    Same,
    Removed,
    Added,
}

public readonly record struct DiffPart(WordDiffKind Kind, string Text);

/// <summary>A word-level diff (longest common subsequence) between an output and its correction.</summary>
public static class WordDiff
{
    /// <summary>Above this many token pairs between the first and last change the diff shows a plain before/after instead of a table that size.</summary>
    public const int MaxCells = 4_000_000;

    public static IReadOnlyList<DiffPart> Compute(string before, string after)
    {
        var a = Tokenize(before);
        var b = Tokenize(after);
        // The unchanged start and end never enter the table: a long text with one edit stays cheap and exact.
        var prefix = 0;
        while (prefix < a.Count && prefix < b.Count && a[prefix] == b[prefix])
        {
            prefix++;
        }
        var suffix = 0;
        while (suffix < a.Count - prefix && suffix < b.Count - prefix && a[^(suffix + 1)] == b[^(suffix + 1)])
        {
            suffix++;
        }
        var ops = new List<(WordDiffKind Kind, string Text)>(a.Count + b.Count);
        ops.AddRange(a.Take(prefix).Select(t => (WordDiffKind.Same, t)));
        var midA = a.GetRange(prefix, a.Count - prefix - suffix);
        var midB = b.GetRange(prefix, b.Count - prefix - suffix);
        if ((long)midA.Count * midB.Count > MaxCells)
        {
            ops.AddRange(midA.Select(t => (WordDiffKind.Removed, t)));
            ops.AddRange(midB.Select(t => (WordDiffKind.Added, t)));
        }
        else
        {
            ops.AddRange(Middle(midA, midB));
        }
        ops.AddRange(a.Skip(a.Count - suffix).Select(t => (WordDiffKind.Same, t)));
        return Group(ops);
    }

    /// <summary>
    /// The weighted longest common subsequence: a shared word counts more than a shared space or
    /// comma, so the diff keeps words in place instead of lining up the blanks between them.
    /// </summary>
    private static List<(WordDiffKind, string)> Middle(List<string> a, List<string> b)
    {
        var score = new int[a.Count + 1, b.Count + 1];
        for (var i = a.Count - 1; i >= 0; i--)
        {
            for (var j = b.Count - 1; j >= 0; j--)
            {
                score[i, j] = a[i] == b[j] ? score[i + 1, j + 1] + Weight(a[i]) : Math.Max(score[i + 1, j], score[i, j + 1]);
            }
        }
        var ops = new List<(WordDiffKind, string)>(a.Count + b.Count);
        int x = 0, y = 0;
        while (x < a.Count && y < b.Count)
        {
            if (a[x] == b[y])
            {
                ops.Add((WordDiffKind.Same, a[x++]));
                y++;
            }
            else if (score[x + 1, y] >= score[x, y + 1])
            {
                ops.Add((WordDiffKind.Removed, a[x++]));
            }
            else
            {
                ops.Add((WordDiffKind.Added, b[y++]));
            }
        }
        ops.AddRange(a.Skip(x).Select(t => (WordDiffKind.Removed, t)));
        ops.AddRange(b.Skip(y).Select(t => (WordDiffKind.Added, t)));
        return ops;
    }

    private static int Weight(string token) => char.IsLetterOrDigit(token[0]) ? 2 : 1;

    /// <summary>
    /// Joins the token operations into parts. A run of changes becomes one removed part then one
    /// added part; a blank between two changes joins the run, so "the cat sat" → "a dog ran" reads
    /// as one replacement rather than three.
    /// </summary>
    private static List<DiffPart> Group(List<(WordDiffKind Kind, string Text)> ops)
    {
        for (var i = 1; i < ops.Count - 1; i++)
        {
            if (ops[i].Kind == WordDiffKind.Same && string.IsNullOrWhiteSpace(ops[i].Text) && ops[i - 1].Kind != WordDiffKind.Same && ops[i + 1].Kind != WordDiffKind.Same)
            {
                ops[i] = (WordDiffKind.Removed, ops[i].Text);
                ops.Insert(i + 1, (WordDiffKind.Added, ops[i].Text));
                i++;
            }
        }
        var parts = new List<DiffPart>();
        var removed = new System.Text.StringBuilder();
        var added = new System.Text.StringBuilder();
        void Flush()
        {
            if (removed.Length > 0)
            {
                parts.Add(new DiffPart(WordDiffKind.Removed, removed.ToString()));
                removed.Clear();
            }
            if (added.Length > 0)
            {
                parts.Add(new DiffPart(WordDiffKind.Added, added.ToString()));
                added.Clear();
            }
        }
        foreach (var (kind, text) in ops)
        {
            switch (kind)
            {
                case WordDiffKind.Removed:
                    removed.Append(text);
                    break;
                case WordDiffKind.Added:
                    added.Append(text);
                    break;
                default:
                    Flush();
                    if (parts.Count > 0 && parts[^1].Kind == WordDiffKind.Same)
                    {
                        parts[^1] = new DiffPart(WordDiffKind.Same, parts[^1].Text + text);
                    }
                    else
                    {
                        parts.Add(new DiffPart(WordDiffKind.Same, text));
                    }
                    break;
            }
        }
        Flush();
        return parts;
    }

    /// <summary>
    /// Words (letters and digits, with an apostrophe inside a word), runs of whitespace, and every
    /// other character on its own: JSON and punctuated text diff by value, not by whole line.
    /// The tokens join back into the exact text.
    /// </summary>
    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            if (char.IsLetterOrDigit(text[i]))
            {
                while (i < text.Length && (char.IsLetterOrDigit(text[i])
                    || (text[i] is '\'' or '’' && i + 1 < text.Length && char.IsLetter(text[i + 1]) && char.IsLetter(text[i - 1]))))
                {
                    i++;
                }
            }
            else if (char.IsWhiteSpace(text[i]))
            {
                while (i < text.Length && char.IsWhiteSpace(text[i]))
                {
                    i++;
                }
            }
            else
            {
                // A surrogate pair (an emoji) stays whole, so no part holds half a character.
                i += char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            }
            tokens.Add(text[start..i]);
        }
        return tokens;
    }
}
