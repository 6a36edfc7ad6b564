using Bunker.Chunking;
using Bunker.Index.RocksDb;

namespace Bunker.Index;

/// <summary>
/// Changes to any of the index's tables that <see cref="BunkerIndex.Write"/> applies atomically:
/// after a crash either all of them are visible or none is. Writing does not clear the batch.
/// Not thread-safe; dispose it when done.
/// </summary>
public sealed class IndexBatch : IDisposable
{
    private readonly BunkerIndex _owner;

    internal IndexBatch(BunkerIndex owner)
    {
        _owner = owner;
    }

    internal BunkerIndex Owner => _owner;

    internal WriteBatch Native { get; } = new();

    /// <summary>How many puts and deletes the batch holds.</summary>
    public int Count => Native.Count;

    public void PutChunk(RepositoryId repo, in ChunkDigest digest, in ChunkLocation location)
        => _owner.Chunks.Put(Native, repo, digest, location);

    public void DeleteChunk(RepositoryId repo, in ChunkDigest digest)
        => _owner.Chunks.Delete(Native, repo, digest);

    public void PutPack(RepositoryId repo, PackRecord pack) => _owner.Packs.Put(Native, repo, pack);

    public void DeletePack(RepositoryId repo, PackId id) => _owner.Packs.Delete(Native, repo, id);

    /// <summary>Adds the snapshot and its by-source entry.</summary>
    public void PutSnapshot(SnapshotRecord snapshot) => _owner.Snapshots.Put(Native, snapshot);

    /// <summary>Removes the snapshot and its by-source entry; pass the record as it was put.</summary>
    public void DeleteSnapshot(SnapshotRecord snapshot) => _owner.Snapshots.Delete(Native, snapshot);

    public void PutMeta(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => _owner.Meta.Put(Native, key, value);

    public void DeleteMeta(ReadOnlySpan<byte> key) => _owner.Meta.Delete(Native, key);

    public void Clear() => Native.Clear();

    public void Dispose() => Native.Dispose();
}
