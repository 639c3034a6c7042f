using System.Globalization;
using System.Text;
using System.Text.Json;

namespace OpsConsole.Web.Features.Releases;

/// <summary>
/// The JSON Canonicalization Scheme (RFC 8785) for the values a release holds: object members
/// sorted by their names' UTF-16 code units, no whitespace, strings with only the escapes JSON
/// requires, numbers as ECMAScript prints a double. Equal content gives equal text, so equal
/// releases get equal hashes whatever the order or spacing they were posted with. Refuses what it
/// cannot represent faithfully: a name given twice in one object, a string that is not valid
/// UTF-16, a number beyond a double's range.
/// </summary>
public static class Jcs
{
    public static string Write(JsonElement value)
    {
        var text = new StringBuilder();
        Append(text, value, "$");
        return text.ToString();
    }

    private static void Append(StringBuilder text, JsonElement value, string at)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var members = new List<(string Name, JsonElement Value)>();
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var p in value.EnumerateObject())
                {
                    var name = String(p, at);
                    if (!names.Add(name))
                    {
                        throw new FormatException($"{at} has the member \"{name}\" twice.");
                    }
                    members.Add((name, p.Value));
                }
                members.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                text.Append('{');
                for (var i = 0; i < members.Count; i++)
                {
                    if (i > 0)
                    {
                        text.Append(',');
                    }
                    AppendString(text, members[i].Name);
                    text.Append(':');
                    Append(text, members[i].Value, at + "." + members[i].Name);
                }
                text.Append('}');
                break;
            case JsonValueKind.Array:
                text.Append('[');
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (index > 0)
                    {
                        text.Append(',');
                    }
                    Append(text, item, $"{at}[{index}]");
                    index++;
                }
                text.Append(']');
                break;
            case JsonValueKind.String:
                AppendString(text, String(value, at));
                break;
            case JsonValueKind.Number:
                if (!value.TryGetDouble(out var d) || !double.IsFinite(d))
                {
                    throw new FormatException($"{at} is a number beyond the range of a double.");
                }
                text.Append(Number(d));
                break;
            case JsonValueKind.True:
                text.Append("true");
                break;
            case JsonValueKind.False:
                text.Append("false");
                break;
            default:
                text.Append("null");
                break;
        }
    }

    private static string String(JsonProperty p, string at)
    {
        try
        {
            return Checked(p.Name, at);
        }
        catch (InvalidOperationException)
        {
            throw new FormatException($"{at} has a member name that is not valid UTF-16 text.");
        }
    }

    private static string String(JsonElement value, string at)
    {
        try
        {
            return Checked(value.GetString()!, at);
        }
        catch (InvalidOperationException)
        {
            throw new FormatException($"{at} is not valid UTF-16 text.");
        }
    }

    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

    // System.Text.Json refuses an escaped lone surrogate itself; this is the guard for any other way in.
    private static string Checked(string s, string at)
    {
        if (s.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0)
        {
            try
            {
                Strict.GetByteCount(s);
            }
            catch (EncoderFallbackException)
            {
                throw new FormatException($"{at} is not valid UTF-16 text (a lone surrogate).");
            }
        }
        return s;
    }

    /// <summary>A string as RFC 8785 writes it, quotes included.</summary>
    public static string Quote(string s)
    {
        var text = new StringBuilder(s.Length + 2);
        AppendString(text, s);
        return text.ToString();
    }

    private static void AppendString(StringBuilder text, string s)
    {
        text.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        text.Append(c);
                    }
                    break;
            }
        }
        text.Append('"');
    }

    /// <summary>
    /// A double as ECMAScript's Number.prototype.toString prints it (RFC 8785 section 3.2.2.3): the
    /// shortest digits that read back as the same double, in plain notation from 1e-6 up to 1e21,
    /// else as d.ddde±n; negative zero is 0.
    /// </summary>
    public static string Number(double d)
    {
        if (d == 0)
        {
            return "0";
        }
        // Shortest round-trip digits: "R" gives them, in either notation; take digits and exponent from it.
        var shortest = d.ToString("R", CultureInfo.InvariantCulture);
        var negative = shortest[0] == '-';
        if (negative)
        {
            shortest = shortest[1..];
        }
        var e = shortest.IndexOfAny(['E', 'e']);
        var mantissa = e < 0 ? shortest : shortest[..e];
        var exponent = e < 0 ? 0 : int.Parse(shortest[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.');
        var digits = point < 0 ? mantissa : mantissa[..point] + mantissa[(point + 1)..];
        // n: the decimal point's place after the first digit of "digits" (value = 0.digits × 10^n).
        var n = (point < 0 ? mantissa.Length : point) + exponent;
        var lead = digits.Length - digits.TrimStart('0').Length;
        digits = digits.Trim('0');
        n -= lead;
        var k = digits.Length;
        var result = new StringBuilder();
        if (negative)
        {
            result.Append('-');
        }
        if (k <= n && n <= 21)
        {
            result.Append(digits).Append('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            result.Append(digits, 0, n).Append('.').Append(digits, n, k - n);
        }
        else if (-6 < n && n <= 0)
        {
            result.Append("0.").Append('0', -n).Append(digits);
        }
        else
        {
            result.Append(digits[0]);
            if (k > 1)
            {
                result.Append('.').Append(digits, 1, k - 1);
            }
            var power = n - 1;
            result.Append('e').Append(power < 0 ? '-' : '+').Append(Math.Abs(power).ToString(CultureInfo.InvariantCulture));
        }
        return result.ToString();
    }
}
