using System.Text;
using Bunker.Storage.Crypto;
using Bunker.Storage.Stores;

namespace Bunker.Storage;

/// <summary>
/// Small settings a repository keeps in its own store (kind Config), sealed with its data key: its upkeep policy and the
/// snapshots it protects. Being in the store, they come back with the repository in a recovery; being sealed, nobody
/// without the key reads or forges them. Writes of one name are serialised.
/// </summary>
public sealed partial class Repository
{
    public const string PolicySetting = ObjectNames.PolicyName;
    public const string ProtectedSetting = ObjectNames.ProtectedName;
    public const string LifecycleSetting = ObjectNames.LifecycleName;
    private readonly SemaphoreSlim _settingsLock = new(1, 1);

    /// <summary>The setting's bytes, or null when it was never written.</summary>
    /// <exception cref="InvalidDataException">It is there but fails authentication.</exception>
    public async Task<byte[]?> ReadSettingAsync(string name, CancellationToken cancellationToken = default)
    {
        byte[] sealedBytes;
        try
        {
            sealedBytes = await _store.ReadAllAsync(StoreObjectKind.Config, name, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreObjectNotFoundException)
        {
            return null;
        }
        if (sealedBytes.Length < ChunkCipher.Overhead || sealedBytes.Length > 16 << 20)
            throw new InvalidDataException($"repository {Id}: its {name} object is {sealedBytes.Length} bytes, which no such object is");
        var plain = new byte[sealedBytes.Length - ChunkCipher.Overhead];
        try
        {
            _cipher.Open(sealedBytes, Domain(name), plain);
        }
        catch (BunkerCryptoException e)
        {
            throw new InvalidDataException($"repository {Id}: its {name} object fails authentication (altered, damaged, or another repository's)", e);
        }
        return plain;
    }

    public async Task WriteSettingAsync(string name, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        var sealedBytes = new byte[value.Length + ChunkCipher.Overhead];
        _cipher.Seal(value.Span, Domain(name), sealedBytes);
        await _store.PutAsync(StoreObjectKind.Config, name, sealedBytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a setting, lets <paramref name="change"/> make the new value from the old (null: none), and writes it, under a lock.</summary>
    public async Task<byte[]> UpdateSettingAsync(string name, Func<byte[]?, byte[]> change, CancellationToken cancellationToken = default)
    {
        await _settingsLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var updated = change(await ReadSettingAsync(name, cancellationToken).ConfigureAwait(false));
            await WriteSettingAsync(name, updated, cancellationToken).ConfigureAwait(false);
            return updated;
        }
        finally
        {
            _settingsLock.Release();
        }
    }

    private static byte[] Domain(string name) => Encoding.ASCII.GetBytes("bunker/setting/v1/" + name);
}
