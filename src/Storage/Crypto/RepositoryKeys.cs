using System.Security.Cryptography;
using Bunker.Index;

namespace Bunker.Storage.Crypto;

/// <summary>
/// Creates and opens repositories' data keys. Each repository has a random data key, wrapped with
/// AES-256-GCM under a key-encryption key derived from the master key and the repository id (see
/// <see cref="KdfParameters"/>), so one master key serves many repositories with distinct keys,
/// and changing the master key means re-wrapping one small envelope, not re-encrypting data.
/// </summary>
public static class RepositoryKeys
{
    /// <summary>A new random data key for <paramref name="repository"/>, and the envelope to store it in.</summary>
    public static (DataKey Key, KeyEnvelope Envelope) Create(MasterKey master, RepositoryId repository) =>
        Create(master, repository, KdfParameters.ForNewRepository(master), enforceFloor: true);

    /// <summary>Unwraps the data key of <paramref name="repository"/> from <paramref name="envelope"/>.</summary>
    /// <exception cref="WrongMasterKeyException">The master key does not open this repository.</exception>
    /// <exception cref="InvalidDataException">The envelope's KDF parameters are malformed or weaker than the floor.</exception>
    public static DataKey Open(MasterKey master, KeyEnvelope envelope, RepositoryId repository) =>
        Open(master, envelope, repository, enforceFloor: true);

    /// <summary>
    /// <see cref="Create(MasterKey, RepositoryId)"/> with chosen KDF parameters. Tests pass
    /// <paramref name="enforceFloor"/> = false to use a cheap scrypt work factor.
    /// </summary>
    internal static (DataKey Key, KeyEnvelope Envelope) Create(MasterKey master, RepositoryId repository, KdfParameters kdf, bool enforceFloor)
    {
        ArgumentNullException.ThrowIfNull(master);
        ArgumentNullException.ThrowIfNull(kdf);
        DataKey key = DataKey.Generate();
        Span<byte> kek = stackalloc byte[KdfParameters.KeySize];
        try
        {
            kdf.DeriveKeyEncryptionKey(master, repository, kek, enforceFloor);
            Span<byte> wrapped = stackalloc byte[KeyEnvelope.WrappedKeySize];
            Span<byte> adBuffer = stackalloc byte[Labels.MaxPrefixLength + RepositoryId.Size];
            using (var aes = new AesGcm(kek, AeadRecord.TagSize))
                AeadRecord.Seal(aes, key.Bytes, Labels.Bind(Labels.DataKey, repository, adBuffer), wrapped);
            return (key, new KeyEnvelope(kdf, wrapped));
        }
        catch
        {
            key.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    internal static DataKey Open(MasterKey master, KeyEnvelope envelope, RepositoryId repository, bool enforceFloor)
    {
        ArgumentNullException.ThrowIfNull(master);
        ArgumentNullException.ThrowIfNull(envelope);
        Span<byte> kek = stackalloc byte[KdfParameters.KeySize];
        byte[] key = PinnedSecret.Allocate(DataKey.Size);
        try
        {
            envelope.Kdf.DeriveKeyEncryptionKey(master, repository, kek, enforceFloor);
            Span<byte> adBuffer = stackalloc byte[Labels.MaxPrefixLength + RepositoryId.Size];
            bool opened;
            using (var aes = new AesGcm(kek, AeadRecord.TagSize))
                opened = AeadRecord.TryOpen(aes, envelope.WrappedKey, Labels.Bind(Labels.DataKey, repository, adBuffer), key);
            if (!opened)
                throw new WrongMasterKeyException(repository,
                    $"the master key does not open repository {repository}: it is not the " +
                    (master.IsPassphrase ? "passphrase" : "key file") +
                    " this repository was created with, or the key envelope belongs to another repository or was altered");
            return DataKey.Adopt(key);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(key);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }
}
