using Bunker.Client.Restore;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Client.Files.Reading;

/// <summary>
/// A forward-only position in a snapshot's payload chunk list. Catalog entries hold their chunk runs in
/// catalog order, so one pass over the list serves a whole walk of the catalog; the list is streamed
/// (ReadArchiveIndex pages) and only opened when first needed.
/// </summary>
public sealed class PayloadIndexCursor(Repository.RepositoryClient client, string repository, ByteString snapshotId, CallOptions options) : IAsyncDisposable
{
    private IAsyncEnumerator<ArchiveEntry>? _entries;
    // Index of the entry the enumerator yields next.
    private long _next;

    /// <summary>Entry <paramref name="index"/> of the payload; never one before the last asked for.</summary>
    /// <exception cref="InvalidDataException">The index goes backwards (runs out of catalog order) or past the end of the payload.</exception>
    public async ValueTask<ArchiveEntry> ReadAtAsync(long index) =>
        await TryReadAtAsync(index).ConfigureAwait(false)
        ?? throw new InvalidDataException($"the catalog refers to payload chunk {index}, but the payload has only {_next} chunks");

    /// <summary>Entry <paramref name="index"/> of the payload, or null past its end; never one before the last asked for.</summary>
    /// <exception cref="InvalidDataException">The index goes backwards (runs out of catalog order).</exception>
    public async ValueTask<ArchiveEntry?> TryReadAtAsync(long index)
    {
        if (index < _next - 1 || index < 0)
            throw new InvalidDataException($"payload chunk {index} is asked for after chunk {_next - 1}: the catalog's chunk runs are out of order");
        _entries ??= ArchiveIndexReader.ReadAsync(client, repository, snapshotId, FilesSnapshot.PayloadArchive, options, options.CancellationToken)
            .GetAsyncEnumerator(options.CancellationToken);
        if (index == _next - 1) return _entries.Current;
        while (_next <= index)
        {
            if (!await _entries.MoveNextAsync().ConfigureAwait(false)) return null;
            _next++;
        }
        return _entries.Current;
    }

    public ValueTask DisposeAsync() => _entries?.DisposeAsync() ?? default;
}
