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
    /// <summary>The snapshot's source kind, and its two archives (see proto/bunker/v1/files.proto).</summary>
    public const string Kind = "files";
    public const string CatalogArchive = "catalog";
    public const string PayloadArchive = "payload";

    private readonly ArchiveReader _catalogStream;
    // FindAsync's place in the catalog: the first entry not before the last path asked for.
    private CatalogEntry? _current;
    private bool _ended;

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
    public static Task<FilesSnapshot> OpenAsync(Repository.RepositoryClient client, string repository, SnapshotInfo snapshot,
        CallOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        CheckShape(snapshot);
        return OpenCatalogAsync(client, repository, snapshot, options, cancellationToken);
    }

    /// <summary>Opens the catalog and reads its header, the snapshot's kind and archives taken on trust (the caller has checked them, or lets the read fail).</summary>
    /// <exception cref="InvalidDataException">The catalog is damaged or of an unknown version.</exception>
    internal static async Task<FilesSnapshot> OpenCatalogAsync(Repository.RepositoryClient client, string repository, SnapshotInfo snapshot,
        CallOptions options, CancellationToken cancellationToken = default)
    {
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

    /// <summary>
    /// The entry at <paramref name="path"/>, or null. The catalog is read forward to the first entry at or after it, and
    /// that entry is kept: successive calls, asked in catalog order, are a merge join over one pass of the catalog.
    /// </summary>
    public async ValueTask<CatalogEntry?> FindAsync(ReadOnlyMemory<byte> path, CancellationToken cancellationToken = default)
    {
        while (!_ended && (_current is null || CatalogPath.Compare(_current.Path.Span, path.Span) < 0))
        {
            _current = await Catalog.ReadAsync(cancellationToken).ConfigureAwait(false);
            _ended = _current is null;
        }
        return _current is not null && CatalogPath.Compare(_current.Path.Span, path.Span) == 0 ? _current : null;
    }

    /// <summary>The archive <paramref name="name"/> of <paramref name="snapshot"/>'s manifest, or null.</summary>
    internal static ArchiveRef? FindArchive(SnapshotInfo snapshot, string name)
    {
        foreach (var archive in snapshot.Manifest?.Archives ?? [])
        {
            if (archive.Name == name) return archive;
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
            if (FindArchive(snapshot, name) is null)
                throw new CommandFailedException($"snapshot {id} has no '{name}' archive, so it is not a readable files snapshot");
        }
    }

    public ValueTask DisposeAsync() => _catalogStream.DisposeAsync();
}
