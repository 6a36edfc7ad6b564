namespace Bunker.Storage.Stores;

/// <summary>The kinds of object a repository keeps in its store. Each maps to a folder or key prefix.</summary>
public enum StoreObjectKind
{
    /// <summary>The repository config: id, format version and the wrapped data key. Exactly one, named "config".</summary>
    Config,
    /// <summary>Packs of encrypted chunks, named by the hex SHA-256 of their bytes.</summary>
    Pack,
    /// <summary>Encrypted snapshot manifests, named by the hex snapshot id.</summary>
    Snapshot,
    /// <summary>Damaged packs moved aside by a repair, under their pack id: kept for an operator, never read as data.</summary>
    Quarantine,
}

/// <summary>
/// An object's name and size as a listing reports it, and where it is: the <see cref="IPackStore.Name"/> of the store
/// (for a store made of several, the member) that holds it.
/// </summary>
public readonly record struct StoreObjectInfo(string Name, long Size, string Location);

/// <summary>
/// Where one repository's objects live: a directory, a bucket prefix, or a decorator over either.
/// The packs, manifests and config in a store, plus the master key, are the whole repository;
/// the RocksDB index is only a cache of them.
/// </summary>
public interface IPackStore
{
    /// <summary>A short name recorded in the pack table as the pack's location ("local", "s3", ...).</summary>
    string Name { get; }

    /// <summary>
    /// Stores an object. When the task completes the object is durable and visible under its final
    /// name; a crash before then leaves either nothing or the previous object, never a torn one.
    /// Returns where it went: this store's <see cref="Name"/>, or for a store made of several, the
    /// member's, which the pack table records so that reads go straight there.
    /// </summary>
    /// <exception cref="StoreUnavailableException">The store cannot be reached or keeps failing.</exception>
    Task<string> PutAsync(StoreObjectKind kind, string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>Reads a whole object. Throws <see cref="StoreObjectNotFoundException"/> when it is absent.</summary>
    Task<byte[]> ReadAllAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Fills <paramref name="destination"/> from <paramref name="offset"/>. Throws
    /// <see cref="StoreObjectNotFoundException"/> when absent and <see cref="StoreObjectTruncatedException"/>
    /// when the object ends before the range does.
    /// </summary>
    Task ReadRangeAsync(StoreObjectKind kind, string name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default);

    /// <summary>The object's size, or null when it does not exist.</summary>
    Task<long?> GetSizeAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default);

    /// <summary>Lists every object of a kind, in no particular order, without loading the whole list.</summary>
    IAsyncEnumerable<StoreObjectInfo> ListAsync(StoreObjectKind kind, CancellationToken cancellationToken = default);

    /// <summary>Removes an object; removing an absent one is not an error.</summary>
    Task DeleteAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default);

    /// <summary>Where the object is (see <see cref="StoreObjectInfo.Location"/>), or null when no part of the store holds it.</summary>
    async Task<string?> LocateAsync(StoreObjectKind kind, string name, CancellationToken cancellationToken = default) =>
        await GetSizeAsync(kind, name, cancellationToken).ConfigureAwait(false) is null ? null : Name;

    /// <summary>
    /// Asks the store whether it answers at all (a health probe): returns normally when it does, whatever it holds, and
    /// throws <see cref="StoreUnavailableException"/> (or the failure) when it does not.
    /// </summary>
    async Task ProbeAsync(CancellationToken cancellationToken = default) =>
        await GetSizeAsync(StoreObjectKind.Config, ObjectNames.ConfigName, cancellationToken).ConfigureAwait(false);
}

/// <summary>
/// A store made of others (fallback, tiered), which reads from the member a pack was put in when it knows: the
/// repository hands it the pack table's answer, so a read never waits on a member that lacks the pack.
/// </summary>
public interface IPlacedStore : IPackStore
{
    /// <summary>Gives the store a way to ask where a pack is (a member's name), or null when that is not known.</summary>
    void UsePlacement(Func<string, string?> packLocation);
}
