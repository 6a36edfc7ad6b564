using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Bunker.Storage.Crypto;

/// <summary>
/// The operator's secret that opens repositories: either 32 raw key bytes (from a key file) or a
/// passphrase. It never encrypts data itself; it derives a per-repository key-encryption key that
/// unwraps each repository's data key (see <see cref="RepositoryKeys"/>). The secret is held in a
/// pinned array and zeroed on <see cref="Dispose"/>.
/// </summary>
public sealed class MasterKey : IDisposable
{
    /// <summary>The size of a raw master key.</summary>
    public const int KeySize = 32;

    /// <summary>Key files larger than this are refused before they are read.</summary>
    private const int MaxKeyFileBytes = 4096;

    private const string ExpectedKeyFile =
        "32 raw bytes, 64 hexadecimal characters, or the base64 of 32 bytes (44 characters), optionally followed by a newline";

    private readonly PinnedSecret _secret;

    private MasterKey(byte[] pinnedSecret, bool isPassphrase)
    {
        _secret = new PinnedSecret(pinnedSecret, nameof(MasterKey));
        IsPassphrase = isPassphrase;
    }

    /// <summary>True for a passphrase (derived with scrypt), false for a raw key (derived with HKDF).</summary>
    public bool IsPassphrase { get; }

    /// <summary>The raw key, or the passphrase's UTF-8 bytes.</summary>
    internal ReadOnlySpan<byte> Secret => _secret.Span;

    /// <summary>A master key from 32 raw bytes, which are copied.</summary>
    public static MasterKey FromBytes(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize)
            throw new ArgumentException($"a master key is {KeySize} bytes, got {key.Length}", nameof(key));
        byte[] secret = PinnedSecret.Allocate(KeySize);
        key.CopyTo(secret);
        return new MasterKey(secret, isPassphrase: false);
    }

    /// <summary>
    /// A master key from a passphrase, used as its UTF-8 bytes exactly as given (no Unicode
    /// normalisation: the process runs with invariant globalization, so type it the same way).
    /// </summary>
    public static MasterKey FromPassphrase(string passphrase)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        if (passphrase.Length == 0)
            throw new ArgumentException("the passphrase is empty; a repository needs a non-empty passphrase", nameof(passphrase));
        byte[] secret = PinnedSecret.Allocate(Encoding.UTF8.GetByteCount(passphrase));
        Encoding.UTF8.GetBytes(passphrase, secret);
        return new MasterKey(secret, isPassphrase: true);
    }

    /// <summary>
    /// Loads a raw master key from <paramref name="path"/>: exactly 32 raw bytes, or 64 hex
    /// characters, or the base64 of 32 bytes, with trailing whitespace allowed after the text
    /// forms. On Unix the file must not be readable or writable by group or others.
    /// </summary>
    /// <exception cref="InsecureKeyFileException">The file is open to group or others.</exception>
    /// <exception cref="InvalidDataException">The file does not hold a key in one of the accepted forms.</exception>
    public static MasterKey FromKeyFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        // Checked on the open handle, so the file cannot be swapped between the check and the read.
        if (!OperatingSystem.IsWindows())
            CheckPrivate(File.GetUnixFileMode(handle), path);

        long length = RandomAccess.GetLength(handle);
        if (length == 0)
            throw new InvalidDataException($"key file '{path}' is empty; expected {ExpectedKeyFile}");
        if (length > MaxKeyFileBytes)
            throw new InvalidDataException($"key file '{path}' is {length} bytes, far too long for a key; expected {ExpectedKeyFile}");

        byte[] content = PinnedSecret.Allocate((int)length);
        try
        {
            int read = RandomAccess.Read(handle, content, 0);
            return new MasterKey(ParseKeyFile(content.AsSpan(0, read), path), isPassphrase: false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(content);
        }
    }

    /// <summary>
    /// Writes a new random master key to <paramref name="path"/> as 64 hex characters and a
    /// newline, with mode 0600 on Unix. The file appears whole or not at all (written to a
    /// temporary file beside it, flushed, then moved into place), and an existing file is never
    /// overwritten.
    /// </summary>
    /// <exception cref="IOException">The path already exists, or it cannot be written.</exception>
    public static void GenerateKeyFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        if (File.Exists(fullPath) || Directory.Exists(fullPath))
            throw new IOException($"refusing to overwrite '{fullPath}': it already exists; a key file is never replaced");

        string directory = Path.GetDirectoryName(fullPath)!;
        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        byte[] text = PinnedSecret.Allocate(KeySize * 2 + 1);
        Span<byte> key = stackalloc byte[KeySize];
        try
        {
            RandomNumberGenerator.Fill(key);
            Convert.TryToHexStringLower(key, text.AsSpan(0, KeySize * 2), out _);
            text[^1] = (byte)'\n';

            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(text);
                stream.Flush(flushToDisk: true);
            }
            // Without overwrite, .NET moves with link(2) then unlink(2) on Unix, so an existing
            // destination (even one created since the check above) makes this fail, not vanish.
            File.Move(temporary, fullPath, overwrite: false);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(text);
        }
    }

    public void Dispose() => _secret.Dispose();

    private static void CheckPrivate(UnixFileMode mode, string path)
    {
        const UnixFileMode open =
            UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
            UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if ((mode & open) != 0)
            throw new InsecureKeyFileException(
                $"key file '{path}' has permissions {Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0')}, " +
                $"so group or others may read or change it; it is refused. Run: chmod 600 '{path}'");
    }

    /// <summary>Parses key file content into a new pinned 32-byte array. Never echoes the content.</summary>
    internal static byte[] ParseKeyFile(ReadOnlySpan<byte> content, string path)
    {
        if (content.Length == 0)
            throw new InvalidDataException($"key file '{path}' is empty; expected {ExpectedKeyFile}");

        byte[] key = PinnedSecret.Allocate(KeySize);
        // 32 bytes that are all printable text are not a random key: they are most likely a hex
        // key of the wrong length, which must not be taken as a raw key of 16 bytes' strength.
        if (content.Length == KeySize && !IsText(content))
        {
            content.CopyTo(key);
            return key;
        }

        ReadOnlySpan<byte> text = content.TrimEnd(" \t\r\n"u8);
        if (text.Length == KeySize * 2 && Convert.FromHexString(text, key, out _, out _) == OperationStatus.Done)
            return key;
        if (text.Length == 44 &&
            Base64.DecodeFromUtf8(text, key, out int consumed, out int written) == OperationStatus.Done &&
            consumed == text.Length && written == KeySize)
            return key;

        CryptographicOperations.ZeroMemory(key);
        string what = IsText(content)
            ? $"{text.Length} characters of text that are not a 64-character hex key or a 44-character base64 key"
            : $"{content.Length} bytes that are neither a 32-byte raw key nor text";
        throw new InvalidDataException($"key file '{path}' holds {what}; expected {ExpectedKeyFile}");
    }

    private static bool IsText(ReadOnlySpan<byte> content)
    {
        foreach (byte b in content)
        {
            if ((b < 0x20 || b > 0x7E) && b != (byte)'\t' && b != (byte)'\r' && b != (byte)'\n')
                return false;
        }
        return true;
    }
}

/// <summary>A key file is readable or writable by group or others, and is refused as ssh refuses such keys.</summary>
public sealed class InsecureKeyFileException : BunkerCryptoException
{
    public InsecureKeyFileException(string message) : base(message) { }
}
