using Bunker.Client.Files.Catalog;
using Bunker.Client.Restore;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Reading;

/// <summary>
/// A files snapshot opened for reading: its catalog as a stream of entries, fetched on demand (nothing
/// of it is held beyond the entry being read), and where its payload is.
/// </summary>
public sealed class FilesSnapshot : IAsyncDisposable
{
    public const string Kind = "files";
    public const string CatalogArchive = "catalog";
    public const string PayloadArchive = "payload";

    private readonly ArchiveReader _catalogStream;

    private FilesSnapshot(SnapshotInfo info, ArchiveReader catalogStream, CatalogReader catalog)
    {
        Info = info;
        _catalogStream = catalogStream;
        Catalog = catalog;
    }

    public SnapshotInfo Info { get; }
    public CatalogReader Catalog { get; }

    /// <summary>Opens the catalog of <paramref name="snapshot"/> and reads its header.</summary>
    /// <exception cref="CommandFailedException">The snapshot is not a files snapshot, or lacks one of its archives.</exception>
    /// <exception cref="InvalidDataException">The catalog is damaged or of an unknown version.</exception>
    public static async Task<FilesSnapshot> OpenAsync(Repository.RepositoryClient client, string repository, SnapshotInfo snapshot,
        CallOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        CheckShape(snapshot);
        var stream = ArchiveReader.Open(client, repository, snapshot.Id, CatalogArchive, options);
        try
        {
            var catalog = await CatalogReader.OpenAsync(stream, cancellationToken).ConfigureAwait(false);
            return new FilesSnapshot(snapshot, stream, catalog);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The first entry at or after <paramref name="path"/> in catalog order is read; returns it when its path is exactly that.</summary>
    public async Task<CatalogEntry?> FindAsync(ReadOnlyMemory<byte> path, CancellationToken cancellationToken = default)
    {
        while (await Catalog.ReadAsync(cancellationToken).ConfigureAwait(false) is { } entry)
        {
            int order = CatalogPath.Compare(entry.Path.Span, path.Span);
            if (order == 0) return entry;
            if (order > 0) return null;
        }
        return null;
    }

    private static void CheckShape(SnapshotInfo snapshot)
    {
        string id = Convert.ToHexStringLower(snapshot.Id.Span)[..8];
        if (snapshot.SourceKind != Kind)
            throw new CommandFailedException($"snapshot {id} is a '{snapshot.SourceKind}' snapshot; this command works on '{Kind}' snapshots");
        foreach (var name in (string[])[CatalogArchive, PayloadArchive])
        {
            if (snapshot.Manifest is null || !snapshot.Manifest.Archives.Any(a => a.Name == name))
                throw new CommandFailedException($"snapshot {id} has no '{name}' archive, so it is not a readable files snapshot");
        }
    }

    public ValueTask DisposeAsync() => _catalogStream.DisposeAsync();
}
