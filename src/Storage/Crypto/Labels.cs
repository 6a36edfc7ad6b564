using Bunker.Index;

namespace Bunker.Storage.Crypto;

/// <summary>The fixed labels bound into derivations and associated data, and the helper that binds a repository to them.</summary>
internal static class Labels
{
    /// <summary>HKDF info prefix for a repository's key-encryption key.</summary>
    public static ReadOnlySpan<byte> KeyEncryptionKey => "bunker/kek/v1"u8;

    /// <summary>AES-GCM associated data prefix for a repository's wrapped data key.</summary>
    public static ReadOnlySpan<byte> DataKey => "bunker/data-key/v1"u8;

    /// <summary>The most bytes a prefix may have, so that <c>prefix || repositoryId</c> fits on the stack.</summary>
    public const int MaxPrefixLength = 256;

    /// <summary>
    /// Writes <c>prefix || repository</c> into <paramref name="buffer"/> and returns the written
    /// part. The buffer must hold prefix.Length + <see cref="RepositoryId.Size"/> bytes.
    /// </summary>
    public static ReadOnlySpan<byte> Bind(ReadOnlySpan<byte> prefix, RepositoryId repository, Span<byte> buffer)
    {
        prefix.CopyTo(buffer);
        repository.CopyTo(buffer.Slice(prefix.Length, RepositoryId.Size));
        return buffer[..(prefix.Length + RepositoryId.Size)];
    }
}
