using Bunker.Chunking;
using Bunker.Client.Vm.Nbd;
using Bunker.Protocol.Grpc;
using Bunker.Protocol.V1;

namespace Bunker.Client.Vm;

/// <summary>
/// What a dirty bitmap says about one disk since its parent snapshot: the chunks it marks dirty are read, every
/// other chunk is the parent's, taken by digest without being read. It is used only when it provably covers the
/// time since the parent: the parent recorded the same bitmap for this disk, at the same size, in whole aligned
/// chunks. Anything else falls back to a full read, never to a guess.
/// </summary>
internal sealed class ChangedBlocks
{
    public const uint DirtyFlag = 1;
    private readonly List<NbdExtent> _dirty;
    private readonly ChunkDigest[] _parent;
    private int _cursor;

    private ChangedBlocks(List<NbdExtent> dirty, ChunkDigest[] parent)
    {
        _dirty = dirty;
        _parent = parent;
    }

    public static string Context(string bitmap) => "qemu:dirty-bitmap:" + bitmap;

    /// <summary>The parent's digest for chunk <paramref name="index"/> (the hole digest for a hole).</summary>
    public ChunkDigest ParentChunk(long index) => _parent[index];

    /// <summary>Whether any dirty extent touches [offset, offset+length). Chunks must be asked in increasing order.</summary>
    public bool IsDirty(long offset, int length)
    {
        while (_cursor < _dirty.Count && _dirty[_cursor].Offset + _dirty[_cursor].Length <= offset) _cursor++;
        for (int i = _cursor; i < _dirty.Count && _dirty[i].Offset < offset + length; i++)
        {
            if ((_dirty[i].Flags & DirtyFlag) != 0) return true;
        }
        return false;
    }

    /// <summary>The changed-block map for <paramref name="disk"/>, or null with the reason a full read is needed.</summary>
    public static async Task<(ChangedBlocks? Blocks, string? Reason)> TryLoadAsync(Repository.RepositoryClient client, string repository, SnapshotInfo? parent,
        string disk, string bitmap, NbdDiskSource source, CancellationToken cancellationToken, CallOptions options)
    {
        string context = Context(bitmap);
        if (!source.Client.MetaContexts.Contains(context))
            return (null, $"the NBD server offers no {context}");
        if (parent is null)
            return (null, "there is no parent snapshot to take unchanged chunks from");
        var labels = parent.Manifest?.Labels;
        if (labels is null || !labels.TryGetValue(VmSnapshots.BitmapLabel(disk), out var parentBitmap) || parentBitmap != bitmap)
            return (null, $"the parent snapshot did not record bitmap '{bitmap}' for this disk, so it may not cover every change since");
        if (!labels.TryGetValue(VmSnapshots.SizeLabel(disk), out var sizeText) || sizeText != source.Size.ToString(System.Globalization.CultureInfo.InvariantCulture))
            return (null, "the disk's size changed since the parent snapshot");

        long chunks = (source.Size + VmSnapshots.ChunkSize - 1) / VmSnapshots.ChunkSize;
        var digests = new ChunkDigest[chunks];
        long index = 0;
        try
        {
            await foreach (var entry in VmSnapshots.ReadIndexAsync(client, repository, parent.Id, disk, source.Size, options, cancellationToken).ConfigureAwait(false))
            {
                // Whole chunks at i x ChunkSize: a bitmap's changed blocks then name the chunks to read, no more, no less.
                if (entry.Offset != index * VmSnapshots.ChunkSize || entry.Length != Math.Min(VmSnapshots.ChunkSize, source.Size - entry.Offset))
                    return (null, "the parent's index is not in whole aligned chunks");
                digests[index++] = entry.Digest;
            }
        }
        catch (InvalidDataException e)
        {
            return (null, "the parent's index cannot be used: " + e.Message);
        }
        var dirty = await source.ExtentsAsync(context, cancellationToken).ConfigureAwait(false);
        return (new ChangedBlocks(dirty, digests), null);
    }
}
