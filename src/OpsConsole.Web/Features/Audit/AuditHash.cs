using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace OpsConsole.Web.Features.Audit;

/// <summary>The canonical form of an entry and the MAC that links it to the one before.</summary>
public static class AuditHash
{
    public static readonly string Genesis = new('0', 64);

    /// <summary>Fixed property order, UTC timestamps with 7 fraction digits, before/after as the exact stored text.</summary>
    public static string CanonicalJson(AuditEntry e)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("seq", e.Id);
            w.WriteString("at", e.At.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
            w.WriteString("actorId", e.ActorId);
            w.WriteString("actorName", e.ActorName);
            w.WriteString("action", e.Action);
            w.WriteString("targetType", e.TargetType);
            w.WriteString("targetId", e.TargetId);
            w.WriteString("path", e.PathSlug);
            w.WriteString("before", e.BeforeJson);
            w.WriteString("after", e.AfterJson);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// HMAC-SHA256 under the chain key, which is kept outside the database: whoever can write the
    /// database alone cannot recompute the chain after changing an entry.
    /// </summary>
    public static string Compute(ReadOnlySpan<byte> key, string prevHash, AuditEntry e) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(prevHash + "\n" + CanonicalJson(e))));

    /// <summary>The plain SHA-256 of databases written before the chain was keyed; only their anchored legacy prefix uses it.</summary>
    public static string ComputeUnkeyed(string prevHash, AuditEntry e) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prevHash + "\n" + CanonicalJson(e))));
}
