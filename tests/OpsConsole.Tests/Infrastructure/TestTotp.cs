using System.Security.Cryptography;

namespace OpsConsole.Tests.Infrastructure;

/// <summary>
/// The tests' own authenticator app: RFC 6238 written again from the RFC, independently of the
/// console's code, so a test that signs in with it checks the console against the standard rather
/// than against itself. Shared with the e2e project (linked file).
/// </summary>
public static class TestTotp
{
    public static long StepAt(DateTimeOffset time) => time.ToUnixTimeSeconds() / 30;

    public static string CodeAt(string base32Key, long step, int digits = 6)
    {
        var message = BitConverter.GetBytes(step);
        if (BitConverter.IsLittleEndian)
        {
            Array.Reverse(message);
        }
        using var hmac = new HMACSHA1(FromBase32(base32Key));
        var hash = hmac.ComputeHash(message);
        var offset = hash[19] & 0xf;
        var binary = ((hash[offset] & 0x7f) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return (binary % (int)Math.Pow(10, digits)).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(digits, '0');
    }

    public static byte[] FromBase32(string key)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bits = string.Concat(key.ToUpperInvariant().Where(c => c is not (' ' or '=')).Select(c =>
            Convert.ToString(alphabet.IndexOf(c) is var i and >= 0 ? i : throw new FormatException($"'{c}' is not base32"), 2).PadLeft(5, '0')));
        return Enumerable.Range(0, bits.Length / 8).Select(b => Convert.ToByte(bits.Substring(b * 8, 8), 2)).ToArray();
    }

    public static string ToBase32(byte[] bytes)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bits = string.Concat(bytes.Select(b => Convert.ToString(b, 2).PadLeft(8, '0')));
        bits = bits.PadRight((bits.Length + 4) / 5 * 5, '0');
        return string.Concat(Enumerable.Range(0, bits.Length / 5).Select(i => alphabet[Convert.ToInt32(bits.Substring(i * 5, 5), 2)]));
    }
}
