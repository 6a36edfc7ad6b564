using System.Buffers.Binary;

namespace Bunker.Chunking;

/// <summary>
/// The packed (digest, length) entry: a 32-byte SHA-256 digest, then the chunk's length as a
/// little-endian u32. Archive index chunks store their entries this way, and the protocol carries
/// archive entries the same way, so client, server and store share this one definition.
/// </summary>
public static class ChunkEntryLayout
{
    public const int Size = ChunkDigest.Size + sizeof(uint);

    /// <summary>The longest chunk (or hole) one entry may describe: 16 MiB, the pack format's largest chunk.</summary>
    public const int MaxLength = 16 << 20;

    public static void Write(Span<byte> destination, in ChunkDigest digest, uint length)
    {
        digest.CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[ChunkDigest.Size..], length);
    }

    /// <summary>Entry <paramref name="index"/> of a run of packed entries.</summary>
    public static (ChunkDigest Digest, uint Length) Read(ReadOnlySpan<byte> entries, int index)
    {
        var entry = entries.Slice(index * Size, Size);
        return (new ChunkDigest(entry[..ChunkDigest.Size]), BinaryPrimitives.ReadUInt32LittleEndian(entry[ChunkDigest.Size..]));
    }
}
