namespace OpsConsole.Web.Infrastructure;

/// <summary>
/// Text kept as the UTF-8 bytes it arrived in until something needs it as a string. Most inputs
/// and outputs go from the request body to SQLite untouched (redaction finds nothing to mask), so
/// decoding them to UTF-16 and encoding them back would be pure cost on the ingestion hot path.
/// </summary>
public readonly struct Utf8Text
{
    private readonly byte[]? _utf8;
    private readonly string? _text;

    private Utf8Text(byte[]? utf8, string? text)
    {
        _utf8 = utf8;
        _text = text;
    }

    public static Utf8Text FromUtf8(byte[] utf8) => new(utf8, null);

    public static implicit operator Utf8Text(string? text) => new(null, text);

    public bool IsNull => _utf8 is null && _text is null;

    public bool IsNullOrEmpty => _utf8 is null ? string.IsNullOrEmpty(_text) : _utf8.Length == 0;

    /// <summary>The bytes when the value is still undecoded; null otherwise.</summary>
    public byte[]? Utf8 => _utf8;

    public override string? ToString() => _utf8 is null ? _text : System.Text.Encoding.UTF8.GetString(_utf8);
}
