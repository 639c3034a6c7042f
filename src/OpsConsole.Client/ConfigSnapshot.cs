using System.Collections.Frozen;

namespace OpsConsole.Client;

/// <summary>
/// One config document as loaded, never changed afterwards: decisions read it without locks, and a
/// refresh swaps in a whole new one, so a decision never sees half of an update.
/// </summary>
internal sealed class ConfigSnapshot
{
    private ConfigSnapshot(string version, string etag, FrozenDictionary<string, PathConfig> paths)
    {
        Version = version;
        ETag = etag;
        Paths = paths;
    }

    public string Version { get; }

    /// <summary>The entity tag to send back in If-None-Match, quotes included.</summary>
    public string ETag { get; }

    public FrozenDictionary<string, PathConfig> Paths { get; }

    /// <summary>Checks a document from the console; throws <see cref="InvalidDataException"/> when it cannot be used.</summary>
    public static ConfigSnapshot From(ConfigDocument? document, string? etag)
    {
        if (document is null || string.IsNullOrEmpty(document.Version) || document.Paths is null)
        {
            throw new InvalidDataException("The config document has no version or no paths.");
        }
        var paths = new Dictionary<string, PathConfig>(document.Paths.Count, StringComparer.Ordinal);
        foreach (var path in document.Paths)
        {
            if (path is null || string.IsNullOrEmpty(path.Slug))
            {
                throw new InvalidDataException("The config document has a path without a slug.");
            }
            // A missing fallback must not reach callers as null: they switch on it.
            paths[path.Slug] = path.Fallback is null ? path with { Fallback = OpsConsoleClient.DefaultFallback } : path;
        }
        return new ConfigSnapshot(document.Version, string.IsNullOrEmpty(etag) ? "\"" + document.Version + "\"" : etag,
            paths.ToFrozenDictionary(StringComparer.Ordinal));
    }
}
