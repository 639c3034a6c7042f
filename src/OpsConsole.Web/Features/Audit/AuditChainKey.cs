using System.Security.Cryptography;
using System.Text;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Audit;

/// <summary>
/// The secret that keys the audit chain and signs its checkpoints. It never enters the database:
/// it comes from <c>OpsConsole:Audit:ChainKey</c>, or from a file generated once beside the
/// data-protection key ring, where the checkpoint file also lives.
/// </summary>
public sealed class AuditChainKey
{
    public const string Setting = "OpsConsole:Audit:ChainKey";
    public const string KeyFileName = "audit-chain.key";
    public const string CheckpointFileName = "audit-checkpoints.log";
    private const int MinKeyBytes = 32;

    private readonly byte[] _key;

    internal AuditChainKey(byte[] key, string folder, string source)
    {
        if (key.Length < MinKeyBytes)
        {
            throw new ArgumentException($"An audit chain key has at least {MinKeyBytes} bytes.", nameof(key));
        }
        _key = key;
        Folder = folder;
        Source = source;
    }

    /// <summary>Beside the data-protection key ring: outside the SQLite file, where a database writer alone cannot rewrite it.</summary>
    public string Folder { get; }

    public string CheckpointFile => Path.Combine(Folder, CheckpointFileName);

    /// <summary>Where the key came from, for messages: the setting's name or the key file's path.</summary>
    public string Source { get; }

    internal ReadOnlySpan<byte> Bytes => _key;

    internal string Sign(string text) => Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(text)));

    /// <summary>Reads (or on a first start creates) the key, and refuses one the existing checkpoints were not signed with.</summary>
    public static AuditChainKey Load(IConfiguration config, string? keyRingFolder)
    {
        if (keyRingFolder is null)
        {
            throw new StartupRefusedException(
                "The audit chain keeps its key and checkpoints beside the data-protection key ring, and an in-memory database has no folder: set OpsConsole:DataProtection:KeysPath.");
        }
        var folder = Path.GetFullPath(keyRingFolder);
        try
        {
            return LoadFrom(config, folder);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new StartupRefusedException($"The audit chain key and checkpoints cannot be kept in {folder}: {ex.Message} The folder must be writable by the console's user.");
        }
    }

    private static AuditChainKey LoadFrom(IConfiguration config, string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var configured = config[Setting];
        if (configured is null && DatabaseSetup.Provider(config) == DatabaseProvider.Postgres)
        {
            // A key file per instance would key each instance's entries differently, and every instance
            // would report the others' entries as tampered with.
            throw new StartupRefusedException(
                $"On PostgreSQL several instances write one audit chain, so they must share its key: set {Setting} to the same value on every instance " +
                "(at least 32 random bytes in base64, for example the output of `openssl rand -base64 32`).");
        }
        var key = configured is null
            ? LoadKeyFile(folder)
            : new AuditChainKey(
                Decode(configured) ?? throw new StartupRefusedException(
                    $"{Setting} must be at least {MinKeyBytes} random bytes in base64 (for example the output of `openssl rand -base64 32`); the value set is not. " +
                    "Leave it unset to keep a generated key in " + Path.Combine(folder, KeyFileName) + "."),
                folder, Setting);

        var checkpoints = AuditCheckpointFile.Read(key);
        if (checkpoints.WrittenWithAnotherKey)
        {
            throw new StartupRefusedException(
                $"The audit chain key ({key.Source}) is not the key that signed {key.CheckpointFile}. Start with the key the chain was written with: " +
                $"restore {Path.Combine(folder, KeyFileName)}, or set {Setting} to its content. A different key would make every entry fail verification.");
        }
        return key;
    }

    private static AuditChainKey LoadKeyFile(string folder)
    {
        var path = Path.Combine(folder, KeyFileName);
        if (!File.Exists(path))
        {
            if (new FileInfo(Path.Combine(folder, CheckpointFileName)) is { Exists: true, Length: > 0 })
            {
                throw new StartupRefusedException(
                    $"The audit chain key {path} is missing, but {Path.Combine(folder, CheckpointFileName)} shows the chain was keyed with it. " +
                    $"Restore the key file from a backup (or set {Setting} to its content); a new key would make every entry fail verification.");
            }
            var fresh = RandomNumberGenerator.GetBytes(MinKeyBytes);
            // Written aside and moved in without overwriting, so two instances starting together end up with one key.
            var temp = $"{path}.{Guid.NewGuid():N}.tmp";
            WriteOwnerOnly(temp, Convert.ToBase64String(fresh) + "\n");
            try
            {
                File.Move(temp, path, overwrite: false);
                return new AuditChainKey(fresh, folder, path);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temp);
            }
        }
        var key = Decode(File.ReadAllText(path)) ?? throw new StartupRefusedException(
            $"{path} is not an audit chain key (base64 of at least {MinKeyBytes} bytes). Restore it from a backup; a new key would make every entry fail verification.");
        return new AuditChainKey(key, folder, path);
    }

    private static byte[]? Decode(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text.Trim(), buffer, out var written) && written >= MinKeyBytes ? buffer[..written] : null;
    }

    internal static FileStreamOptions OwnerOnly(FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        return options;
    }

    private static void WriteOwnerOnly(string path, string text)
    {
        using var stream = new FileStream(path, OwnerOnly(FileMode.CreateNew));
        stream.Write(Encoding.UTF8.GetBytes(text));
        stream.Flush(flushToDisk: true);
    }
}
