using Bunker.Client.Files.Catalog;
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
    private readonly ArchiveReader _catalogStream;
    private readonly CatalogReader _catalog;
    private readonly IAsyncEnumerator<ArchiveEntry> _payload;
    private readonly string _id;
    private CatalogEntry? _current;
    private bool _started;
    private bool _catalogEnded;
    private long _nextChunk;
    private bool _payloadEnded;

    private ParentCatalog(string id, ArchiveReader catalogStream, CatalogReader catalog, IAsyncEnumerator<ArchiveEntry> payload)
    {
        _id = id;
        _catalogStream = catalogStream;
        _catalog = catalog;
        _payload = payload;
    }

    public static async Task<ParentCatalog> OpenAsync(Repository.RepositoryClient client, string repository, SnapshotInfo parent,
        CallOptions options, CancellationToken cancellationToken)
    {
        string id = Convert.ToHexStringLower(parent.Id.Span);
        var stream = ArchiveReader.Open(client, repository, parent.Id, FileArchives.Catalog, options);
        try
        {
            var catalog = await CatalogReader.OpenAsync(stream, cancellationToken).ConfigureAwait(false);
            var payload = ArchiveIndexReader.ReadAsync(client, repository, parent.Id, FileArchives.Payload, options, cancellationToken)
                .GetAsyncEnumerator(cancellationToken);
            return new ParentCatalog(id, stream, catalog, payload);
        }
        catch (InvalidDataException e)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw Damaged(id, e);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The parent's entry at <paramref name="path"/>, or null. Paths must be asked in catalog order.</summary>
    public async ValueTask<CatalogEntry?> FindAsync(ReadOnlyMemory<byte> path, CancellationToken cancellationToken)
    {
        if (!_started)
        {
            _started = true;
            await AdvanceAsync(cancellationToken).ConfigureAwait(false);
        }
        while (_current is not null && CatalogPath.Compare(_current.Path.Span, path.Span) < 0)
            await AdvanceAsync(cancellationToken).ConfigureAwait(false);
        return _current is not null && CatalogPath.Compare(_current.Path.Span, path.Span) == 0 ? _current : null;
    }

    /// <summary>
    /// The chunks holding <paramref name="entry"/>'s content, into <paramref name="run"/>; false when the parent's
    /// payload does not match the entry (then the file is read instead). Runs must be asked in catalog order.
    /// </summary>
    public async ValueTask<bool> TryGetChunkRunAsync(CatalogEntry entry, List<ArchiveEntry> run, CancellationToken cancellationToken)
    {
        run.Clear();
        long first = (long)entry.FirstChunk, count = (long)entry.ChunkCount;
        long stored = StoredLength(entry);
        if (count == 0) return stored == 0;
        if (first < _nextChunk || first < 0 || count < 0) return false; // not forward: a catalog we did not write
        while (_nextChunk < first)
        {
            if (!await NextChunkAsync(cancellationToken).ConfigureAwait(false)) return false;
        }
        long total = 0;
        for (long i = 0; i < count; i++)
        {
            if (!await NextChunkAsync(cancellationToken).ConfigureAwait(false)) return false;
            run.Add(_payload.Current);
            total += _payload.Current.Length;
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
        await _catalogStream.DisposeAsync().ConfigureAwait(false);
    }

    private async ValueTask AdvanceAsync(CancellationToken cancellationToken)
    {
        if (_catalogEnded) return;
        try
        {
            _current = await _catalog.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            throw Damaged(_id, e);
        }
        _catalogEnded = _current is null;
    }

    private async ValueTask<bool> NextChunkAsync(CancellationToken cancellationToken)
    {
        if (_payloadEnded) return false;
        if (!await _payload.MoveNextAsync().ConfigureAwait(false))
        {
            _payloadEnded = true;
            return false;
        }
        _nextChunk++;
        return true;
    }

    private static InvalidDataException Damaged(string id, InvalidDataException e) =>
        new($"the parent snapshot {id} cannot be read ({e.Message}); run the backup with --force to read every file without a parent", e);
}

/// <summary>The archives of a files snapshot.</summary>
internal static class FileArchives
{
    public const string Catalog = "catalog";
    public const string Payload = "payload";
    public const string SourceKind = "files";
}
