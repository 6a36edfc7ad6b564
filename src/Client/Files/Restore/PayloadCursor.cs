using Bunker.Client.Restore;

namespace Bunker.Client.Files.Restore;

/// <summary>
/// The payload archive's chunk list, read forward alongside the catalog. Files own runs of it in catalog
/// order, so one pass serves every file, and only the current chunk is held.
/// </summary>
internal sealed class PayloadCursor(IAsyncEnumerable<ArchiveEntry> index, CancellationToken cancellationToken) : IAsyncDisposable
{
    private readonly IAsyncEnumerator<ArchiveEntry> _entries = index.GetAsyncEnumerator(cancellationToken);

    /// <summary>Index of the next chunk <see cref="NextAsync"/> returns.</summary>
    public ulong Position { get; private set; }

    /// <summary>Moves to chunk <paramref name="chunk"/>; runs may leave gaps, never go back.</summary>
    /// <exception cref="InvalidDataException">The chunk comes before the cursor (two files claim one run) or past the payload's end.</exception>
    public async ValueTask SkipToAsync(ulong chunk, string entry)
    {
        if (chunk < Position)
            throw CatalogRefusal.Of(entry, $"its content starts at payload chunk {chunk}, inside an earlier file's run (chunk {Position} was next)");
        while (Position < chunk)
            await NextAsync(entry).ConfigureAwait(false);
    }

    /// <exception cref="InvalidDataException">The payload has no more chunks.</exception>
    public async ValueTask<ArchiveEntry> NextAsync(string entry)
    {
        if (!await _entries.MoveNextAsync().ConfigureAwait(false))
            throw CatalogRefusal.Of(entry, $"its content runs past the payload's last chunk ({Position})");
        Position++;
        return _entries.Current;
    }

    public ValueTask DisposeAsync() => _entries.DisposeAsync();
}
