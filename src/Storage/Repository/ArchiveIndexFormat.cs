using Bunker.Chunking;

namespace Bunker.Storage;

/// <summary>One piece of an archive: a chunk and its length, at an offset in the archive's stream.</summary>
public readonly record struct ArchiveEntry(ChunkDigest Digest, uint Length, ulong Offset);

/// <summary>
/// The layout of an index chunk: "BNKAIDX1" (8) then <see cref="ChunkEntryLayout"/> entries.
/// Index chunks are ordinary chunks, so they dedup, pack, encrypt and verify like any other, and
/// a manifest only lists their digests however long the archive is.
/// </summary>
public static class ArchiveIndexFormat
{
    public const int EntrySize = ChunkEntryLayout.Size;
    public static ReadOnlySpan<byte> Magic => "BNKAIDX1"u8;

    /// <summary>
    /// 1 MiB index chunks hold 29,126 entries: with 1 MiB data chunks one index chunk covers about
    /// 28 GiB of archive, and a 4 MiB-chunked 1 TiB disk needs nine.
    /// </summary>
    public const int MaxChunkBytes = 1 << 20;
    public const int EntriesPerChunk = (MaxChunkBytes - 8) / EntrySize;

    /// <summary>Checks an index chunk's shape and says how many entries it holds.</summary>
    public static int CountEntries(ReadOnlySpan<byte> chunk)
    {
        if (chunk.Length < Magic.Length || !chunk[..Magic.Length].SequenceEqual(Magic) || (chunk.Length - Magic.Length) % EntrySize != 0)
            throw new InvalidDataException("an archive index chunk is malformed (bad magic or length)");
        return (chunk.Length - Magic.Length) / EntrySize;
    }

    public static (ChunkDigest Digest, uint Length) ReadEntry(ReadOnlySpan<byte> chunk, int index) =>
        ChunkEntryLayout.Read(chunk[Magic.Length..], index);
}
