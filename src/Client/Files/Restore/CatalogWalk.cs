using System.Runtime.CompilerServices;
using Bunker.Client.Files.Catalog;
using Bunker.Client.Files.Reading;
using Bunker.Client.Restore;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Restore;

/// <summary>
/// Reads a files snapshot's catalog and payload index side by side, checks every entry before anyone acts
/// on it, and hands out the entries a restore writes (those in scope, and the directories above them).
/// Everything here comes from the server and is treated as hostile: an unsafe path, an entry below a
/// non-directory, a hardlink to anything but an earlier regular file, content that does not add up, all
/// stop the walk with an error naming the entry.
/// </summary>
internal sealed class CatalogWalk : IAsyncDisposable
{
    private readonly FilesSnapshot _snapshot;
    private readonly PayloadIndexCursor _payload;
    private readonly CatalogScope _scope;
    private readonly CancellationToken _cancellationToken;
    private readonly AncestorCheck _ancestors = new();
    private readonly Dictionary<byte[], HardlinkOrigin> _origins = new(ByteKeyComparer.Instance);

    // Payload chunks before this one belong to earlier files: runs follow catalog order and never overlap.
    private ulong _claimed;

    private CatalogWalk(FilesSnapshot snapshot, PayloadIndexCursor payload, CatalogScope scope, CancellationToken cancellationToken)
    {
        _snapshot = snapshot;
        _payload = payload;
        _scope = scope;
        _cancellationToken = cancellationToken;
    }

    public static async Task<CatalogWalk> OpenAsync(Repository.RepositoryClient client, string repository, SnapshotInfo snapshot, CatalogScope scope,
        CallOptions options, CancellationToken cancellationToken)
    {
        options = options.WithCancellationToken(cancellationToken);
        var opened = await FilesSnapshot.OpenCatalogAsync(client, repository, snapshot, options, cancellationToken).ConfigureAwait(false);
        return new CatalogWalk(opened, new PayloadIndexCursor(client, repository, snapshot.Id, options), scope, cancellationToken);
    }

    /// <summary>The next entry to write, or null at the end of the catalog.</summary>
    /// <exception cref="InvalidDataException">The catalog is malformed or hostile; the message names the entry.</exception>
    public async ValueTask<WalkItem?> ReadAsync()
    {
        // The reader has checked each path (safe, relative) and catalog order already.
        while (await _snapshot.Catalog.ReadAsync(_cancellationToken).ConfigureAwait(false) is { } entry)
        {
            var path = entry.Path.Span;
            var display = CatalogPath.Display(path);
            _ancestors.Check(entry);
            CheckShape(entry, display);
            bool included = _scope.Contains(path);
            switch (entry.Type)
            {
                case EntryType.File when !entry.HardlinkTarget.IsEmpty:
                    var origin = Origin(entry, display);
                    if (!included) continue;
                    return new WalkItem(entry, origin.Included ? ItemKind.Hardlink : ItemKind.File, display) { Origin = origin };
                case EntryType.File:
                    ContentLayout.For(entry, display);
                    if (entry.Links > 1) await RememberOriginAsync(entry, display, included).ConfigureAwait(false);
                    if (!included) continue;
                    return new WalkItem(entry, ItemKind.File, display);
                case EntryType.Directory:
                    if (!included && !_scope.IsAncestor(path)) continue;
                    return new WalkItem(entry, ItemKind.Directory, display);
                case EntryType.Symlink:
                    if (!included) continue;
                    return new WalkItem(entry, ItemKind.Symlink, display);
                default:
                    if (!included) continue;
                    return new WalkItem(entry, ItemKind.Special, display);
            }
        }
        return null;
    }

    /// <summary>
    /// The payload chunks of a <see cref="ItemKind.File"/> item, in order, checked to add up to its content.
    /// Chunks not taken are skipped when the walk moves on.
    /// </summary>
    public async IAsyncEnumerable<ArchiveEntry> ContentAsync(WalkItem item)
    {
        if (item.Origin is { Chunks: { } kept })
        {
            foreach (var chunk in kept) yield return chunk;
            yield break;
        }
        await foreach (var chunk in RunAsync(item.ContentEntry, item.Display).ConfigureAwait(false))
            yield return chunk;
    }

    private async IAsyncEnumerable<ArchiveEntry> RunAsync(CatalogEntry entry, string display, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        long stored = ContentLayout.For(entry, display).StoredLength;
        if (entry.ChunkCount == 0)
        {
            if (stored != 0) throw CatalogRefusal.Of(display, $"it has {stored} bytes of content but no payload chunks");
            yield break;
        }
        if (entry.FirstChunk < _claimed)
            throw CatalogRefusal.Of(display, $"its content starts at payload chunk {entry.FirstChunk}, inside an earlier file's run (chunk {_claimed} was next)");
        if (entry.ChunkCount > long.MaxValue || entry.FirstChunk > long.MaxValue - entry.ChunkCount)
            throw CatalogRefusal.Of(display, $"its payload run [{entry.FirstChunk}, +{entry.ChunkCount}) is beyond any payload");
        _claimed = entry.FirstChunk + entry.ChunkCount;
        long total = 0;
        for (ulong i = 0; i < entry.ChunkCount; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = await ChunkAsync((long)(entry.FirstChunk + i), display).ConfigureAwait(false);
            if (chunk.Length is <= 0 or > ChunkFetcher.MaxChunkLength)
                throw CatalogRefusal.Of(display, $"its payload chunk {entry.FirstChunk + i} claims {chunk.Length} bytes");
            if (i == 0 && (ulong)chunk.Offset != entry.PayloadOffset)
                throw CatalogRefusal.Of(display, $"its payload offset {entry.PayloadOffset} is not where chunk {entry.FirstChunk} starts ({chunk.Offset})");
            total += chunk.Length;
            if (total > stored) break;
            yield return chunk;
        }
        if (total != stored)
            throw CatalogRefusal.Of(display, $"its {entry.ChunkCount} payload chunks do not hold exactly its {stored} bytes");
    }

    private async ValueTask<ArchiveEntry> ChunkAsync(long index, string display)
    {
        try
        {
            return await _payload.ReadAtAsync(index).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            throw CatalogRefusal.Of(display, e.Message);
        }
    }

    /// <summary>Fields that only some types may carry; a catalog that mixes them up was not written by a backup.</summary>
    private static void CheckShape(CatalogEntry entry, string display)
    {
        bool plainFile = entry.Type == EntryType.File && entry.HardlinkTarget.IsEmpty;
        if (!plainFile && (entry.ChunkCount != 0 || entry.Extents.Count != 0))
            throw CatalogRefusal.Of(display, "only a regular file's first name may have content");
        if (entry.Type != EntryType.File && !entry.HardlinkTarget.IsEmpty)
            throw CatalogRefusal.Of(display, $"a {AncestorCheck.Describe(entry.Type)} cannot be a hardlink");
        if (entry.Type == EntryType.Symlink && (entry.SymlinkTarget.IsEmpty || entry.SymlinkTarget.Span.IndexOf((byte)0) >= 0))
            throw CatalogRefusal.Of(display, "its symlink target is empty or holds a NUL byte");
    }

    /// <summary>The earlier regular file a hardlink entry names; anything else is refused.</summary>
    private HardlinkOrigin Origin(CatalogEntry entry, string display)
    {
        var target = entry.HardlinkTarget.Span;
        if (!CatalogPath.TryValidate(target, out var reason))
            throw CatalogRefusal.Of(display, $"its hardlink target '{CatalogPath.Display(target)}' is unsafe: {reason}");
        if (!_origins.TryGetValue(target.ToArray(), out var origin))
            throw CatalogRefusal.Of(display, $"its hardlink target '{CatalogPath.Display(target)}' is not an earlier regular file with several links in this snapshot");
        return origin;
    }

    private async ValueTask RememberOriginAsync(CatalogEntry entry, string display, bool included)
    {
        var origin = new HardlinkOrigin(entry.Path.ToByteArray(), entry, included);
        _origins[origin.Path] = origin;
        // A later name may be restored while this one is not: it then becomes a file with this content.
        if (!included)
        {
            origin.Chunks = [];
            await foreach (var chunk in RunAsync(entry, display).ConfigureAwait(false))
                origin.Chunks.Add(chunk);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _payload.DisposeAsync().ConfigureAwait(false);
        await _snapshot.DisposeAsync().ConfigureAwait(false);
    }
}
