using Bunker.Client.Files.Catalog;
using Bunker.Client.Files.Reading;
using Bunker.Client.Restore;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Backup;

/// <summary>
/// The parent snapshot, read forward in step with the walk: its catalog (a merge join, since both are in catalog
/// order) and its payload's chunk list (in the same order as its files). Nothing of the parent is held beyond the
/// current entry and the chunk run being reused.
/// </summary>
internal sealed class ParentCatalog : IAsyncDisposable
{
    private readonly FilesSnapshot _snapshot;
    private readonly PayloadIndexCursor _payload;
    private readonly string _id;
    // Payload chunks before this one belong to runs already asked for.
    private long _claimed;

    private ParentCatalog(string id, FilesSnapshot snapshot, PayloadIndexCursor payload)
    {
        _id = id;
        _snapshot = snapshot;
        _payload = payload;
    }

    public static async Task<ParentCatalog> OpenAsync(Repository.RepositoryClient client, string repository, SnapshotInfo parent,
        CallOptions options, CancellationToken cancellationToken)
    {
        string id = Convert.ToHexStringLower(parent.Id.Span);
        FilesSnapshot snapshot;
        try
        {
            snapshot = await FilesSnapshot.OpenCatalogAsync(client, repository, parent, options, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            throw Damaged(id, e);
        }
        return new ParentCatalog(id, snapshot, new PayloadIndexCursor(client, repository, parent.Id, options));
    }

    /// <summary>The parent's entry at <paramref name="path"/>, or null. Paths must be asked in catalog order.</summary>
    public async ValueTask<CatalogEntry?> FindAsync(ReadOnlyMemory<byte> path, CancellationToken cancellationToken)
    {
        try
        {
            return await _snapshot.FindAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            throw Damaged(_id, e);
        }
    }

    /// <summary>
    /// The chunks holding <paramref name="entry"/>'s content, into <paramref name="run"/>; false when the parent's
    /// payload does not match the entry (then the file is read instead). Runs must be asked in catalog order.
    /// </summary>
    public async ValueTask<bool> TryGetChunkRunAsync(CatalogEntry entry, List<ArchiveEntry> run)
    {
        run.Clear();
        long first = (long)entry.FirstChunk, count = (long)entry.ChunkCount;
        long stored = StoredLength(entry);
        if (count == 0) return stored == 0;
        // Not forward, or beyond any payload: a catalog we did not write.
        if (first < _claimed || first < 0 || count < 0 || count > long.MaxValue - first) return false;
        _claimed = first + count;
        long total = 0;
        for (long i = 0; i < count; i++)
        {
            if (await _payload.TryReadAtAsync(first + i).ConfigureAwait(false) is not { } chunk) return false;
            run.Add(chunk);
            total += chunk.Length;
        }
        return total == stored;
    }

    /// <summary>Bytes of an entry's content in the payload: its extents' lengths, or its size when it has none.</summary>
    public static long StoredLength(CatalogEntry entry)
    {
        if (entry.Extents.Count == 0) return (long)entry.Size;
        long sum = 0;
        foreach (var extent in entry.Extents) sum += (long)extent.Length;
        return sum;
    }

    public async ValueTask DisposeAsync()
    {
        await _payload.DisposeAsync().ConfigureAwait(false);
        await _snapshot.DisposeAsync().ConfigureAwait(false);
    }

    private static InvalidDataException Damaged(string id, InvalidDataException e) =>
        new($"the parent snapshot {id} cannot be read ({e.Message}); run the backup with --force to read every file without a parent", e);
}
