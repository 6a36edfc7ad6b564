using System.Text.Json;
using Bunker.Storage.Crypto;
using Bunker.Storage.Stores;

namespace Bunker.Storage;

/// <summary>The tenant and name a repository is registered under in bunkerd, and the named store it was put in (null: not recorded).</summary>
public sealed record RepositoryOwner(string Tenant, string Repository, string? Store = null);

public sealed partial class Repository
{
    private static ReadOnlySpan<byte> OwnerDomain => "bunker/owner/v1"u8;

    /// <summary>
    /// Writes the <c>owner</c> object: the tenant and name, sealed with the data key, so that the store alone (with the
    /// master key) tells which tenant a repository belongs to when bunkerd's registry is gone. The names stay secret
    /// to whoever lacks the key; tokens are never stored.
    /// </summary>
    public async Task WriteOwnerAsync(RepositoryOwner owner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        byte[] plain = JsonSerializer.SerializeToUtf8Bytes(new OwnerJson { Tenant = owner.Tenant, Repository = owner.Repository, Store = owner.Store, Id = Id.ToString() });
        var sealedBytes = new byte[plain.Length + ChunkCipher.Overhead];
        _cipher.Seal(plain, OwnerDomain, sealedBytes);
        await _store.PutAsync(StoreObjectKind.Config, ObjectNames.OwnerName, sealedBytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The owner object, or null when the store has none (a repository made before owners were written).</summary>
    /// <exception cref="InvalidDataException">It is there but damaged, or another repository's.</exception>
    public async Task<RepositoryOwner?> ReadOwnerAsync(CancellationToken cancellationToken = default)
    {
        byte[] sealedBytes;
        try
        {
            sealedBytes = await _store.ReadAllAsync(StoreObjectKind.Config, ObjectNames.OwnerName, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreObjectNotFoundException)
        {
            return null;
        }
        if (sealedBytes.Length < ChunkCipher.Overhead || sealedBytes.Length > 64 << 10)
            throw new InvalidDataException($"repository {Id}: its owner object is {sealedBytes.Length} bytes, which no owner object is");
        var plain = new byte[sealedBytes.Length - ChunkCipher.Overhead];
        try
        {
            _cipher.Open(sealedBytes, OwnerDomain, plain);
        }
        catch (BunkerCryptoException e)
        {
            throw new InvalidDataException($"repository {Id}: its owner object fails authentication (altered, damaged, or another repository's)", e);
        }
        OwnerJson? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<OwnerJson>(plain);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"repository {Id}: its owner object does not parse: {e.Message}", e);
        }
        if (parsed is null || string.IsNullOrEmpty(parsed.Tenant) || string.IsNullOrEmpty(parsed.Repository) || parsed.Id != Id.ToString())
            throw new InvalidDataException($"repository {Id}: its owner object names no tenant and repository, or another repository's id");
        return new RepositoryOwner(parsed.Tenant, parsed.Repository, string.IsNullOrEmpty(parsed.Store) ? null : parsed.Store);
    }

    private sealed class OwnerJson
    {
        [System.Text.Json.Serialization.JsonPropertyName("tenant")] public string Tenant { get; set; } = "";
        [System.Text.Json.Serialization.JsonPropertyName("repository")] public string Repository { get; set; } = "";
        [System.Text.Json.Serialization.JsonPropertyName("store")] public string? Store { get; set; }
        [System.Text.Json.Serialization.JsonPropertyName("id")] public string Id { get; set; } = "";
    }
}
