using System.Buffers.Binary;
using System.Security.Cryptography;

namespace OpsConsole.Web.Infrastructure.Security;

/// <summary>
/// RFC 6238 time-based one-time codes as authenticator apps make them: HMAC-SHA1, 30-second steps,
/// 6 digits. A code is accepted for the current step and one step either side (<see cref="Window"/>),
/// which covers a phone clock that is up to 30 s off plus the time to type; never for a step at or
/// before the last one accepted for that user (RFC 6238 §5.2: a code is used once).
/// </summary>
public static class Totp
{
    public const int StepSeconds = 30;
    public const int Digits = 6;
    /// <summary>Steps accepted either side of the current one.</summary>
    public const int Window = 1;

    public static long StepAt(DateTimeOffset time) => time.ToUnixTimeSeconds() / StepSeconds;

    /// <summary>The code for one step (RFC 4226 dynamic truncation), <paramref name="digits"/> long.</summary>
    public static string Code(ReadOnlySpan<byte> key, long step, int digits = Digits)
    {
        if (digits is < 6 or > 8)
        {
            throw new ArgumentOutOfRangeException(nameof(digits), digits, "RFC 4226 codes have 6 to 8 digits.");
        }
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, step);
        Span<byte> hash = stackalloc byte[HMACSHA1.HashSizeInBytes];
        HMACSHA1.HashData(key, counter, hash);
        var offset = hash[^1] & 0x0F;
        var value = BinaryPrimitives.ReadInt32BigEndian(hash.Slice(offset, 4)) & 0x7FFF_FFFF;
        var modulus = 1;
        for (var i = 0; i < digits; i++)
        {
            modulus *= 10;
        }
        return (value % modulus).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(digits, '0');
    }

    /// <summary>
    /// The step <paramref name="code"/> belongs to if it is valid at <paramref name="now"/> and newer than
    /// <paramref name="lastAcceptedStep"/>; null otherwise. Every step of the window is computed, so the
    /// time taken says nothing about which one matched.
    /// </summary>
    public static long? Match(ReadOnlySpan<byte> key, string code, DateTimeOffset now, long? lastAcceptedStep)
    {
        if (code.Length != Digits || !code.All(char.IsAsciiDigit))
        {
            return null;
        }
        var current = StepAt(now);
        long? matched = null;
        for (var step = current - Window; step <= current + Window; step++)
        {
            var expected = Code(key, step);
            if (CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(expected), System.Text.Encoding.ASCII.GetBytes(code)) && matched is null)
            {
                matched = step;
            }
        }
        return matched is { } m && (lastAcceptedStep is null || m > lastAcceptedStep) ? m : null;
    }

    /// <summary>Only digits, with the spaces and dashes people type between groups removed.</summary>
    public static string Normalize(string? code) =>
        new((code ?? "").Where(c => c is not (' ' or '-' or '\t')).ToArray());
}

/// <summary>RFC 4648 base32, the encoding of authenticator keys (case and spaces ignored, padding optional).</summary>
public static class Base32
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static byte[] Decode(string text)
    {
        var output = new List<byte>(text.Length * 5 / 8);
        int buffer = 0, bits = 0;
        foreach (var raw in text)
        {
            if (raw is ' ' or '=' or '-')
            {
                continue;
            }
            var index = Alphabet.IndexOf(char.ToUpperInvariant(raw));
            if (index < 0)
            {
                throw new FormatException($"'{raw}' is not a base32 character.");
            }
            buffer = (buffer << 5) | index;
            bits += 5;
            if (bits >= 8)
            {
                bits -= 8;
                output.Add((byte)(buffer >> bits));
                buffer &= (1 << bits) - 1;
            }
        }
        return [.. output];
    }
}
