using Bunker.Protocol.V1;

namespace Bunker.Client.Files.Restore;

/// <summary>Part of a chunk that belongs at one place in a file: chunk bytes [ChunkOffset, +Length) go to FileOffset.</summary>
internal readonly record struct Segment(int ChunkOffset, long FileOffset, int Length);

/// <summary>
/// Where a file's payload bytes go in the file. The payload holds only a sparse file's data extents, one
/// after another; a file without extents is one extent [0, size). Chunks are mapped in order as they come.
/// </summary>
internal sealed class ContentLayout
{
    private readonly CatalogEntry _entry;
    private int _extent;
    private long _inExtent;

    private ContentLayout(CatalogEntry entry, long storedLength)
    {
        _entry = entry;
        StoredLength = storedLength;
    }

    /// <summary>The bytes of payload the file owns: its extents' lengths summed, or its size.</summary>
    public long StoredLength { get; }

    /// <summary>Payload bytes mapped so far.</summary>
    public long Mapped { get; private set; }

    /// <summary>The layout of a regular file's entry, after checking its size and extents.</summary>
    /// <exception cref="InvalidDataException">The size is absurd, or the extents are out of order, overlap, or run past the size.</exception>
    public static ContentLayout For(CatalogEntry entry, string display)
    {
        if (entry.Size > long.MaxValue)
            throw CatalogRefusal.Of(display, $"its size {entry.Size} is beyond any file");
        long size = (long)entry.Size;
        if (entry.Extents.Count == 0) return new ContentLayout(entry, size);
        long end = 0, stored = 0;
        foreach (var extent in entry.Extents)
        {
            if (extent.Offset < (ulong)end || extent.Length > (ulong)size || extent.Offset > (ulong)size - extent.Length)
                throw CatalogRefusal.Of(display, $"its extent [{extent.Offset}, +{extent.Length}) overlaps the previous one or runs past its size {size}");
            end = (long)(extent.Offset + extent.Length);
            stored += (long)extent.Length;
        }
        return new ContentLayout(entry, stored);
    }

    /// <summary>Maps the next <paramref name="chunkLength"/> payload bytes of the file to segments of it.</summary>
    /// <exception cref="InvalidDataException">The chunk runs past the file's stored length.</exception>
    public void Map(int chunkLength, List<Segment> into, string display)
    {
        into.Clear();
        if (chunkLength > StoredLength - Mapped)
            throw CatalogRefusal.Of(display, $"its payload chunks hold more than its {StoredLength} bytes");
        int chunkOffset = 0;
        while (chunkOffset < chunkLength)
        {
            var (start, length) = Extent(_extent);
            int take = (int)Math.Min(chunkLength - chunkOffset, length - _inExtent);
            if (take > 0) into.Add(new Segment(chunkOffset, start + _inExtent, take));
            chunkOffset += take;
            _inExtent += take;
            if (_inExtent == length)
            {
                _extent++;
                _inExtent = 0;
            }
        }
        Mapped += chunkLength;
    }

    private (long Start, long Length) Extent(int index) => _entry.Extents.Count == 0
        ? (0, (long)_entry.Size)
        : ((long)_entry.Extents[index].Offset, (long)_entry.Extents[index].Length);
}
