using System.Security.Cryptography;

namespace Bunker.Storage.Crypto;

/// <summary>
/// A repository's 32-byte AES-256 data key: it seals every chunk, pack table and manifest of one
/// repository. It is random, stored only wrapped in the repository's <see cref="KeyEnvelope"/>,
/// and zeroed on <see cref="Dispose"/>. Obtain one from <see cref="RepositoryKeys"/>.
/// </summary>
public sealed class DataKey : IDisposable
{
    public const int Size = 32;

    private readonly PinnedSecret _key;

    private DataKey(PinnedSecret key) => _key = key;

    internal ReadOnlySpan<byte> Bytes => _key.Span;

    /// <summary>A fresh random data key.</summary>
    internal static DataKey Generate()
    {
        byte[] key = PinnedSecret.Allocate(Size);
        RandomNumberGenerator.Fill(key);
        return new DataKey(new PinnedSecret(key, nameof(DataKey)));
    }

    /// <summary>A data key over <paramref name="pinnedKey"/>, which it takes ownership of.</summary>
    internal static DataKey Adopt(byte[] pinnedKey)
    {
        if (pinnedKey.Length != Size)
            throw new ArgumentException($"a data key is {Size} bytes, got {pinnedKey.Length}", nameof(pinnedKey));
        return new DataKey(new PinnedSecret(pinnedKey, nameof(DataKey)));
    }

    public void Dispose() => _key.Dispose();
}
