using System.Security.Cryptography;
using Bunker.Index;

namespace Bunker.Storage.Crypto;

/// <summary>
/// How a repository's key-encryption key (KEK) is derived from the master key. Stored in the
/// repository's <see cref="KeyEnvelope"/>.
/// <list type="bullet">
/// <item><c>hkdf-sha256</c> for a raw key file: KEK = HKDF-SHA256(ikm = key, salt = Salt,
/// info = "bunker/kek/v1" || repositoryId). N, R and P are 0.</item>
/// <item><c>scrypt</c> for a passphrase: PRK = scrypt(passphrase, Salt, N, R, P, 32), then
/// KEK = HKDF-Expand(PRK, info = "bunker/kek/v1" || repositoryId).</item>
/// </list>
/// Binding the repository id into the info gives each repository its own KEK under one master key.
/// </summary>
public sealed record KdfParameters(string Algorithm, byte[] Salt, int N, int R, int P)
{
    public const string HkdfSha256 = "hkdf-sha256";
    public const string ScryptAlgorithm = "scrypt";

    public const int SaltSize = 32;
    public const int MinSaltSize = 16;
    public const int MaxSaltSize = 64;

    // The production work factor for passphrases: N = 2^17, r = 8, p = 1, so 128 MiB of memory per
    // guess. Measured on the development VM (2 vCPU AMD EPYC, .NET 10 Release): 250-280 ms per
    // derivation with this implementation; OpenSSL's scrypt takes about 370 ms for the same. It is
    // paid once per repository open, never per chunk.
    public const int DefaultScryptN = 1 << 17;
    public const int DefaultScryptR = 8;
    public const int DefaultScryptP = 1;

    // The floor below which an envelope is refused (16 MiB per guess, RFC 7914's interactive
    // example), so a tampered envelope cannot quietly lower the cost of guessing the passphrase.
    // The ceiling on p (with Scrypt's 1 GiB memory cap) bounds what a hostile envelope can make us spend.
    public const int MinScryptN = 1 << 14;
    public const int MinScryptR = 8;
    public const int MaxScryptP = 16;

    public const int KeySize = 32;

    /// <summary>Fresh parameters for a new repository: a random 32-byte salt, and scrypt's production work factor for a passphrase.</summary>
    public static KdfParameters ForNewRepository(MasterKey master)
    {
        ArgumentNullException.ThrowIfNull(master);
        byte[] salt = RandomNumberGenerator.GetBytes(SaltSize);
        return master.IsPassphrase
            ? new KdfParameters(ScryptAlgorithm, salt, DefaultScryptN, DefaultScryptR, DefaultScryptP)
            : new KdfParameters(HkdfSha256, salt, 0, 0, 0);
    }

    /// <summary>
    /// Throws <see cref="InvalidDataException"/> if the parameters are not well formed. With
    /// <paramref name="enforceFloor"/>, scrypt parameters below the floor are refused too.
    /// </summary>
    internal void Validate(bool enforceFloor)
    {
        if (Salt is null || Salt.Length < MinSaltSize || Salt.Length > MaxSaltSize)
            throw new InvalidDataException(
                $"KDF salt is {Salt?.Length ?? 0} bytes; it must be {MinSaltSize} to {MaxSaltSize} bytes");
        switch (Algorithm)
        {
            case HkdfSha256:
                if (N != 0 || R != 0 || P != 0)
                    throw new InvalidDataException($"{HkdfSha256} takes no N, r or p, got N={N} r={R} p={P}");
                break;
            case ScryptAlgorithm:
                try
                {
                    Scrypt.Validate(N, R, P, KeySize);
                }
                catch (ArgumentException e)
                {
                    throw new InvalidDataException($"invalid scrypt parameters: {e.Message}", e);
                }
                if (P > MaxScryptP)
                    throw new InvalidDataException($"scrypt p={P} exceeds the limit of {MaxScryptP}");
                if (enforceFloor && (N < MinScryptN || R < MinScryptR))
                    throw new InvalidDataException(
                        $"scrypt parameters N={N} r={R} p={P} are below the floor N >= {MinScryptN}, r >= {MinScryptR}; " +
                        "refusing them, since a repository is never created that weak (its key envelope may have been tampered with)");
                break;
            default:
                throw new InvalidDataException(
                    $"unknown KDF algorithm '{Algorithm}'; expected '{HkdfSha256}' or '{ScryptAlgorithm}'");
        }
    }

    /// <summary>Derives the 32-byte KEK of <paramref name="repository"/> into <paramref name="kek"/>.</summary>
    /// <exception cref="InvalidDataException">The parameters are malformed or (with <paramref name="enforceFloor"/>) too weak.</exception>
    /// <exception cref="WrongMasterKeyException">The master key is of the other kind (passphrase against a key file's parameters or the reverse).</exception>
    internal void DeriveKeyEncryptionKey(MasterKey master, RepositoryId repository, Span<byte> kek, bool enforceFloor)
    {
        ArgumentNullException.ThrowIfNull(master);
        if (kek.Length != KeySize)
            throw new ArgumentException($"a key-encryption key is {KeySize} bytes", nameof(kek));
        Validate(enforceFloor);
        bool wantsPassphrase = Algorithm == ScryptAlgorithm;
        if (master.IsPassphrase != wantsPassphrase)
            throw new WrongMasterKeyException(repository,
                $"the master key does not open repository {repository}: it is protected by " +
                (wantsPassphrase ? "a passphrase, but a key file was given" : "a key file, but a passphrase was given"));

        Span<byte> infoBuffer = stackalloc byte[Labels.MaxPrefixLength + RepositoryId.Size];
        ReadOnlySpan<byte> info = Labels.Bind(Labels.KeyEncryptionKey, repository, infoBuffer);
        if (!wantsPassphrase)
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, master.Secret, kek, Salt, info);
            return;
        }

        Span<byte> prk = stackalloc byte[KeySize];
        try
        {
            Scrypt.DeriveKey(master.Secret, Salt, N, R, P, prk);
            HKDF.Expand(HashAlgorithmName.SHA256, prk, kek, info);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(prk);
        }
    }

    public bool Equals(KdfParameters? other) =>
        other is not null && Algorithm == other.Algorithm && N == other.N && R == other.R && P == other.P &&
        Salt.AsSpan().SequenceEqual(other.Salt);

    public override int GetHashCode() => HashCode.Combine(Algorithm, N, R, P, Salt.Length);
}
