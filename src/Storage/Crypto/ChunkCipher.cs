using System.Text;
using System.Security.Cryptography;
using Bunker.Chunking;
using Bunker.Index;

namespace Bunker.Storage.Crypto;

/// <summary>
/// Seals and opens a repository's chunks and other objects with AES-256-GCM under its data key.
/// A record is <c>nonce(12) || ciphertext || tag(16)</c>. A chunk's associated data is
/// <c>digest(32) || repositoryId(16)</c>, so a record only opens as the chunk it was sealed for, in
/// the repository it was sealed in; other objects use <c>domain || repositoryId</c>.
/// <para>
/// Thread-safe: each thread gets its own AesGcm instance, created on first use and disposed with
/// this cipher. The hot path allocates nothing. Do not dispose while other threads still use it.
/// </para>
/// <para>
/// Nonce limit: nonces are 96 random bits, so by the birthday bound the chance that two records
/// share a nonce reaches 2^-32 after about 2^32 records under one key (NIST SP 800-38D's limit for
/// random nonces); a repeated nonce leaks the XOR of two plaintexts and the GHASH key. Every
/// chunk, pack table and manifest counts. At Bunker's chunk sizes (around 1 MiB average for
/// FastCDC, 4 MiB for disk images) 2^32 records is some 4 PiB or more of unique data per
/// repository; a repository approaching a billion records should be re-keyed (a new data key
/// for new packs), which the envelope format leaves room for.
/// </para>
/// </summary>
public sealed class ChunkCipher : IDisposable
{
    /// <summary>Bytes a sealed record adds to its plaintext: a 12-byte nonce and a 16-byte tag.</summary>
    public const int Overhead = AeadRecord.Overhead;

    /// <summary>The longest domain <see cref="Seal"/> and <see cref="Open"/> accept.</summary>
    public const int MaxDomainLength = Labels.MaxPrefixLength;

    private const int ChunkAssociatedDataSize = ChunkDigest.Size + RepositoryId.Size;

    private readonly PinnedSecret _key;
    private readonly ThreadLocal<AesGcm> _aes;
    private volatile bool _disposed;

    public ChunkCipher(DataKey key, RepositoryId repository)
    {
        ArgumentNullException.ThrowIfNull(key);
        _key = PinnedSecret.Copy(key.Bytes, nameof(ChunkCipher));
        Repository = repository;
        _aes = new ThreadLocal<AesGcm>(() => new AesGcm(_key.Span, AeadRecord.TagSize), trackAllValues: true);
    }

    public RepositoryId Repository { get; }

    /// <summary>The size of the record that sealing <paramref name="plaintextLength"/> bytes produces.</summary>
    public static int SealedLength(int plaintextLength) => checked(plaintextLength + Overhead);

    /// <summary>The size of the plaintext a record of <paramref name="recordLength"/> bytes opens to.</summary>
    public static int PlaintextLength(int recordLength) =>
        recordLength >= Overhead
            ? recordLength - Overhead
            : throw new InvalidDataException($"a sealed record of {recordLength} bytes is shorter than the {Overhead}-byte overhead");

    /// <summary>Seals a chunk into <paramref name="destination"/> (at least plaintext + <see cref="Overhead"/> bytes); returns the bytes written.</summary>
    public int SealChunk(ReadOnlySpan<byte> plaintext, in ChunkDigest digest, Span<byte> destination)
    {
        Span<byte> ad = stackalloc byte[ChunkAssociatedDataSize];
        return AeadRecord.Seal(Aes, plaintext, ChunkAssociatedData(digest, ad), destination);
    }

    /// <summary>Opens a chunk record into <paramref name="plaintext"/>, which must be record.Length - <see cref="Overhead"/> bytes.</summary>
    /// <exception cref="ChunkAuthenticationException">The record was altered, or belongs to another chunk or repository.</exception>
    /// <exception cref="InvalidDataException">The record is shorter than <see cref="Overhead"/>.</exception>
    public void OpenChunk(ReadOnlySpan<byte> record, in ChunkDigest digest, Span<byte> plaintext)
    {
        Span<byte> ad = stackalloc byte[ChunkAssociatedDataSize];
        if (!AeadRecord.TryOpen(Aes, record, ChunkAssociatedData(digest, ad), plaintext))
            throw new ChunkAuthenticationException(
                $"chunk {digest} failed authentication in repository {Repository}: " +
                "its record was altered, or it was sealed for another chunk or repository");
    }

    /// <summary>
    /// Seals an object other than a chunk (a pack table, a manifest) in <paramref name="domain"/>,
    /// a fixed label such as "bunker/pack-table/v1" that names what the object is.
    /// </summary>
    public int Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> domain, Span<byte> destination)
    {
        Span<byte> ad = stackalloc byte[MaxDomainLength + RepositoryId.Size];
        return AeadRecord.Seal(Aes, plaintext, DomainAssociatedData(domain, ad), destination);
    }

    /// <summary>Opens an object sealed with <see cref="Seal"/> in the same <paramref name="domain"/>.</summary>
    /// <exception cref="ChunkAuthenticationException">The record was altered, or belongs to another domain or repository.</exception>
    /// <exception cref="InvalidDataException">The record is shorter than <see cref="Overhead"/>.</exception>
    public void Open(ReadOnlySpan<byte> record, ReadOnlySpan<byte> domain, Span<byte> plaintext)
    {
        Span<byte> ad = stackalloc byte[MaxDomainLength + RepositoryId.Size];
        if (!AeadRecord.TryOpen(Aes, record, DomainAssociatedData(domain, ad), plaintext))
            throw new ChunkAuthenticationException(
                $"object in domain '{Describe(domain)}' failed authentication in repository {Repository}: " +
                "its record was altered, or it was sealed in another domain or repository");
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (AesGcm aes in _aes.Values)
            aes.Dispose();
        _aes.Dispose();
        _key.Dispose();
    }

    private AesGcm Aes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _aes.Value!;
        }
    }

    private ReadOnlySpan<byte> ChunkAssociatedData(in ChunkDigest digest, Span<byte> buffer)
    {
        digest.CopyTo(buffer);
        Repository.CopyTo(buffer.Slice(ChunkDigest.Size, RepositoryId.Size));
        return buffer;
    }

    // A domain of exactly 32 bytes has the same length as a chunk's digest; a collision with a
    // chunk's associated data would still need a chunk whose SHA-256 is that domain string.
    private ReadOnlySpan<byte> DomainAssociatedData(ReadOnlySpan<byte> domain, Span<byte> buffer)
    {
        if (domain.IsEmpty || domain.Length > MaxDomainLength)
            throw new ArgumentException($"a domain is 1 to {MaxDomainLength} bytes, got {domain.Length}", nameof(domain));
        return Labels.Bind(domain, Repository, buffer);
    }

    private static string Describe(ReadOnlySpan<byte> domain)
    {
        foreach (byte b in domain)
        {
            if (b < 0x20 || b > 0x7E)
                return Convert.ToHexStringLower(domain);
        }
        return Encoding.ASCII.GetString(domain);
    }
}
