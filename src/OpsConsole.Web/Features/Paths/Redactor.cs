using OpsConsole.Web.Features.Ingestion;
using System.Text.RegularExpressions;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Infrastructure;

namespace OpsConsole.Web.Features.Paths;

/// <summary>
/// Masks personal data in an event's input and output before it is stored. Built once per path
/// settings version and shared by all requests. A custom pattern that runs too long masks the
/// whole text: redaction fails closed.
/// </summary>
public sealed partial class Redactor
{
    public const string EmailMask = "[email]";
    public const string CardMask = "[card]";
    public const string PhoneMask = "[phone]";
    public const string CustomMask = "[redacted]";
    public const string FailedMask = "[redaction-failed]";
    private static readonly TimeSpan CustomTimeout = TimeSpan.FromMilliseconds(100);

    public static readonly Redactor None = new(new PathRedaction { Emails = false, CardNumbers = false });

    private readonly bool _emails;
    private readonly bool _cards;
    private readonly bool _phones;
    private readonly Regex[] _custom;
    private readonly string[] _patterns;

    public Redactor(PathRedaction settings)
    {
        _emails = settings.Emails;
        _cards = settings.CardNumbers;
        _phones = settings.Phones;
        _patterns = [.. settings.CustomPatterns];
        _custom = settings.CustomPatterns
            .Where(p => CheckPattern(p) is null)
            .Select(p => new Regex(p, RegexOptions.CultureInvariant | RegexOptions.Compiled, CustomTimeout))
            .ToArray();
    }

    public bool SameSettings(PathRedaction s) =>
        s.Emails == _emails && s.CardNumbers == _cards && s.Phones == _phones && s.CustomPatterns.SequenceEqual(_patterns);

    public bool IsNoOp => !_emails && !_cards && !_phones && _custom.Length == 0;

    /// <summary>
    /// Masks <paramref name="value"/>. Text still in UTF-8 is first checked for anything a rule
    /// could match (an '@', a digit, or any custom pattern at all) and is left undecoded if none.
    /// </summary>
    public Utf8Text Apply(Utf8Text value, ref int count)
    {
        if (value.Utf8 is { } utf8)
        {
            var candidates = _custom.Length > 0
                || (_emails && utf8.AsSpan().Contains((byte)'@'))
                || (_cards && HasDigitRun<byte>(utf8, 13))
                || (_phones && HasDigitRun<byte>(utf8, 7));
            if (!candidates)
            {
                return value;
            }
        }
        return Apply(value.ToString(), ref count);
    }

    /// <summary>Returns the masked text and adds the number of masked values to <paramref name="count"/>.</summary>
    public string? Apply(string? text, ref int count)
    {
        if (string.IsNullOrEmpty(text) || IsNoOp)
        {
            return text;
        }
        var n = 0;
        if (_emails && text.Contains('@'))
        {
            text = EmailPattern().Replace(text, _ => { n++; return EmailMask; });
        }
        if ((_cards || _phones) && text.AsSpan().ContainsAnyInRange('0', '9'))
        {
            if (_cards && HasDigitRun(text, 13))
            {
                text = CardPattern().Replace(text, m =>
                {
                    if (!IsLuhnValid(m.ValueSpan))
                    {
                        return m.Value;
                    }
                    n++;
                    return CardMask;
                });
            }
            if (_phones && CountDigits(text) >= 7)
            {
                text = PhonePattern().Replace(text, m =>
                {
                    var digits = CountDigits(m.ValueSpan);
                    var marked = m.ValueSpan[0] == '+' || m.ValueSpan.Contains('(');
                    if (digits > 15 || digits < (marked ? 7 : 9))
                    {
                        return m.Value;
                    }
                    n++;
                    return PhoneMask;
                });
            }
        }
        foreach (var pattern in _custom)
        {
            try
            {
                text = pattern.Replace(text, _ => { n++; return CustomMask; });
            }
            catch (RegexMatchTimeoutException)
            {
                count += n + 1;
                return FailedMask;
            }
        }
        count += n;
        return text;
    }

    /// <summary>Why a custom pattern cannot be used, or null when it can.</summary>
    public static string? CheckPattern(string pattern)
    {
        try
        {
            var regex = new Regex(pattern, RegexOptions.CultureInvariant, CustomTimeout);
            // A pattern that matches nothing at all would insert a mask between every character.
            return regex.IsMatch("") ? "the pattern matches empty text; make it match at least one character." : null;
        }
        catch (ArgumentException ex)
        {
            return "not a valid regular expression (" + ex.Message + ")";
        }
        catch (RegexMatchTimeoutException)
        {
            return "the pattern is too slow to evaluate.";
        }
    }

    /// <summary>The Luhn (mod 10) check over the digits of <paramref name="value"/>; separators are skipped.</summary>
    public static bool IsLuhnValid(ReadOnlySpan<char> value)
    {
        int sum = 0, digits = 0;
        for (var i = value.Length - 1; i >= 0; i--)
        {
            var c = value[i];
            if (c is < '0' or > '9')
            {
                continue;
            }
            var d = c - '0';
            if (digits % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }
            sum += d;
            digits++;
        }
        return digits is >= 13 and <= 19 && sum % 10 == 0;
    }

    /// <summary>
    /// True when the text holds <paramref name="min"/> digits in a row, allowing single spaces or
    /// hyphens between them: the cheap test that spares most texts the card pattern.
    /// </summary>
    private static bool HasDigitRun(ReadOnlySpan<char> text, int min) => HasDigitRun<char>(text, min);

    private static bool HasDigitRun<T>(ReadOnlySpan<T> text, int min) where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        T zero = T.CreateTruncating('0'), nine = T.CreateTruncating('9'), space = T.CreateTruncating(' '), hyphen = T.CreateTruncating('-');
        bool IsDigit(T c) => c >= zero && c <= nine;
        // Jump from digit to digit with the vectorised search; walk only the runs themselves.
        var start = text.IndexOfAnyInRange(zero, nine);
        while (start >= 0 && text.Length - start >= min)
        {
            var run = 0;
            var i = start;
            for (; i < text.Length; i++)
            {
                var c = text[i];
                if (IsDigit(c))
                {
                    if (++run >= min)
                    {
                        return true;
                    }
                }
                else if (!((c == space || c == hyphen) && i + 1 < text.Length && IsDigit(text[i + 1])))
                {
                    break;
                }
            }
            var next = text[i..].IndexOfAnyInRange(zero, nine);
            start = next < 0 ? -1 : i + next;
        }
        return false;
    }

    private static int CountDigits(ReadOnlySpan<char> text)
    {
        var n = 0;
        foreach (var c in text)
        {
            if (c is >= '0' and <= '9')
            {
                n++;
            }
        }
        return n;
    }

    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();

    // 13–19 digits, optionally grouped by single spaces or hyphens, not part of a longer number.
    [GeneratedRegex(@"(?<![\d\-])\d(?:[ \-]?\d){12,18}(?![\d])", RegexOptions.CultureInvariant)]
    private static partial Regex CardPattern();

    // An optional +country code, an optional (area) and groups of digits separated by space, dot or hyphen.
    [GeneratedRegex(@"(?<![\w+])(?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,4}\)[ .\-]?)?\d{2,5}(?:[ .\-]?\d{2,5}){1,4}(?!\w)", RegexOptions.CultureInvariant)]
    private static partial Regex PhonePattern();
}
